"""Version 2: dedup fingerprints and LSH bands, term statistics, stories and their postings."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

from monitor.store.types import UTCDateTime

VERSION = 2


def upgrade(op: Operations) -> None:
    op.create_table(
        "fingerprints",
        sa.Column("article_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.Column("seen", UTCDateTime, nullable=False),
    )
    op.create_table(
        "minhash_bands",
        sa.Column("band", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("article_id", sa.Integer, primary_key=True, autoincrement=False),
    )
    op.create_index("ix_minhash_bands_article_id", "minhash_bands", ["article_id"])
    op.create_table(
        "term_stats",
        sa.Column("term", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("df", sa.Integer, nullable=False),
    )
    op.create_table(
        "story_counters",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("title_article_id", sa.Integer, nullable=True),
        sa.Column("title_centrality", sa.Float, nullable=False, server_default="0"),
        sa.Column("first_seen", UTCDateTime, nullable=False),
        sa.Column("last_seen", UTCDateTime, nullable=False),
        sa.Column("size", sa.Integer, nullable=False, server_default="0"),
        sa.Column("centroid", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_stories_last_seen", "stories", ["last_seen"])
    op.create_table(
        "story_articles",
        sa.Column("article_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("story_id", sa.Integer, nullable=False),
        sa.Column("seen", UTCDateTime, nullable=False),
        sa.Column("duplicate_of", sa.Integer, nullable=True),
        sa.Column("vector", sa.LargeBinary, nullable=True),  # top word weights
    )
    op.create_index("ix_story_articles_story_id", "story_articles", ["story_id"])
    op.create_table(
        "story_postings",
        sa.Column("term", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("story_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_seen", UTCDateTime, nullable=False),
    )
    op.create_index("ix_story_postings_story_id", "story_postings", ["story_id"])
