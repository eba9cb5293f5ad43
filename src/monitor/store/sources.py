"""Queries on sources: sync with the config, claim due ones, record poll outcomes, status."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from monitor.models import SkipCount
from monitor.store.leases import dead_among, dead_local_owners, lease_owner
from monitor.store.schema import sources
from monitor.store.util import SYNC_LOCK, one_at_a_time


@dataclass(frozen=True)
class SourceRow:
    id: int
    name: str
    url: str
    current_url: str | None
    type: str
    etag: str | None
    last_modified: str | None
    last_success: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    error_count: int
    next_check_at: datetime | None
    interval_seconds: float | None
    disabled: bool
    disabled_reason: str | None
    malformed: str | None
    items_seen: int
    articles_stored: int
    health: str | None = None  # "ok", "degraded", "failed" after the last poll; None: never polled
    last_error_hint: str | None = None
    last_poll_seconds: float | None = None
    items_skipped: int = 0  # of the last document read
    skipped: tuple[SkipCount, ...] = ()  # ... by reason
    empty_polls: int = 0  # polls in a row whose document held no items

    @property
    def fetch_url(self) -> str:
        return self.current_url or self.url


_FIELDS = [f.name for f in fields(SourceRow) if f.name != "skipped"]


def _row(row: Any) -> SourceRow:
    return SourceRow(**{f: getattr(row, f) for f in _FIELDS}, skipped=_skips(row.skip_reasons))


def _skips(text: str | None) -> tuple[SkipCount, ...]:
    try:
        items = json.loads(text) if text else []
        return tuple(SkipCount(str(i["reason"]), int(i["count"]), i.get("example")) for i in items)
    except (ValueError, TypeError, KeyError, AttributeError):
        return ()  # written by a newer version in another shape: shown as none


def sync(conn: sa.Connection, configured: Iterable[tuple[str, str, str]], now: datetime) -> None:
    """Make the table agree with the config's (name, url, type) list; new sources are due now.

    A source whose configured URL changed starts afresh (no validators, no redirect, enabled).
    Rows of sources no longer configured are kept (their articles stay linked) but never claimed.
    Daemons that start together on one PostgreSQL database sync one after the other.
    """
    one_at_a_time(conn, SYNC_LOCK)
    existing = {r.name: r for r in conn.execute(sa.select(sources.c.name, sources.c.url))}
    for name, url, kind in configured:
        row = existing.get(name)
        if row is None:
            conn.execute(
                sa.insert(sources).values(
                    name=name, url=url, type=kind, created_at=now, next_check_at=now
                )
            )
        elif row.url != url:
            conn.execute(
                sa.update(sources)
                .where(sources.c.name == name)
                .values(
                    url=url,
                    type=kind,
                    current_url=None,
                    etag=None,
                    last_modified=None,
                    disabled=False,
                    disabled_reason=None,
                    error_count=0,
                    health=None,
                    empty_polls=0,
                    next_check_at=now,
                )
            )
        else:
            conn.execute(sa.update(sources).where(sources.c.name == name).values(type=kind))


def all_sources(conn: sa.Connection, names: Iterable[str] | None = None) -> list[SourceRow]:
    query = sa.select(sources).order_by(sources.c.name)
    if names is not None:
        query = query.where(sources.c.name.in_(list(names)))
    return [_row(r) for r in conn.execute(query)]


def claim_due(
    conn: sa.Connection,
    names: Iterable[str],
    now: datetime,
    limit: int,
    lease: timedelta,
    *,
    force: bool = False,
    ids: Iterable[int] | None = None,
) -> list[SourceRow]:
    """Lease up to *limit* due, enabled sources among *names* (all of them with *force*), and
    among *ids* when given (a worker's poll job claims its one source).

    The lease (``claimed_until``, ``claimed_by``) keeps another tick or worker from polling the
    same source until it is released by `record` or expires after a crash. A lease held by a
    process of this host that no longer runs (killed), or by a worker gone from the cluster, is
    taken over at once.
    """
    if ids is not None:
        return _claim_ids(conn, set(names), list(ids), now, lease, force=force)
    query = (
        sa.select(sources.c.id)
        .where(sources.c.disabled.is_(False))
        .where(_free(conn, now))
        .where(sources.c.name.in_(list(names)))
        .order_by(sources.c.next_check_at)
        .limit(limit)
    )
    if not force:
        query = query.where(_due(now))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    found = [int(i) for i in conn.execute(query).scalars()]
    if not found:
        return []
    conn.execute(
        sa.update(sources)
        .where(sources.c.id.in_(found))
        .values(claimed_until=now + lease, claimed_by=lease_owner())
    )
    rows = conn.execute(
        sa.select(sources).where(sources.c.id.in_(found)).order_by(sources.c.next_check_at)
    )
    return [_row(r) for r in rows]


def _claim_ids(
    conn: sa.Connection,
    names: set[str],
    ids: list[int],
    now: datetime,
    lease: timedelta,
    *,
    force: bool,
) -> list[SourceRow]:
    """`claim_due` of the sources *ids* (a worker's poll job: one): their rows read and locked
    once, the lease checked here, and only a live lease's holder looked up (most due sources
    have none), then one UPDATE … RETURNING; no list of every lease holder per claim."""
    query = sa.select(
        sources.c.id, sources.c.name, sources.c.claimed_by, sources.c.claimed_until
    ).where(sources.c.id.in_(ids), sources.c.disabled.is_(False))
    if not force:
        query = query.where(_due(now))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = [r for r in conn.execute(query) if r.name in names]
    live = [r for r in rows if r.claimed_until is not None and r.claimed_until >= now]
    holders = sorted({r.claimed_by for r in live if r.claimed_by is not None})
    dead = set(dead_among(conn, now, holders)) if holders else set()
    taken = {r.id for r in live if r.claimed_by not in dead}
    free = [r.id for r in rows if r.id not in taken]
    if not free:
        return []
    claimed = conn.execute(
        sa.update(sources)
        .where(sources.c.id.in_(free))
        .values(claimed_until=now + lease, claimed_by=lease_owner())
        .returning(*sources.c)
    )
    found = [_row(r) for r in claimed]
    return sorted(found, key=lambda s: (s.next_check_at is None, s.next_check_at or now))


def _due(now: datetime) -> Any:
    return sa.or_(sources.c.next_check_at.is_(None), sources.c.next_check_at <= now)


def _free(conn: sa.Connection, now: datetime) -> Any:
    """Not leased: no lease, an expired one, or one of a process or worker that is gone."""
    free = [sources.c.claimed_until.is_(None), sources.c.claimed_until < now]
    dead = dead_local_owners(conn, sources, now)
    if dead:
        free.append(sources.c.claimed_by.in_(dead))
    return sa.or_(*free)


def due_ids(conn: sa.Connection, names: Iterable[str], now: datetime, limit: int) -> list[int]:
    """Up to *limit* due, enabled, unleased sources among *names*, the longest due first: what
    a worker's tick hands out as poll jobs (each job claims its source again)."""
    query = (
        sa.select(sources.c.id)
        .where(sources.c.name.in_(list(names)))
        .where(sources.c.disabled.is_(False))
        .where(_due(now))
        .where(_free(conn, now))
        .order_by(sources.c.next_check_at)
        .limit(limit)
    )
    return [int(i) for i in conn.execute(query).scalars()]


def record(
    conn: sa.Connection,
    source_id: int,
    *,
    skipped: Sequence[SkipCount] | None = None,
    **values: Any,
) -> None:
    """Write a poll outcome and release the lease, in the caller's transaction.

    `skipped`, when given, replaces the items skipped (the last document's) by reason.
    """
    if skipped is not None:
        values["items_skipped"] = sum(s.count for s in skipped)
        values["skip_reasons"] = json.dumps(
            [{"reason": s.reason, "count": s.count, "example": s.example} for s in skipped]
        )
    conn.execute(
        sa.update(sources)
        .where(sources.c.id == source_id)
        .values(claimed_until=None, claimed_by=None, **values)
    )


def release(conn: sa.Connection, source_ids: Iterable[int], *, mine_only: bool = False) -> None:
    """Give back the leases of these sources (with *mine_only*, only those this process holds)."""
    ids = list(source_ids)
    if ids:
        query = sa.update(sources).where(sources.c.id.in_(ids))
        if mine_only:
            query = query.where(sources.c.claimed_by == lease_owner())
        conn.execute(query.values(claimed_until=None, claimed_by=None))
