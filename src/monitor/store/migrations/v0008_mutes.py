"""Mutes: stories and topics left out of digests for a while, and the coverage they held back."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

from monitor.store.types import UTCDateTime

VERSION = 8


def upgrade(op: Operations) -> None:
    op.create_table(
        "mute_held",
        sa.Column("outbox_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index("ix_mute_held_article_id", "mute_held", ["article_id"])
    op.create_table(
        "mutes",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("target", sa.String(200), primary_key=True),
        sa.Column("split_from", sa.Integer, nullable=True),
        sa.Column("muted_at", UTCDateTime, nullable=False),
        sa.Column("until", UTCDateTime),  # NULL: until unmuted
    )
