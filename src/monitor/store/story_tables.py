"""Dedup and story tables: MinHash fingerprints and LSH bands, term statistics, stories."""

from __future__ import annotations

import sqlalchemy as sa

from monitor.store.schema import metadata
from monitor.store.types import UTCDateTime

# Level 2: one MinHash signature per article with enough text, and its LSH bands.
fingerprints = sa.Table(
    "fingerprints",
    metadata,
    sa.Column("article_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("signature", sa.LargeBinary, nullable=False),  # uint32[num_perm], little-endian
    sa.Column("seen", UTCDateTime, nullable=False),  # published, else stored time
)

# One row per LSH band: `band << 32 | crc32(band rows)` (see stories/copies.band_keys; migration
# v0006 has a frozen copy). SQLite stores it WITHOUT ROWID, so the primary key is the table and a
# band lookup is one B-tree range; the article_id index serves pruning (ids grow, so its inserts
# append) (v0006).
minhash_bands = sa.Table(
    "minhash_bands",
    metadata,
    sa.Column("band_hash", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("article_id", sa.Integer, primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,
)
sa.Index("ix_minhash_bands_article_id", minhash_bands.c.article_id)

# Level 3: document frequencies of hashed terms (words and entity channel) and counters.
term_stats = sa.Table(
    "term_stats",
    metadata,
    sa.Column("term", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("df", sa.Integer, nullable=False),
)

story_counters = sa.Table(
    "story_counters",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

stories = sa.Table(
    "stories",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("title", sa.Text, nullable=False, server_default=""),
    sa.Column("title_article_id", sa.Integer, nullable=True),
    sa.Column("title_centrality", sa.Float, nullable=False, server_default="0"),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    sa.Column("last_seen", UTCDateTime, nullable=False, index=True),
    sa.Column("size", sa.Integer, nullable=False, server_default="0"),
    sa.Column("centroid", sa.LargeBinary, nullable=False),  # packed sparse channels, see stories.py
)

story_articles = sa.Table(
    "story_articles",
    metadata,
    sa.Column("article_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("story_id", sa.Integer, nullable=False, index=True),
    sa.Column("seen", UTCDateTime, nullable=False),
    sa.Column("duplicate_of", sa.Integer, nullable=True),
    sa.Column("vector", sa.LargeBinary, nullable=True),  # top word weights
)

# Candidate retrieval: an article's most specific terms → its story.
story_postings = sa.Table(
    "story_postings",
    metadata,
    sa.Column("term", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("story_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_seen", UTCDateTime, nullable=False),
)
sa.Index("ix_story_postings_story_id", story_postings.c.story_id)
# Per-term recency (v0004): a term's most recent stories are read without sorting its whole list.
sa.Index(
    "ix_story_postings_term_recent",
    story_postings.c.term,
    story_postings.c.last_seen,
    story_postings.c.story_id,
)
