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

# Statements built once and reused (bound parameters): no per-call construction or cache key.
_member = story_articles.alias("title_member")
ADD_MEMBER = sa.insert(story_articles)
_sid: sa.BindParameter[int] = sa.bindparam("sid")
UPDATE_STORY = (
    sa.update(stories)
    .where(stories.c.id == _sid)
    .values(
        size=stories.c.size + 1,
        centroid=sa.bindparam("centroid"),
        first_seen=sa.bindparam("first"),
        last_seen=sa.bindparam("last"),
    )
)
UPDATE_STORY_TITLE = UPDATE_STORY.values(
    title=sa.bindparam("title"), title_article_id=sa.bindparam("title_id")
)
_MARK = (
    sa.update(articles)
    .where(articles.c.id == sa.bindparam("aid"))
    .values(duplicate_of=sa.bindparam("dup"), story_id=sa.bindparam("story"))
)
_TAKE = (
    sa.update(story_counters)
    .where(story_counters.c.name == sa.bindparam("counter"))
    .values(value=story_counters.c.value + 1)
    .returning(story_counters.c.value)
)


def lookup(count: int, posting_limit: int, max_candidates: int) -> sa.Select[Any]:
    """The stories sharing most of *count* terms (bound :t0…, :cut), reading only each term's
    *posting_limit* most recent stories, so the cost does not grow with the stories held:
    those stories' rows (id order) with the stored vector of their title article."""
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
    ranked = (
        sa.select(union.c.story_id)
        .group_by(union.c.story_id)
        .order_by(hits.desc(), union.c.story_id)
        .limit(max_candidates)
        .subquery()
    )
    sc = stories.c
    return (
        sa.select(sc.id, sc.last_seen, sc.size, sc.centroid, sc.title_article_id, sc.first_seen)
        .add_columns(_member.c.vector)
        .join_from(stories, ranked, ranked.c.story_id == sc.id)
        .outerjoin(_member, _member.c.article_id == sc.title_article_id)
        .order_by(sc.id)
    )


def recent_members(conn: sa.Connection, ids: list[int], limit: int) -> list[tuple[int, bytes]]:
    """Each story's *limit* newest members (by article id) that keep a vector: one statement,
    one index range per story (so a story's size does not matter)."""
    if not ids:
        return []
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = " UNION ALL ".join(
        f"SELECT * FROM (SELECT story_id, vector FROM story_articles WHERE story_id = {mark} "
        f"AND vector IS NOT NULL ORDER BY article_id DESC LIMIT {mark}) AS m{i}"
        for i in range(len(ids))
    )
    cursor = conn.connection.cursor()  # the transaction's own DBAPI connection
    try:
        cursor.execute(sql, tuple(x for sid in ids for x in (sid, limit)))
        return [(int(sid), bytes(blob)) for sid, blob in cursor.fetchall()]
    finally:
        cursor.close()


def take_df(conn: sa.Connection, terms: list[int]) -> dict[int, int]:
    """Count one more document for each of *terms* and return their document frequencies from
    before it (0 for a new term): one multi-row upsert with RETURNING, safe with concurrent
    writers (``df = df + 1`` in the store)."""
    if not terms:
        return {}
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cursor = conn.connection.cursor()  # the transaction's own DBAPI connection
    try:
        cursor.execute(
            f"INSERT INTO term_stats (term, df) VALUES {', '.join([f'({mark}, 1)'] * len(terms))} "
            "ON CONFLICT (term) DO UPDATE SET df = term_stats.df + 1 RETURNING term, df",
            tuple(terms),
        )
        return {term: df - 1 for term, df in cursor.fetchall()}
    finally:
        cursor.close()


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
    conn.execute(_MARK, {"aid": article_id, "dup": duplicate_of, "story": story_id})


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
    value = conn.execute(_TAKE, {"counter": name}).scalar()
    if value is None:
        conn.execute(sa.insert(story_counters).values(name=name, value=1))
        return 0
    return int(value) - 1


def upsert_postings(conn: sa.Connection, keys: list[int], story_id: int, seen: datetime) -> None:
    """The article's index terms → its story, one multi-row driver-level upsert."""
    if not keys:
        return
    process = story_postings.c.last_seen.type.bind_processor(conn.dialect)
    when = process(seen) if process else seen
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    newest = "max" if conn.dialect.name == "sqlite" else "greatest"
    terms = list(dict.fromkeys(keys))  # one row each: a multi-row upsert may touch a row once
    rows = ", ".join([f"({mark}, {mark}, {mark})"] * len(terms))
    cursor = conn.connection.cursor()  # the transaction's own DBAPI connection
    try:
        cursor.execute(
            f"INSERT INTO story_postings (term, story_id, last_seen) VALUES {rows} "
            f"ON CONFLICT (term, story_id) DO UPDATE "
            f"SET last_seen = {newest}(story_postings.last_seen, excluded.last_seen)",
            tuple(x for k in terms for x in (k, story_id, when)),
        )
    finally:
        cursor.close()
