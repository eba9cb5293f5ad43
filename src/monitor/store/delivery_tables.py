"""Delivery state tables: the outbox, watermarks per digest × channel, and what each was shown."""

from __future__ import annotations

import sqlalchemy as sa

from monitor.store.schema import metadata
from monitor.store.types import UTCDateTime

# One row per digest × channel: where its watermark stands and when it last ran.
delivery_state = sa.Table(
    "delivery_state",
    metadata,
    sa.Column("digest", sa.String(200), primary_key=True),
    sa.Column("channel", sa.String(200), primary_key=True),
    sa.Column("watermark", UTCDateTime, nullable=True),  # newest matched_at delivered
    sa.Column(
        "last_run", UTCDateTime, nullable=True
    ),  # schedule anchor: last build (or first sight)
    sa.Column("last_delivery", UTCDateTime, nullable=True),
    sa.Column("last_message_id", sa.String(300), nullable=True),
)

# A rendered digest on its way to one channel: stored before it is sent, marked after.
delivery_outbox = sa.Table(
    "delivery_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("digest", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(200), nullable=False),
    sa.Column("message_id", sa.String(300), nullable=False, unique=True),
    sa.Column("status", sa.String(16), nullable=False),  # pending | delivered | failed
    sa.Column("subject", sa.Text, nullable=False, server_default=""),
    sa.Column("payload", sa.Text, nullable=False),  # JSON list of rendered messages (parts)
    sa.Column("parts_sent", sa.Integer, nullable=False, server_default="0"),
    sa.Column("stories", sa.Integer, nullable=False, server_default="0"),
    sa.Column("watermark", UTCDateTime, nullable=True),  # the watermark delivery moves to
    sa.Column("articles", sa.Text, nullable=False),  # JSON {"shown", "hidden", "held": [ids]}
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime, nullable=True),
    sa.Column("last_attempt_at", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("claimed_until", UTCDateTime, nullable=True),  # lease of the worker sending it
    sa.Column("claimed_by", sa.String(200), nullable=True),  # host:pid of the lease holder (v5)
    sa.Column("delivered_at", UTCDateTime, nullable=True),
    sa.Index("ix_delivery_outbox_pair", "digest", "channel", "status"),
    sa.Index("ix_delivery_outbox_due", "status", "next_attempt_at"),
)

# Which articles a digest × channel has already covered (shown, or counted in "and N more").
delivery_seen = sa.Table(
    "delivery_seen",
    metadata,
    sa.Column("digest", sa.String(200), primary_key=True),
    sa.Column("channel", sa.String(200), primary_key=True),
    sa.Column(
        "article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("shown", sa.Boolean, nullable=False),
    sa.Column("outbox_id", sa.Integer, nullable=False),
    sa.Column("seen_at", UTCDateTime, nullable=False),
)
