"""Reading and pruning stories: `news-monitor stories` and the retention maintenance job."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from monitor.store.first_reports import FirstReport, first_report
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
    first: FirstReport | None = None  # who reported it first (store/first_reports.py)

    def as_dict(self) -> dict[str, Any]:
        """The `stories --json` shape of SPEC.md (ISO 8601 times with offset), with the first
        reporter: its source, its time, the second source and the lead over it."""
        second = self.first.second if self.first else None
        lead = self.first.lead if self.first else None
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
            "first_source": self.first.first.source if self.first else None,
            "first_published": self.first.first.at.isoformat() if self.first else None,
            "second_source": second.source if second else None,
            "lead_seconds": lead.total_seconds() if lead is not None else None,
        }


def story_filter(query: Any, topic: str | None, since: datetime | None) -> Any:
    """*query* over `stories` limited to those seen since *since* (by last article) with an
    article matching *topic* (each when given): `stories` and the web app's story list."""
    if since is not None:
        query = query.where(stories.c.last_seen >= since)
    if topic is not None:
        query = query.where(
            sa.exists()
            .where(articles.c.story_id == stories.c.id)
            .where(topic_matches.c.article_id == articles.c.id)
            .where(topic_matches.c.topic == topic)
        )
    return query


def list_stories(
    conn: sa.Connection, *, topic: str | None = None, since: datetime | None = None
) -> list[StoryView]:
    """Stories seen since *since* (by last article), optionally only those matching *topic*."""
    query = sa.select(stories).order_by(stories.c.last_seen.desc(), stories.c.id.desc())
    query = story_filter(query, topic, since)
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
                first_report(members),
            )
        )
    return out


@dataclass(frozen=True)
class PruneReport:
    """What a maintenance run removed."""

    texts: int
    fingerprints: int
    stories: int


_BATCH = 2000  # articles per pruning step (one transaction each when given an Engine)


def prune(
    bind: sa.Engine | sa.Connection,
    now: datetime,
    retention: timedelta | float,
    fingerprint_retention: timedelta | float,
) -> PruneReport:
    """Drop article text after *retention* and dedup/story state after *fingerprint_retention*,
    both counted from when the article was stored (floats are seconds). Old stories keep their
    row (id, title, dates) for the articles that refer to them, but lose centroid and postings.

    Articles are visited in (stored_at, id) order, _BATCH at a time. Given an Engine, each batch
    is its own committed transaction, so a large store is pruned in bounded steps (a crash loses
    at most one step; the next run continues); given a Connection, everything happens inside the
    caller's transaction."""
    if not isinstance(retention, timedelta):
        retention = timedelta(seconds=retention)
    if not isinstance(fingerprint_retention, timedelta):
        fingerprint_retention = timedelta(seconds=fingerprint_retention)
    texts = gone = dead = 0
    for conn, ids in _batches(bind, now - retention, articles.c.text.is_not(None)):
        texts += conn.execute(
            sa.update(articles)
            .where(articles.c.id.in_(ids), articles.c.text.is_not(None))
            .values(text=None)
        ).rowcount
    cutoff = now - fingerprint_retention
    # only articles with dedup/story state left: the rest were pruned by an earlier run
    state = sa.or_(
        sa.exists().where(fingerprints.c.article_id == articles.c.id),
        sa.exists().where(story_articles.c.article_id == articles.c.id),
    )
    for conn, ids in _batches(bind, cutoff, state):
        conn.execute(sa.delete(minhash_bands).where(minhash_bands.c.article_id.in_(ids)))
        gone += conn.execute(
            sa.delete(fingerprints).where(fingerprints.c.article_id.in_(ids))
        ).rowcount
        dead += _prune_stories(conn, ids, cutoff)
    return PruneReport(int(texts), int(gone), dead)


def _batches(
    bind: sa.Engine | sa.Connection, cutoff: datetime, pending: sa.ColumnElement[bool]
) -> Iterator[tuple[sa.Connection, list[int]]]:
    """Ids of the articles stored before *cutoff* that still have work (*pending*), _BATCH at a
    time, by a keyset over the stored_at index, each with the connection to act on (a new
    transaction per batch for an Engine, committed when the consumer asks for the next batch).
    Already-pruned articles are not visited again, so the hourly run costs little."""
    after: tuple[datetime, int] | None = None
    while True:
        with bind.begin() if isinstance(bind, sa.Engine) else nullcontext(bind) as conn:
            query = sa.select(articles.c.stored_at, articles.c.id).where(
                articles.c.stored_at < cutoff, pending
            )
            if after is not None:
                key = sa.tuple_(
                    sa.literal(after[0], articles.c.stored_at.type), sa.literal(after[1])
                )
                query = query.where(sa.tuple_(articles.c.stored_at, articles.c.id) > key)
            rows = conn.execute(
                query.order_by(articles.c.stored_at, articles.c.id).limit(_BATCH)
            ).all()
            if not rows:
                return
            after = (rows[-1][0], rows[-1][1])
            yield conn, [r[1] for r in rows]


def _prune_stories(conn: sa.Connection, ids: list[int], cutoff: datetime) -> int:
    """Clear the stories of these articles whose newest member was stored before *cutoff*."""
    touched = sa.select(story_articles.c.story_id).where(story_articles.c.article_id.in_(ids))
    newest = (
        sa.select(story_articles.c.story_id)
        .join(articles, articles.c.id == story_articles.c.article_id)
        .where(story_articles.c.story_id.in_(touched))
        .group_by(story_articles.c.story_id)
        .having(sa.func.max(articles.c.stored_at) < cutoff)
    )
    dead = [int(x) for x in conn.execute(newest).scalars()]
    if dead:
        conn.execute(sa.delete(story_postings).where(story_postings.c.story_id.in_(dead)))
        conn.execute(sa.delete(story_articles).where(story_articles.c.story_id.in_(dead)))
        conn.execute(sa.update(stories).where(stories.c.id.in_(dead)).values(centroid=b""))
    return len(dead)
