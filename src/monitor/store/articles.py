"""Queries on articles: identity (canonical URL, per-source GUID), storing, export."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from monitor.models import Article
from monitor.store.schema import article_sources, articles, topic_matches
from monitor.store.util import chunks, insert_ignore, insert_ignore_returning_id

# the columns of `articles` that make up an `Article` as stored (its guid and extra stay in the feed)
ARTICLE_COLUMNS = (
    "url", "canonical_url", "title", "text", "source", "author", "published", "fetched",
    "language", "site_name",
)  # fmt: skip


def article_of(row: Any) -> Article:
    """The `Article` of a row that holds `ARTICLE_COLUMNS` (its text `""` once pruned)."""
    values = {name: getattr(row, name) for name in ARTICLE_COLUMNS}
    values["text"] = values["text"] or ""
    return Article(**values)


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
    for chunk in chunks(guid_list):
        q = sa.select(article_sources.c.guid).where(
            article_sources.c.source == source, article_sources.c.guid.in_(chunk)
        )
        seen_guids.update(r.guid for r in conn.execute(q))
    for chunk in chunks(url_list):
        q = sa.select(articles.c.canonical_url).where(articles.c.canonical_url.in_(chunk))
        seen_urls.update(r.canonical_url for r in conn.execute(q))
    return seen_guids, seen_urls


def store(conn: sa.Connection, article: Article, now: datetime) -> Stored:
    """Store *article* once (keyed by canonical URL) and link it to its source and GUID."""
    values = {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "title": article.title,
        "text": article.text,
        "author": article.author,
        "published": article.published,
        "fetched": article.fetched,
        "stored_at": now,
        "language": article.language,
        "site_name": article.site_name,
        "source": article.source,
    }
    existing = insert_ignore_returning_id(conn, articles, values)  # a cached statement
    new = existing is not None
    if existing is None:  # stored before (maybe a moment ago by another poll)
        existing = conn.execute(
            sa.select(articles.c.id).where(articles.c.canonical_url == article.canonical_url)
        ).scalar_one()
    _link(conn, int(existing), article.source, article.guid, now)
    return Stored(int(existing), new)


def link(conn: sa.Connection, canonical: str, source: str, guid: str | None, now: datetime) -> None:
    """Link an already stored article (by canonical URL) to one more source."""
    found = conn.execute(
        sa.select(articles.c.id).where(articles.c.canonical_url == canonical)
    ).scalar()
    if found is not None:
        _link(conn, int(found), source, guid, now)


def _link(
    conn: sa.Connection, article_id: int, source: str, guid: str | None, now: datetime
) -> None:
    if guid is not None:
        taken = conn.execute(
            sa.select(article_sources.c.article_id).where(
                article_sources.c.source == source, article_sources.c.guid == guid
            )
        ).scalar()
        if taken is not None and taken != article_id:
            guid = None  # the GUID already names another article of this source; keep the link
    insert_ignore(
        conn,
        article_sources,
        {"article_id": article_id, "source": source, "guid": guid, "first_seen": now},
    )


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
    for chunk in chunks([r.id for r in rows]):
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


def recent_published(conn: sa.Connection, source: str, since: datetime) -> list[datetime]:
    """Published times of this source's articles since *since* (its publishing rate)."""
    q = (
        sa.select(articles.c.published)
        .join(article_sources, article_sources.c.article_id == articles.c.id)
        .where(article_sources.c.source == source, articles.c.published >= since)
    )
    return [r.published for r in conn.execute(q)]


def count_by_source(conn: sa.Connection) -> dict[str, int]:
    q = sa.select(article_sources.c.source, sa.func.count()).group_by(article_sources.c.source)
    return {r[0]: int(r[1]) for r in conn.execute(q)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
