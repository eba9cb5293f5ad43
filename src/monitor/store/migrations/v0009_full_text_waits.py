"""Version 9: articles stored with their feed's teaser because the page fetch failed for a while
(a timeout, a 5xx, a lost connection) or extraction timed out, and wait for their full text:
attempts so far, when the next one is due, the last error (redacted), and when it was given up."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

from monitor.store.types import UTCDateTime

VERSION = 9


def upgrade(op: Operations) -> None:
    op.create_table(
        "full_text_waits",
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime, nullable=True),  # NULL once given up
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("first_failed_at", UTCDateTime, nullable=False),
        sa.Column("last_attempt_at", UTCDateTime, nullable=True),
        sa.Column("gave_up_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_full_text_waits_next_attempt_at", "full_text_waits", ["next_attempt_at"])
