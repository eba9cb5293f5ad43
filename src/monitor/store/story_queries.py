"""Reading and pruning stories: `news-monitor stories` and the retention maintenance job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from monitor.store.schema import articles, topic_matches
from monitor.store.story_tables import (
    fingerprints,
    minhash_bands,
    stories,
    story_articles,
    story_postings,
)


@dataclass(frozen=True)
class StoryArticle:
    """One article of a story, as `stories --json` shows it."""

    id: int
    url: str
    source: str
    title: str
    published: datetime | None
    duplicate_of: int | None


@dataclass(frozen=True)
class StoryView:
    """A story with its articles and the topics they matched."""

    id: int
    title: str
    first_seen: datetime
    last_seen: datetime
    topics: list[str]
    articles: list[StoryArticle]

    def as_dict(self) -> dict[str, Any]:
        """The `stories --json` shape of SPEC.md (ISO 8601 times with offset)."""
        return {
            "id": self.id,
            "title": self.title,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "topics": self.topics,
            "articles": [
                {
                    "id": a.id,
                    "url": a.url,
                    "source": a.source,
                    "title": a.title,
                    "published": a.published.isoformat() if a.published else None,
                    "duplicate_of": a.duplicate_of,
                }
                for a in self.articles
            ],
        }


def list_stories(
    conn: sa.Connection, *, topic: str | None = None, since: datetime | None = None
) -> list[StoryView]:
    """Stories seen since *since* (by last article), optionally only those matching *topic*."""
    query = sa.select(stories).order_by(stories.c.last_seen.desc(), stories.c.id.desc())
    if since is not None:
        query = query.where(stories.c.last_seen >= since)
    if topic is not None:
        query = query.where(
            sa.exists()
            .where(articles.c.story_id == stories.c.id)
            .where(topic_matches.c.article_id == articles.c.id)
            .where(topic_matches.c.topic == topic)
        )
    out = []
    for row in conn.execute(query).all():
        members = conn.execute(
            sa.select(articles)
            .where(articles.c.story_id == row.id)
            .order_by(articles.c.published, articles.c.id)
        ).all()
        topics = conn.execute(
            sa.select(topic_matches.c.topic)
            .distinct()
            .where(topic_matches.c.article_id.in_([m.id for m in members]))
            .order_by(topic_matches.c.topic)
        ).scalars()
        out.append(
            StoryView(
                row.id,
                row.title,
                row.first_seen,
                row.last_seen,
                list(topics),
                [
                    StoryArticle(m.id, m.url, m.source, m.title, m.published, m.duplicate_of)
                    for m in members
                ],
            )
        )
    return out


@dataclass(frozen=True)
class PruneReport:
    """What a maintenance run removed."""

    texts: int
    fingerprints: int
    stories: int


def prune(
    conn: sa.Connection,
    now: datetime,
    retention: timedelta | float,
    fingerprint_retention: timedelta | float,
) -> PruneReport:
    """Drop article text after *retention* and dedup/story state after *fingerprint_retention*,
    both counted from when the article was stored (floats are seconds). Old stories keep their
    row (id, title, dates) for the articles that refer to them, but lose centroid and postings."""
    if not isinstance(retention, timedelta):
        retention = timedelta(seconds=retention)
    if not isinstance(fingerprint_retention, timedelta):
        fingerprint_retention = timedelta(seconds=fingerprint_retention)
    texts = conn.execute(
        sa.update(articles)
        .where(articles.c.stored_at < now - retention, articles.c.text.is_not(None))
        .values(text=None)
    ).rowcount
    old = sa.select(articles.c.id).where(articles.c.stored_at < now - fingerprint_retention)
    conn.execute(sa.delete(minhash_bands).where(minhash_bands.c.article_id.in_(old)))
    gone = conn.execute(sa.delete(fingerprints).where(fingerprints.c.article_id.in_(old))).rowcount
    newest = (
        sa.select(story_articles.c.story_id)
        .join(articles, articles.c.id == story_articles.c.article_id)
        .group_by(story_articles.c.story_id)
        .having(sa.func.max(articles.c.stored_at) < now - fingerprint_retention)
    )
    dead = [int(x) for x in conn.execute(newest).scalars()]
    for i in range(0, len(dead), 500):
        chunk = dead[i : i + 500]
        conn.execute(sa.delete(story_postings).where(story_postings.c.story_id.in_(chunk)))
        conn.execute(sa.delete(story_articles).where(story_articles.c.story_id.in_(chunk)))
        conn.execute(sa.update(stories).where(stories.c.id.in_(chunk)).values(centroid=b""))
    return PruneReport(int(texts), int(gone), len(dead))
