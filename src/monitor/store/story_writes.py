"""The story engine's store reads and writes: candidate lookup, counters, DFs, postings, marks."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from monitor.clock import utcnow
from monitor.models import Article
from monitor.store.schema import articles
from monitor.store.story_tables import (
    stories,
    story_articles,
    story_counters,
)
from monitor.store.util import param_mark

# Level 3 runs once per stored article: its statements are plain SQL on the transaction's own
# DBAPI connection (no per-call statement construction or parameter processing), with the
# store's datetime conversions applied explicitly; the SQL text is cached, it holds no state.
_SQL: dict[tuple[str, str, int, int, int], str] = {}
_CONVERT: dict[tuple[str, bool], Any] = {}


def _run(conn: sa.Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []
    finally:
        cursor.close()


def _time(conn: sa.Connection, result: bool) -> Any:
    """The store's datetime conversion (UTCDateTime) to or from this driver's form."""
    key = (conn.dialect.name, result)
    if key not in _CONVERT:
        kind = stories.c.last_seen.type.dialect_impl(conn.dialect)
        process = (
            kind.result_processor(conn.dialect, None)
            if result
            else kind.bind_processor(conn.dialect)
        )
        _CONVERT[key] = process or (lambda value: value)
    return _CONVERT[key]


class StoryCandidate(NamedTuple):
    """A story an article may join: what the score and the member update read of its row."""

    id: int
    last_seen: datetime
    size: int
    centroid: bytes
    title_article_id: int | None
    first_seen: datetime
    title_vector: bytes | None  # the stored vector of the title article


def candidates(
    conn: sa.Connection, keys: list[int], cut: datetime, posting_limit: int, max_candidates: int
) -> list[StoryCandidate]:
    """The *max_candidates* stories sharing most of *keys* (ties: lower id), reading only each
    term's *posting_limit* most recent postings since *cut* (index (term, last_seen, story_id)),
    so the cost does not grow with the stories held, in id order."""
    if not keys:
        return []
    mark = param_mark(conn)
    key = (conn.dialect.name, mark, len(keys), posting_limit, max_candidates)
    sql = _SQL.get(key)
    if sql is None:
        lists = " UNION ALL ".join(
            f"SELECT * FROM (SELECT story_id FROM story_postings WHERE term = {mark} "
            f"AND last_seen >= {mark} ORDER BY last_seen DESC, story_id DESC "
            f"LIMIT {posting_limit}) AS p{i}"
            for i in range(len(keys))
        )
        sql = _SQL[key] = (
            "SELECT s.id, s.last_seen, s.size, s.centroid, s.title_article_id, s.first_seen, "
            f"m.vector FROM stories AS s JOIN (SELECT u.story_id FROM ({lists}) AS u "
            f"GROUP BY u.story_id ORDER BY count(*) DESC, u.story_id LIMIT {max_candidates}) "
            "AS r ON r.story_id = s.id "
            "LEFT JOIN story_articles AS m ON m.article_id = s.title_article_id ORDER BY s.id"
        )
    when = _time(conn, False)(cut)
    load = _time(conn, True)
    rows = _run(conn, sql, tuple(x for k in keys for x in (k, when)))
    return [
        StoryCandidate(
            int(r[0]), load(r[1]), int(r[2]), bytes(r[3]), r[4], load(r[5]), r[6] and bytes(r[6])
        )
        for r in rows
    ]


def new_story(conn: sa.Connection, seen: datetime) -> int:
    """An empty story first and last seen at *seen*: its id."""
    result = conn.execute(
        sa.insert(stories).values(title="", first_seen=seen, last_seen=seen, size=0, centroid=b"")
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def story_of(conn: sa.Connection, article_id: int) -> int | None:
    """The story an article is a member of (None when it is in none)."""
    story_id = conn.execute(
        sa.select(story_articles.c.story_id).where(story_articles.c.article_id == article_id)
    ).scalar()
    return None if story_id is None else int(story_id)


def add_copy(
    conn: sa.Connection, article_id: int, story_id: int, seen: datetime, original: int
) -> None:
    """A copy joins its original's story (without a vector: linkage reads the original's)."""
    conn.execute(
        sa.insert(story_articles).values(
            article_id=article_id, story_id=story_id, seen=seen, duplicate_of=original
        )
    )


def add_member(
    conn: sa.Connection, article_id: int, story_id: int, seen: datetime, vector: bytes
) -> None:
    mark = param_mark(conn)
    _run(
        conn,
        "INSERT INTO story_articles (article_id, story_id, seen, duplicate_of, vector) "
        f"VALUES ({mark}, {mark}, {mark}, NULL, {mark})",
        (article_id, story_id, _time(conn, False)(seen), vector),
    )


def update_story(
    conn: sa.Connection,
    story_id: int,
    centroid: bytes,
    first: datetime,
    last: datetime,
    title: tuple[str, int] | None,  # a new title and its article
) -> None:
    """One more member: its size, centroid, first/last seen and (if it changed) its title."""
    mark, when = param_mark(conn), _time(conn, False)
    sets = f"size = size + 1, centroid = {mark}, first_seen = {mark}, last_seen = {mark}"
    params: tuple[Any, ...] = (centroid, when(first), when(last))
    if title is not None:
        sets += f", title = {mark}, title_article_id = {mark}"
        params += title
    _run(conn, f"UPDATE stories SET {sets} WHERE id = {mark}", (*params, story_id))


def recent_members(conn: sa.Connection, ids: list[int], limit: int) -> list[tuple[int, bytes]]:
    """Each story's *limit* newest members (by article id) that keep a vector: one statement,
    one index range per story (so a story's size does not matter)."""
    if not ids:
        return []
    mark = param_mark(conn)
    sql = " UNION ALL ".join(
        f"SELECT * FROM (SELECT story_id, vector FROM story_articles WHERE story_id = {mark} "
        f"AND vector IS NOT NULL ORDER BY article_id DESC LIMIT {mark}) AS m{i}"
        for i in range(len(ids))
    )
    rows = _run(conn, sql, tuple(x for sid in ids for x in (sid, limit)))
    return [(int(sid), bytes(blob)) for sid, blob in rows]


def take_df(conn: sa.Connection, terms: list[int]) -> dict[int, int]:
    """Count one more document for each of *terms* and return their document frequencies from
    before it (0 for a new term): one multi-row upsert with RETURNING, safe with concurrent
    writers (``df = df + 1`` in the store)."""
    if not terms:
        return {}
    mark = param_mark(conn)
    rows = _run(
        conn,
        f"INSERT INTO term_stats (term, df) VALUES {', '.join([f'({mark}, 1)'] * len(terms))} "
        "ON CONFLICT (term) DO UPDATE SET df = term_stats.df + 1 RETURNING term, df",
        tuple(terms),
    )
    return {term: df - 1 for term, df in rows}  # both drivers return int for these


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
    return article.fetched or utcnow()


def root(conn: sa.Connection, article_id: int) -> int:
    """The original an article points to (a copy's copy resolves to the first original)."""
    dup = conn.execute(
        sa.select(story_articles.c.duplicate_of).where(story_articles.c.article_id == article_id)
    ).scalar()
    return int(dup) if dup is not None else article_id


_MARK = (
    sa.update(articles)
    .where(articles.c.id == sa.bindparam("aid"))
    .values(duplicate_of=sa.bindparam("dup"), story_id=sa.bindparam("story"))
)


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
    mark = param_mark(conn)
    rows = _run(
        conn,
        f"UPDATE story_counters SET value = value + 1 WHERE name = {mark} RETURNING value",
        (name,),
    )
    if not rows:
        conn.execute(sa.insert(story_counters).values(name=name, value=1))
        return 0
    return int(rows[0][0]) - 1


def upsert_postings(conn: sa.Connection, keys: list[int], story_id: int, seen: datetime) -> None:
    """The article's index terms → its story, one multi-row driver-level upsert."""
    if not keys:
        return
    when = _time(conn, False)(seen)
    mark = param_mark(conn)
    newest = "max" if conn.dialect.name == "sqlite" else "greatest"
    terms = list(dict.fromkeys(keys))  # one row each: a multi-row upsert may touch a row once
    rows = ", ".join([f"({mark}, {mark}, {mark})"] * len(terms))
    _run(
        conn,
        f"INSERT INTO story_postings (term, story_id, last_seen) VALUES {rows} "
        f"ON CONFLICT (term, story_id) DO UPDATE "
        f"SET last_seen = {newest}(story_postings.last_seen, excluded.last_seen)",
        tuple(x for k in terms for x in (k, story_id, when)),
    )
