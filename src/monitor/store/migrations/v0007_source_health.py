"""Version 7: a source's health after its last poll: ok, degraded or failed, with the error's
hint, how long the poll took, the items it skipped and why, and how many polls found no items."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

VERSION = 7


def upgrade(op: Operations) -> None:
    op.add_column("sources", sa.Column("health", sa.String(16), nullable=True))
    op.add_column("sources", sa.Column("last_error_hint", sa.Text, nullable=True))
    op.add_column("sources", sa.Column("last_poll_seconds", sa.Float, nullable=True))
    op.add_column(
        "sources", sa.Column("items_skipped", sa.Integer, nullable=False, server_default="0")
    )
    op.add_column("sources", sa.Column("skip_reasons", sa.Text, nullable=True))  # a JSON list
    op.add_column(
        "sources", sa.Column("empty_polls", sa.Integer, nullable=False, server_default="0")
    )
