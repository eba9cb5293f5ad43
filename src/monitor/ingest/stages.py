"""Stores articles and runs the per-article stages (dedup/stories, topics) in the caller's transaction.

Shared by the poll pipeline and `news-monitor import`, so both take exactly the same path;
`refresh` runs them again for an article whose full text arrived later (ingest/retry.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa

from monitor.models import Article
from monitor.store import articles as article_store
from monitor.store.articles import Stored
from monitor.store.util import STAGES_LOCK, one_at_a_time


class ArticleStage(Protocol):
    """A stage that runs once for each newly stored article, inside the storing transaction."""

    name: str

    def process(
        self, conn: sa.Connection, article_id: int, article: Article, now: datetime
    ) -> None:
        """Do this stage's work for one new article; raise to abort the transaction."""


class RefreshingStage(ArticleStage, Protocol):
    """A stage that can redo its work for a stored article whose text changed (the full text
    of one stored with its feed's teaser): `before` as it was stored, `after` as it is now."""

    def refresh(
        self, conn: sa.Connection, article_id: int, before: Article, after: Article, now: datetime
    ) -> None:
        """Redo this stage's work for the article; raise to abort the transaction."""


def refresh(
    conn: sa.Connection,
    article_id: int,
    before: Article,
    after: Article,
    stages: Sequence[ArticleStage],
    now: datetime,
) -> None:
    """Run every stage again (in order) on an article whose text changed; a stage without
    `refresh` keeps what it did for the article at first. Processes on one PostgreSQL database
    take turns, as in `ingest`."""
    one_at_a_time(conn, STAGES_LOCK)
    for stage in stages:
        redo = getattr(stage, "refresh", None)
        if redo is not None:
            redo(conn, article_id, before, after, now)


def ingest(
    conn: sa.Connection,
    articles: Sequence[Article],
    stages: Sequence[ArticleStage],
    now: datetime,
) -> list[Stored]:
    """Store each article once (by canonical URL) and run every stage on the new ones.

    Processes sharing one PostgreSQL database take turns here until their transactions end, as
    the threads of one process do: the stages see every article committed before, in order, and
    their upserts of shared rows (term statistics, postings) never deadlock each other.
    """
    results: list[Stored] = []
    if articles:
        one_at_a_time(conn, STAGES_LOCK)
    for article in articles:
        stored = article_store.store(conn, article, now)
        if stored.new:
            for stage in stages:
                stage.process(conn, stored.article_id, article, now)
        results.append(stored)
    return results
