"""Version 1: sources, articles, their links to sources, topic matches."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

from monitor.store.types import UTCDateTime

VERSION = 1


def upgrade(op: Operations) -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("current_url", sa.Text, nullable=True),
        sa.Column("type", sa.String(16), nullable=False, server_default="feed"),
        sa.Column("etag", sa.Text, nullable=True),
        sa.Column("last_modified", sa.Text, nullable=True),
        sa.Column("last_success", UTCDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("last_error_at", UTCDateTime, nullable=True),
        sa.Column("error_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_check_at", UTCDateTime, nullable=True),
        sa.Column("interval_seconds", sa.Float, nullable=True),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("disabled_reason", sa.Text, nullable=True),
        sa.Column("malformed", sa.Text, nullable=True),
        sa.Column("claimed_until", UTCDateTime, nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("items_seen", sa.Integer, nullable=False, server_default="0"),
        sa.Column("articles_stored", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_sources_next_check_at", "sources", ["next_check_at"])
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("canonical_url", sa.String(2000), nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("author", sa.Text, nullable=True),
        sa.Column("published", UTCDateTime, nullable=True),
        sa.Column("fetched", UTCDateTime, nullable=True),
        sa.Column("stored_at", UTCDateTime, nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("site_name", sa.Text, nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("duplicate_of", sa.Integer, nullable=True),
        sa.Column("story_id", sa.Integer, nullable=True),
    )
    for column in ("published", "stored_at", "duplicate_of", "story_id"):
        op.create_index(f"ix_articles_{column}", "articles", [column])
    op.create_table(
        "article_sources",
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("guid", sa.String(2000), nullable=True),
        sa.Column("first_seen", UTCDateTime, nullable=False),
        sa.UniqueConstraint("source", "guid", name="uq_article_sources_source_guid"),
    )
    op.create_table(
        "topic_matches",
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("topic", sa.String(200), primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("hits", sa.Text, nullable=False),
        sa.Column("snippet", sa.Text, nullable=False, server_default=""),
        sa.Column("matched_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_topic_matches_matched_at", "topic_matches", ["matched_at"])
    op.create_table(
        "topic_state",
        sa.Column("topic", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
