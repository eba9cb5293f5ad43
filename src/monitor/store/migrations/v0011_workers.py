"""Version 11: the worker processes of a cluster (host, pid, start, heartbeat), for `status`,
for the leases of a worker that died on another host, and for the per-host fetch slots."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

from monitor.store.types import UTCDateTime

VERSION = 11


def upgrade(op: Operations) -> None:
    op.create_table(
        "workers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(300), nullable=False, unique=True),  # host:pid
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("last_heartbeat", UTCDateTime, nullable=False),
        sa.Column("stalled_after", sa.Float, nullable=False),  # seconds, as this worker says
        sa.Column("stopped_at", UTCDateTime, nullable=True),  # a clean stop
        sa.Column("queue_worker_id", sa.BigInteger, nullable=True),  # procrastinate_workers.id
        sa.Column("concurrency", sa.Integer, nullable=False, server_default="1"),
        sa.Column("queues", sa.String(500), nullable=True),  # comma-separated; NULL: all
    )
