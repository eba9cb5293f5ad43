"""Store side of placing an article again (`stories/refresh.py`): where it is, and taking it out
of its story, its copy signature and the document frequencies it counted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa

from monitor.store.mutes import forget_story
from monitor.store.schema import articles
from monitor.store.story_tables import (
    fingerprints,
    minhash_bands,
    stories,
    story_articles,
    story_counters,
    story_postings,
    term_stats,
)
from monitor.store.util import chunks


class Place(NamedTuple):
    story_id: int
    duplicate_of: int | None  # a copy of this original


def place(conn: sa.Connection, article_id: int) -> Place | None:
    """The story an article is a member of, and its original if it is a copy (None: in none)."""
    row = conn.execute(
        sa.select(story_articles.c.story_id, story_articles.c.duplicate_of).where(
            story_articles.c.article_id == article_id
        )
    ).first()
    return None if row is None else Place(int(row[0]), row[1])


def has_copies(conn: sa.Connection, article_id: int) -> bool:
    """Whether other articles were folded onto this one as its copies."""
    copy = sa.select(articles.c.id).where(articles.c.duplicate_of == article_id).limit(1)
    member = (
        sa.select(story_articles.c.article_id)
        .where(story_articles.c.duplicate_of == article_id)
        .limit(1)
    )
    return conn.execute(copy).first() is not None or conn.execute(member).first() is not None


def forget_fingerprint(conn: sa.Connection, article_id: int) -> None:
    conn.execute(sa.delete(minhash_bands).where(minhash_bands.c.article_id == article_id))
    conn.execute(sa.delete(fingerprints).where(fingerprints.c.article_id == article_id))


def leave(conn: sa.Connection, article_id: int) -> None:
    """The article is in no story and a copy of nothing (until it is placed again)."""
    conn.execute(sa.delete(story_articles).where(story_articles.c.article_id == article_id))
    conn.execute(
        sa.update(articles)
        .where(articles.c.id == article_id)
        .values(story_id=None, duplicate_of=None)
    )


def shrink(conn: sa.Connection, story_id: int) -> None:
    """One member fewer (its centroid kept: a copy added nothing to it)."""
    conn.execute(
        sa.update(stories)
        .where(stories.c.id == story_id, stories.c.size > 0)
        .values(size=stories.c.size - 1)
    )


def drop_story(conn: sa.Connection, story_id: int) -> None:
    """A story left without members goes, with its index postings and its mute."""
    conn.execute(sa.delete(story_postings).where(story_postings.c.story_id == story_id))
    forget_story(conn, story_id)
    conn.execute(sa.delete(stories).where(stories.c.id == story_id))


def give_back(conn: sa.Connection, terms: Sequence[int]) -> None:
    """Uncount one document from each of *terms* and from the articles counter (what clustering
    an original counted, `story_writes.take_df` and `take_count`)."""
    for chunk in chunks(sorted(set(terms))):
        conn.execute(
            sa.update(term_stats)
            .where(term_stats.c.term.in_(chunk), term_stats.c.df > 0)
            .values(df=term_stats.c.df - 1)
        )
        conn.execute(
            sa.delete(term_stats).where(term_stats.c.term.in_(chunk), term_stats.c.df <= 0)
        )
    conn.execute(
        sa.update(story_counters)
        .where(story_counters.c.name == "articles", story_counters.c.value > 0)
        .values(value=story_counters.c.value - 1)
    )
