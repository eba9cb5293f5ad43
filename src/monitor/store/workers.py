"""The worker processes of a cluster: registered at start, a heartbeat while they run, stopped
or gone (no heartbeat for their `stalled_after`); read by `status`, the leases and the web app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from monitor.store.schema import metadata
from monitor.store.types import UTCDateTime

workers = sa.Table(
    "workers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(300), nullable=False, unique=True),  # host:pid, as in leases
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("last_heartbeat", UTCDateTime, nullable=False),
    sa.Column("stalled_after", sa.Float, nullable=False),  # seconds, as this worker says
    sa.Column("stopped_at", UTCDateTime, nullable=True),  # a clean stop
    sa.Column("queue_worker_id", sa.BigInteger, nullable=True),  # procrastinate_workers.id
    sa.Column("concurrency", sa.Integer, nullable=False, server_default="1"),
    sa.Column("queues", sa.String(500), nullable=True),  # comma-separated; NULL: every queue
)
_w = workers.c
KEEP_GONE = timedelta(days=1)  # a stopped or gone worker stays listed this long


@dataclass(frozen=True)
class WorkerRow:
    id: int
    name: str
    host: str
    pid: int
    started_at: datetime
    last_heartbeat: datetime
    stalled_after: float
    stopped_at: datetime | None
    queue_worker_id: int | None
    concurrency: int
    queues: str | None

    def state(self, now: datetime) -> str:
        """running, stopped (cleanly) or gone (no heartbeat for its stalled_after)."""
        if self.stopped_at is not None:
            return "stopped"
        if self.last_heartbeat + timedelta(seconds=self.stalled_after) < now:
            return "gone"
        return "running"


def register(
    conn: sa.Connection,
    name: str,
    host: str,
    pid: int,
    now: datetime,
    *,
    stalled_after: float,
    concurrency: int,
    queues: str | None,
) -> int:
    """A starting worker's row (a row of an earlier process with the same host:pid is reused)."""
    conn.execute(sa.delete(workers).where(_w.name == name))
    value = conn.execute(
        sa.insert(workers)
        .values(
            name=name,
            host=host,
            pid=pid,
            started_at=now,
            last_heartbeat=now,
            stalled_after=stalled_after,
            concurrency=concurrency,
            queues=queues,
        )  # fmt: skip
        .returning(_w.id)
    ).scalar_one()
    return int(value)


def beat(conn: sa.Connection, worker_id: int, now: datetime, queue_worker_id: int | None) -> bool:
    """A heartbeat; False when the row is gone (pruned while this worker could not reach the
    database), so that the caller registers again."""
    result = conn.execute(
        sa.update(workers)
        .where(_w.id == worker_id)
        .values(last_heartbeat=now, queue_worker_id=queue_worker_id, stopped_at=None)
    )
    return result.rowcount == 1


def stopped(conn: sa.Connection, worker_id: int, now: datetime) -> None:
    conn.execute(sa.update(workers).where(_w.id == worker_id).values(stopped_at=now))


def listed(conn: sa.Connection, now: datetime) -> list[WorkerRow]:
    """Every worker seen within KEEP_GONE, running ones first, then by name."""
    rows = conn.execute(
        sa.select(workers).where(_w.last_heartbeat >= now - KEEP_GONE).order_by(_w.name)
    )
    found = [WorkerRow(**r._mapping) for r in rows]
    return sorted(found, key=lambda w: (w.state(now) != "running", w.name))


def gone_names(conn: sa.Connection, now: datetime, names: list[str]) -> list[str]:
    """Those of *names* (lease holders) that are workers stopped or gone."""
    if not names:
        return []
    rows = conn.execute(sa.select(workers).where(_w.name.in_(names)))
    return [r.name for r in (WorkerRow(**r._mapping) for r in rows) if r.state(now) != "running"]


def prune(conn: sa.Connection, now: datetime) -> int:
    result = conn.execute(sa.delete(workers).where(_w.last_heartbeat < now - KEEP_GONE))
    return int(result.rowcount or 0)
