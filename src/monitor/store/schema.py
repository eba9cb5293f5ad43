"""The core tables (sources, articles, matches); other stages add theirs to the same metadata."""

from __future__ import annotations

import sqlalchemy as sa

from monitor.store.types import UTCDateTime

metadata = sa.MetaData()

sources = sa.Table(
    "sources",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("url", sa.Text, nullable=False),  # as configured
    sa.Column("current_url", sa.Text, nullable=True),  # after a permanent redirect
    sa.Column("type", sa.String(16), nullable=False, server_default="feed"),
    sa.Column("etag", sa.Text, nullable=True),
    sa.Column("last_modified", sa.Text, nullable=True),
    sa.Column("last_success", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("last_error_at", UTCDateTime, nullable=True),
    sa.Column("error_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_check_at", UTCDateTime, nullable=True, index=True),
    sa.Column("interval_seconds", sa.Float, nullable=True),  # effective (adaptive) interval
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("disabled_reason", sa.Text, nullable=True),
    sa.Column("malformed", sa.Text, nullable=True),  # why the last document was salvaged
    sa.Column("claimed_until", UTCDateTime, nullable=True),  # lease of the worker polling it
    sa.Column("claimed_by", sa.String(200), nullable=True),  # host:pid of the lease holder
    sa.Column("items_seen", sa.Integer, nullable=False, server_default="0"),
    sa.Column("articles_stored", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # the last poll's health (v7): "ok", "degraded" (some items read), "failed" (none); NULL: never
    sa.Column("health", sa.String(16), nullable=True),
    sa.Column("last_error_hint", sa.Text, nullable=True),
    sa.Column("last_poll_seconds", sa.Float, nullable=True),
    sa.Column("items_skipped", sa.Integer, nullable=False, server_default="0"),
    sa.Column("skip_reasons", sa.Text, nullable=True),  # JSON [{reason, count, example}]
    sa.Column("empty_polls", sa.Integer, nullable=False, server_default="0"),  # in a row
)

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("canonical_url", sa.String(2000), nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False, server_default=""),
    sa.Column("text", sa.Text, nullable=True),  # NULL once pruned after retention
    sa.Column("author", sa.Text, nullable=True),
    sa.Column("published", UTCDateTime, nullable=True, index=True),
    sa.Column("fetched", UTCDateTime, nullable=True),
    sa.Column("stored_at", UTCDateTime, nullable=False, index=True),
    sa.Column("language", sa.String(16), nullable=True),
    sa.Column("site_name", sa.Text, nullable=True),
    sa.Column("source", sa.String(200), nullable=False),  # name of the first source that had it
    sa.Column("duplicate_of", sa.Integer, nullable=True, index=True),
    sa.Column("story_id", sa.Integer, nullable=True, index=True),
)

article_sources = sa.Table(
    "article_sources",
    metadata,
    sa.Column(
        "article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("source", sa.String(200), primary_key=True),
    sa.Column("guid", sa.String(2000), nullable=True),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    sa.UniqueConstraint("source", "guid", name="uq_article_sources_source_guid"),
)

topic_matches = sa.Table(
    "topic_matches",
    metadata,
    sa.Column(
        "article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("topic", sa.String(200), primary_key=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("hits", sa.Text, nullable=False),  # JSON list of {term, field, positions}
    sa.Column("snippet", sa.Text, nullable=False, server_default=""),
    sa.Column("matched_at", UTCDateTime, nullable=False, index=True),
)

topic_state = sa.Table(
    "topic_state",
    metadata,
    sa.Column("topic", sa.String(200), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),  # hash of query + scopes
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
