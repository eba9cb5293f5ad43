"""The story engine's store reads and writes: candidate lookup, counters, DFs, postings, marks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from monitor.models import Article
from monitor.store.schema import articles
from monitor.store.story_tables import (
    stories,
    story_articles,
    story_counters,
    story_postings,
)


def lookup(count: int, posting_limit: int, max_candidates: int) -> sa.Select[Any]:
    """The stories sharing most of *count* terms (bound :t0…, :cut), reading only each term's
    *posting_limit* most recent stories, so the cost does not grow with the stories held."""
    pc = story_postings.c
    lists = [
        sa.select(pc.story_id)
        .where(pc.term == sa.bindparam(f"t{i}"), pc.last_seen >= sa.bindparam("cut"))
        .order_by(pc.last_seen.desc(), pc.story_id.desc())
        .limit(posting_limit)
        .subquery()
        for i in range(count)
    ]
    union = sa.union_all(*(sa.select(q) for q in lists)).subquery()
    hits = sa.func.count().label("hits")
    return (
        sa.select(union.c.story_id)
        .group_by(union.c.story_id)
        .order_by(hits.desc(), union.c.story_id)
        .limit(max_candidates)
    )


def insert(conn: sa.Connection, table: sa.Table) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def days(seen: datetime, last_seen: datetime) -> float:
    return (seen - last_seen).total_seconds() / 86400.0


def seen_time(conn: sa.Connection, article_id: int, article: Article) -> datetime:
    """Published time, else the time the article was stored (fetched, now as a last resort)."""
    if article.published is not None:
        return article.published
    stored = conn.execute(
        sa.select(articles.c.stored_at).where(articles.c.id == article_id)
    ).scalar()
    if isinstance(stored, datetime):
        return stored
    return article.fetched or datetime.now(UTC)


def root(conn: sa.Connection, article_id: int) -> int:
    """The original an article points to (a copy's copy resolves to the first original)."""
    dup = conn.execute(
        sa.select(story_articles.c.duplicate_of).where(story_articles.c.article_id == article_id)
    ).scalar()
    return int(dup) if dup is not None else article_id


def mark(conn: sa.Connection, article_id: int, duplicate_of: int | None, story_id: int) -> None:
    conn.execute(
        sa.update(articles)
        .where(articles.c.id == article_id)
        .values(duplicate_of=duplicate_of, story_id=story_id)
    )


def touch_story(conn: sa.Connection, story_id: int, seen: datetime) -> None:
    row = conn.execute(
        sa.select(stories.c.first_seen, stories.c.last_seen).where(stories.c.id == story_id)
    ).one()
    conn.execute(
        sa.update(stories)
        .where(stories.c.id == story_id)
        .values(size=stories.c.size + 1, first_seen=min(row[0], seen), last_seen=max(row[1], seen))
    )


def take_count(conn: sa.Connection, name: str) -> int:
    """Increment a counter and return its previous value (one statement once it exists)."""
    c = story_counters.c
    value = conn.execute(
        sa.update(story_counters).where(c.name == name).values(value=c.value + 1).returning(c.value)
    ).scalar()
    if value is None:
        conn.execute(sa.insert(story_counters).values(name=name, value=1))
        return 0
    return int(value) - 1


def bump_df(conn: sa.Connection, terms: list[int], df: dict[int, int]) -> None:
    """All of an article's document frequencies in one batched upsert statement."""
    if not terms:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(  # driver level: no per-row parameter processing for ~300 rows
        f"INSERT INTO term_stats (term, df) VALUES ({mark}, 1) "
        "ON CONFLICT (term) DO UPDATE SET df = term_stats.df + 1",
        [(t,) for t in terms],
    )


def upsert_postings(conn: sa.Connection, keys: list[int], story_id: int, seen: datetime) -> None:
    """The article's index terms → its story, one driver-level batch (no per-row processing)."""
    if not keys:
        return
    process = story_postings.c.last_seen.type.bind_processor(conn.dialect)
    when = process(seen) if process else seen
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    newest = "max" if conn.dialect.name == "sqlite" else "greatest"
    conn.exec_driver_sql(
        f"INSERT INTO story_postings (term, story_id, last_seen) VALUES ({mark}, {mark}, {mark}) "
        f"ON CONFLICT (term, story_id) DO UPDATE "
        f"SET last_seen = {newest}(story_postings.last_seen, excluded.last_seen)",
        [(k, story_id, when) for k in keys],
    )
