"""Queries on the delivery outbox: enqueue, claim, progress, mark delivered/failed, status."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from monitor.store.delivery_tables import delivery_outbox, delivery_seen, delivery_state
from monitor.store.leases import dead_local_owners, lease_owner
from monitor.store.mutes import record_delivery
from monitor.store.util import chunks, insert_ignore

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True)
class OutboxRow:
    id: int
    digest: str
    channel: str
    message_id: str
    status: str
    subject: str
    payload: list[dict[str, str]]
    parts_sent: int
    stories: int
    attempts: int
    next_attempt_at: datetime | None
    claimed_until: datetime | None
    last_error: str | None


def _row(r: Any) -> OutboxRow:
    return OutboxRow(
        r.id, r.digest, r.channel, r.message_id, r.status, r.subject, json.loads(r.payload),
        r.parts_sent, r.stories, r.attempts, r.next_attempt_at, r.claimed_until, r.last_error,
    )  # fmt: skip


def touch_state(conn: sa.Connection, digest: str, channel: str, **values: Any) -> None:
    """Create the digest × channel row if needed, then set *values* (takes the write lock)."""
    insert_ignore(conn, delivery_state, {"digest": digest, "channel": channel})
    if values:
        conn.execute(
            _where_pair(sa.update(delivery_state), delivery_state, digest, channel).values(**values)
        )


def _where_pair(stmt: Any, table: sa.Table, digest: str, channel: str) -> Any:
    return stmt.where(table.c.digest == digest, table.c.channel == channel)


def pending(conn: sa.Connection, digest: str, channel: str) -> OutboxRow | None:
    q = _where_pair(sa.select(delivery_outbox), delivery_outbox, digest, channel)
    row = conn.execute(q.where(delivery_outbox.c.status == PENDING).order_by("id")).first()
    return _row(row) if row is not None else None


def enqueue(conn: sa.Connection, now: datetime, **values: Any) -> int:
    values.update(status=PENDING, created_at=now, next_attempt_at=now)
    row_id = conn.execute(
        sa.insert(delivery_outbox).values(**values).returning(delivery_outbox.c.id)
    ).scalar_one()
    return int(row_id)


def claim(conn: sa.Connection, row_id: int, now: datetime, lease: timedelta) -> OutboxRow | None:
    """Lease a pending row for one send attempt; None when it is delivered or leased elsewhere.

    A lease held by a process of this host that no longer runs (killed mid-send) is taken over
    at once; one held by a live process, or by another host, waits for ``claimed_until``.
    """
    free = [delivery_outbox.c.claimed_until.is_(None), delivery_outbox.c.claimed_until < now]
    dead = dead_local_owners(conn, delivery_outbox, now)
    if dead:
        free.append(delivery_outbox.c.claimed_by.in_(dead))
    result = conn.execute(
        sa.update(delivery_outbox)
        .where(delivery_outbox.c.id == row_id, delivery_outbox.c.status == PENDING, sa.or_(*free))
        .values(
            claimed_until=now + lease,
            claimed_by=lease_owner(),
            attempts=delivery_outbox.c.attempts + 1,
            last_attempt_at=now,
        )
    )
    if result.rowcount != 1:
        return None
    return _row(
        conn.execute(sa.select(delivery_outbox).where(delivery_outbox.c.id == row_id)).one()
    )


def progress(conn: sa.Connection, row_id: int, parts_sent: int) -> None:
    conn.execute(
        sa.update(delivery_outbox)
        .where(delivery_outbox.c.id == row_id)
        .values(parts_sent=parts_sent)
    )


def mark_delivered(conn: sa.Connection, row_id: int, now: datetime) -> None:
    """Delivered: the row, the watermark and the covered articles move together (and the
    coverage it held back for a mute is recorded, so it is neither counted again nor lost)."""
    row = conn.execute(sa.select(delivery_outbox).where(delivery_outbox.c.id == row_id)).one()
    conn.execute(
        sa.update(delivery_outbox)
        .where(delivery_outbox.c.id == row_id)
        .values(
            status=DELIVERED,
            delivered_at=now,
            claimed_until=None,
            claimed_by=None,
            parts_sent=len(json.loads(row.payload)),
        )
    )
    state = conn.execute(
        _where_pair(sa.select(delivery_state), delivery_state, row.digest, row.channel)
    ).first()
    watermark = row.watermark
    if state is not None and state.watermark is not None and watermark is not None:
        watermark = max(watermark, state.watermark)
    touch_state(
        conn, row.digest, row.channel,
        watermark=watermark if watermark is not None else (state.watermark if state else None),
        last_delivery=now, last_message_id=row.message_id,
    )  # fmt: skip
    covered = json.loads(row.articles)
    base = {"digest": row.digest, "channel": row.channel, "outbox_id": row_id, "seen_at": now}
    insert_ignore(
        conn, delivery_seen, [{**base, "article_id": i, "shown": True} for i in covered["shown"]]
    )
    for chunk in chunks(covered["shown"]):  # previously only counted in "and N more"
        conn.execute(
            _where_pair(sa.update(delivery_seen), delivery_seen, row.digest, row.channel)
            .where(delivery_seen.c.article_id.in_(chunk), delivery_seen.c.shown.is_(False))
            .values(shown=True, outbox_id=row_id, seen_at=now)
        )
    insert_ignore(
        conn, delivery_seen, [{**base, "article_id": i, "shown": False} for i in covered["hidden"]]
    )
    record_delivery(
        conn, row.digest, row.channel, row_id,
        held_ids=covered.get("held", ()), covered_ids=[*covered["shown"], *covered["hidden"]],
    )  # fmt: skip


def mark_failed(
    conn: sa.Connection, row_id: int, error: str, next_attempt_at: datetime | None
) -> None:
    """A failed attempt: retry at *next_attempt_at*, or give up (status failed) when None."""
    values: dict[str, Any] = {"last_error": error[:2000], "claimed_until": None, "claimed_by": None}
    if next_attempt_at is None:
        values["status"] = FAILED
    else:
        values["next_attempt_at"] = next_attempt_at
    conn.execute(sa.update(delivery_outbox).where(delivery_outbox.c.id == row_id).values(**values))


def pair_status(conn: sa.Connection, digest: str, channel: str) -> dict[str, Any]:
    """One digest × channel for `status`: last delivery, pending retries, last error."""
    state = conn.execute(
        _where_pair(sa.select(delivery_state), delivery_state, digest, channel)
    ).first()
    rows = conn.execute(
        _where_pair(sa.select(delivery_outbox), delivery_outbox, digest, channel)
        .where(delivery_outbox.c.status != DELIVERED)
        .order_by(delivery_outbox.c.id.desc())
    ).all()
    last_delivery = state.last_delivery if state is not None else None
    waiting = [r for r in rows if r.status == PENDING]
    recent = [r for r in rows if last_delivery is None or r.created_at >= last_delivery]
    return {
        "name": digest,
        "channel": channel,
        "last_delivery": _iso(last_delivery),
        "last_message_id": state.last_message_id if state is not None else None,
        "watermark": _iso(state.watermark) if state is not None else None,
        "pending": len(waiting),
        "attempts": waiting[0].attempts if waiting else 0,
        "next_attempt": _iso(waiting[-1].next_attempt_at) if waiting else None,
        "last_error": recent[0].last_error if recent else None,
        "failed": sum(1 for r in rows if r.status == FAILED),
    }


def pairs(conn: sa.Connection) -> list[tuple[str, str]]:
    q = sa.select(delivery_state.c.digest, delivery_state.c.channel).order_by("digest", "channel")
    return [(r.digest, r.channel) for r in conn.execute(q)]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
