"""Version 3: the delivery outbox, per digest × channel watermarks, and covered articles."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

from monitor.store.types import UTCDateTime

VERSION = 3


def upgrade(op: Operations) -> None:
    op.create_table(
        "delivery_state",
        sa.Column("digest", sa.String(200), primary_key=True),
        sa.Column("channel", sa.String(200), primary_key=True),
        sa.Column("watermark", UTCDateTime, nullable=True),
        sa.Column("last_run", UTCDateTime, nullable=True),
        sa.Column("last_delivery", UTCDateTime, nullable=True),
        sa.Column("last_message_id", sa.String(300), nullable=True),
    )
    op.create_table(
        "delivery_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("digest", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("message_id", sa.String(300), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("subject", sa.Text, nullable=False, server_default=""),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("parts_sent", sa.Integer, nullable=False, server_default="0"),
        sa.Column("stories", sa.Integer, nullable=False, server_default="0"),
        sa.Column("watermark", UTCDateTime, nullable=True),
        sa.Column("articles", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime, nullable=True),
        sa.Column("last_attempt_at", UTCDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("claimed_until", UTCDateTime, nullable=True),
        sa.Column("delivered_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_delivery_outbox_pair", "delivery_outbox", ["digest", "channel", "status"])
    op.create_index("ix_delivery_outbox_due", "delivery_outbox", ["status", "next_attempt_at"])
    op.create_table(
        "delivery_seen",
        sa.Column("digest", sa.String(200), primary_key=True),
        sa.Column("channel", sa.String(200), primary_key=True),
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("shown", sa.Boolean, nullable=False),
        sa.Column("outbox_id", sa.Integer, nullable=False),
        sa.Column("seen_at", UTCDateTime, nullable=False),
    )
