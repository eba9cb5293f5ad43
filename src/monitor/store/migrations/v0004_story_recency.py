"""Version 4: story postings indexed by (term, last_seen, story_id) for bounded candidate lookup."""

from __future__ import annotations

from alembic.operations import Operations

VERSION = 4


def upgrade(op: Operations) -> None:
    op.create_index(
        "ix_story_postings_term_recent", "story_postings", ["term", "last_seen", "story_id"]
    )
