"""The workers' task queue in PostgreSQL (procrastinate's tables): its schema brought up to the
installed procrastinate, and what `status` and the metrics read of it (jobs by state, the
oldest waiting, the jobs each worker holds). On SQLite there is no queue: every query says so."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata, resources

import sqlalchemy as sa

log = logging.getLogger(__name__)
_FILE = re.compile(r"^(\d+)\.(\d+)\.(\d+)_(\d+)_.*\.sql$")

Version = tuple[int, ...]


def _version(text: str) -> Version:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def installed_version() -> str:
    return metadata.version("procrastinate")


def migration_files(after: Version, upto: Version) -> list[tuple[str, str]]:
    """procrastinate's migration files (name, SQL) of the releases after *after* up to *upto*,
    in order: `pre` and `post` files of one release in their numbered order."""
    folder = resources.files("procrastinate.sql") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match is None:
            continue
        release = tuple(int(match.group(i)) for i in (1, 2, 3))
        if after < release <= upto:
            found.append((release, int(match.group(4)), entry.name, entry))
    found.sort()
    return [(name, entry.read_text(encoding="utf-8")) for *_, name, entry in found]


def upgrade(conn: sa.Connection) -> list[str]:
    """Bring procrastinate's schema (installed by migration 10) up to the installed
    procrastinate by its own migration files; the names applied. Called under the migration
    lock on every writing start; a no-op on SQLite and when the versions agree."""
    if conn.dialect.name != "postgresql":
        return []
    recorded = conn.execute(sa.text("SELECT version FROM task_queue_schema WHERE id = 1")).scalar()
    if recorded is None:
        return []
    now = installed_version()
    if _version(now) <= _version(str(recorded)):
        return []  # the same (or an older procrastinate: its schema is compatible downwards)
    applied = []
    for name, sql in migration_files(_version(str(recorded)), _version(now)):
        log.info("store: applying procrastinate migration %s", name)
        conn.exec_driver_sql(sql.replace("%", "%%"))  # no parameters: % is literal
        applied.append(name)
    conn.execute(sa.text("UPDATE task_queue_schema SET version = :v WHERE id = 1"), {"v": now})
    return applied


def schema_version(conn: sa.Connection) -> str | None:
    """The procrastinate version whose schema the database holds (None: no queue here)."""
    if conn.dialect.name != "postgresql" or not sa.inspect(conn).has_table("task_queue_schema"):
        return None
    value = conn.execute(sa.text("SELECT version FROM task_queue_schema WHERE id = 1")).scalar()
    return None if value is None else str(value)


@dataclass(frozen=True)
class QueueDepth:
    """The jobs of the queue by state, and when the oldest waiting one was deferred."""

    due: int = 0  # waiting, may start now
    scheduled: int = 0  # waiting for a later time (a retry's backoff)
    running: int = 0
    failed: int = 0
    succeeded: int = 0  # kept ones only (succeeded jobs are deleted as they end)
    cancelled: int = 0
    aborted: int = 0
    oldest_waiting: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "due": self.due,
            "scheduled": self.scheduled,
            "running": self.running,
            "failed": self.failed,
            "succeeded": self.succeeded,
            "cancelled": self.cancelled,
            "aborted": self.aborted,
            "oldest_waiting": self.oldest_waiting.isoformat() if self.oldest_waiting else None,
        }


def has_queue(conn: sa.Connection) -> bool:
    return conn.dialect.name == "postgresql" and sa.inspect(conn).has_table("procrastinate_jobs")


def queue_depth(conn: sa.Connection) -> QueueDepth | None:
    """The queue's jobs by state (None on a database without a queue: SQLite)."""
    if not has_queue(conn):
        return None
    rows = conn.execute(
        sa.text(
            "SELECT CASE WHEN status = 'todo' AND scheduled_at > now() THEN 'scheduled' "
            "WHEN status = 'todo' THEN 'due' WHEN status = 'doing' THEN 'running' "
            "ELSE status::text END AS state, count(*) AS n "
            "FROM procrastinate_jobs GROUP BY 1"
        )
    ).all()
    counts = {r.state: int(r.n) for r in rows}
    oldest = conn.execute(
        sa.text(
            "SELECT min(e.at) FROM procrastinate_jobs j JOIN procrastinate_events e "
            "ON e.job_id = j.id AND e.type IN ('deferred', 'deferred_for_retry') "
            "WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())"
        )
    ).scalar()
    fields = QueueDepth.__dataclass_fields__
    return QueueDepth(**{k: v for k, v in counts.items() if k in fields}, oldest_waiting=oldest)


def jobs_in_hand(conn: sa.Connection) -> dict[int, int]:
    """procrastinate worker id → how many jobs it runs now."""
    if not has_queue(conn):
        return {}
    rows = conn.execute(
        sa.text(
            "SELECT worker_id, count(*) AS n FROM procrastinate_jobs "
            "WHERE status = 'doing' AND worker_id IS NOT NULL GROUP BY worker_id"
        )
    )
    return {int(r.worker_id): int(r.n) for r in rows}


def failed_jobs(conn: sa.Connection, limit: int = 20) -> list[dict[str, object]]:
    """The latest failed jobs (task, arguments, attempts), for `status`."""
    if not has_queue(conn):
        return []
    rows = conn.execute(
        sa.text(
            "SELECT id, task_name, args, attempts FROM procrastinate_jobs "
            "WHERE status = 'failed' ORDER BY id DESC LIMIT :n"
        ),
        {"n": limit},
    )
    return [
        {"id": int(r.id), "task": r.task_name, "args": r.args, "attempts": int(r.attempts)}
        for r in rows
    ]


def busy_locks(conn: sa.Connection, prefix: str) -> set[str]:
    """The locks (beginning with *prefix*) of jobs waiting or running: the tick defers no second
    job for them."""
    if not has_queue(conn):
        return set()
    rows = conn.execute(
        sa.text(
            "SELECT DISTINCT queueing_lock FROM procrastinate_jobs "
            "WHERE status IN ('todo', 'doing') AND queueing_lock LIKE :p"
        ),
        {"p": prefix.replace("%", r"\%").replace("_", r"\_") + "%"},
    ).scalars()
    return {str(r) for r in rows}


def workers_view(conn: sa.Connection, now: datetime) -> list[dict[str, object]]:
    """The cluster's workers for `status --json` and the web app: host, pid, start, last
    heartbeat, state (running, stopped, gone) and the jobs each holds now."""
    from monitor.store.workers import listed

    held = jobs_in_hand(conn)
    return [
        {
            "name": w.name,
            "host": w.host,
            "pid": w.pid,
            "started": w.started_at.isoformat(),
            "last_heartbeat": w.last_heartbeat.isoformat(),
            "state": w.state(now),
            "jobs_in_hand": held.get(w.queue_worker_id, 0)
            if w.queue_worker_id is not None and w.state(now) == "running"
            else 0,
            "concurrency": w.concurrency,
            "queues": w.queues.split(",") if w.queues else None,
        }
        for w in listed(conn, now)
    ]
