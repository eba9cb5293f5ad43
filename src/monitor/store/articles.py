"""Queries on articles: identity (canonical URL, per-source GUID), storing, export."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from monitor.models import Article
from monitor.store.schema import article_sources, articles, topic_matches
from monitor.store.util import insert_ignore


@dataclass(frozen=True)
class Stored:
    """The outcome of storing one article."""

    article_id: int
    new: bool  # False when the article was already stored (reached again, maybe via another source)


def known(
    conn: sa.Connection, source: str, guids: Iterable[str], canonical_urls: Iterable[str]
) -> tuple[set[str], set[str]]:
    """Which of these GUIDs (of this source) and canonical URLs are stored already."""
    guid_list = [g for g in guids if g]
    url_list = list(canonical_urls)
    seen_guids: set[str] = set()
    seen_urls: set[str] = set()
    for chunk in _chunks(guid_list):
        q = sa.select(article_sources.c.guid).where(
            article_sources.c.source == source, article_sources.c.guid.in_(chunk)
        )
        seen_guids.update(r.guid for r in conn.execute(q))
    for chunk in _chunks(url_list):
        q = sa.select(articles.c.canonical_url).where(articles.c.canonical_url.in_(chunk))
        seen_urls.update(r.canonical_url for r in conn.execute(q))
    return seen_guids, seen_urls


def store(conn: sa.Connection, article: Article, now: datetime) -> Stored:
    """Store *article* once (keyed by canonical URL) and link it to its source and GUID."""
    existing = conn.execute(
        sa.select(articles.c.id).where(articles.c.canonical_url == article.canonical_url)
    ).scalar()
    new = existing is None
    if existing is None:
        existing = conn.execute(
            sa.insert(articles)
            .values(
                url=article.url,
                canonical_url=article.canonical_url,
                title=article.title,
                text=article.text,
                author=article.author,
                published=article.published,
                fetched=article.fetched,
                stored_at=now,
                language=article.language,
                site_name=article.site_name,
                source=article.source,
            )
            .returning(articles.c.id)
        ).scalar_one()
    guid = article.guid
    if guid is not None:
        taken = conn.execute(
            sa.select(article_sources.c.article_id).where(
                article_sources.c.source == article.source, article_sources.c.guid == guid
            )
        ).scalar()
        if taken is not None and taken != existing:
            guid = None  # the GUID already names another article of this source; keep the link
    insert_ignore(
        conn,
        article_sources,
        {"article_id": existing, "source": article.source, "guid": guid, "first_seen": now},
    )
    return Stored(int(existing), new)


def export_rows(conn: sa.Connection, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Every stored article (newest last) as the `export --format jsonl` record of SPEC.md."""
    query = sa.select(articles).order_by(articles.c.id)
    if since is not None:
        query = query.where(articles.c.stored_at >= since)
    topics_q = sa.select(topic_matches.c.article_id, topic_matches.c.topic).order_by(
        topic_matches.c.topic
    )
    rows = list(conn.execute(query))
    topics: dict[int, list[str]] = {}
    for chunk in _chunks([r.id for r in rows]):
        for t in conn.execute(topics_q.where(topic_matches.c.article_id.in_(chunk))):
            topics.setdefault(t.article_id, []).append(t.topic)
    for r in rows:
        yield {
            "id": r.id,
            "url": r.url,
            "canonical_url": r.canonical_url,
            "source": r.source,
            "title": r.title,
            "text": r.text,
            "published": _iso(r.published),
            "fetched": _iso(r.fetched or r.stored_at),
            "language": r.language,
            "topics": topics.get(r.id, []),
            "story_id": r.story_id,
            "duplicate_of": r.duplicate_of,
        }


def count_by_source(conn: sa.Connection) -> dict[str, int]:
    q = sa.select(article_sources.c.source, sa.func.count()).group_by(article_sources.c.source)
    return {r[0]: int(r[1]) for r in conn.execute(q)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _chunks(items: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
