"""The story engine's store reads and writes: candidate lookup, counters, DFs, postings, marks."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from monitor.clock import utcnow
from monitor.models import Article
from monitor.store import raw
from monitor.store.story_tables import (
    story_counters,
)
from monitor.store.util import param_mark

# Level 3 runs once per stored article: its statements are plain SQL (`store.raw`); the SQL
# text is cached, it holds no state.
_SQL: dict[tuple[str, str, int, int, int], str] = {}
_run, _time = raw.run, raw.time_codec


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
    mark, when = param_mark(conn), _time(conn, False)(seen)
    rows = _run(
        conn,
        "INSERT INTO stories (title, first_seen, last_seen, size, centroid) "
        f"VALUES ('', {mark}, {mark}, 0, {mark}) RETURNING id",
        (when, when, b""),
    )
    return int(rows[0][0])


def story_of(conn: sa.Connection, article_id: int) -> int | None:
    """The story an article is a member of (None when it is in none)."""
    mark = param_mark(conn)
    rows = _run(
        conn, f"SELECT story_id FROM story_articles WHERE article_id = {mark}", (article_id,)
    )
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


def add_copy(
    conn: sa.Connection, article_id: int, story_id: int, seen: datetime, original: int
) -> None:
    """A copy joins its original's story (without a vector: linkage reads the original's)."""
    mark = param_mark(conn)
    _run(
        conn,
        "INSERT INTO story_articles (article_id, story_id, seen, duplicate_of) "
        f"VALUES ({mark}, {mark}, {mark}, {mark})",
        (article_id, story_id, _time(conn, False)(seen), original),
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
    """Count one more document for each of *terms* (distinct) and return their document
    frequencies from before it (0 for a new term): multi-row upserts with RETURNING, safe with
    concurrent writers (``df = df + 1`` in the store). The terms go in chunks of a power of two
    (at most 256), so the few SQL texts stay in the driver's statement cache instead of one new
    statement to compile per article."""
    out: dict[int, int] = {}
    mark, at = param_mark(conn), 0
    while at < len(terms):
        size = min(1 << (len(terms) - at).bit_length() - 1, 256)
        key = ("df", mark, size, 0, 0)
        sql = _SQL.get(key)
        if sql is None:
            sql = _SQL[key] = (
                f"INSERT INTO term_stats (term, df) VALUES {', '.join([f'({mark}, 1)'] * size)} "
                "ON CONFLICT (term) DO UPDATE SET df = term_stats.df + 1 RETURNING term, df"
            )
        rows = _run(conn, sql, tuple(terms[at : at + size]))
        out.update({term: df - 1 for term, df in rows})  # both drivers return int for these
        at += size
    return out


def days(seen: datetime, last_seen: datetime) -> float:
    return (seen - last_seen).total_seconds() / 86400.0


def seen_time(conn: sa.Connection, article_id: int, article: Article) -> datetime:
    """Published time, else the time the article was stored (fetched, now as a last resort)."""
    if article.published is not None:
        return article.published
    rows = _run(
        conn, f"SELECT stored_at FROM articles WHERE id = {param_mark(conn)}", (article_id,)
    )
    stored = _time(conn, True)(rows[0][0]) if rows else None
    if isinstance(stored, datetime):
        return stored
    return article.fetched or utcnow()


def root(conn: sa.Connection, article_id: int) -> int:
    """The original an article points to (a copy's copy resolves to the first original)."""
    mark = param_mark(conn)
    sql = f"SELECT duplicate_of FROM story_articles WHERE article_id = {mark}"
    rows = _run(conn, sql, (article_id,))
    return int(rows[0][0]) if rows and rows[0][0] is not None else article_id


def mark(conn: sa.Connection, article_id: int, duplicate_of: int | None, story_id: int) -> None:
    m = param_mark(conn)
    sql = f"UPDATE articles SET duplicate_of = {m}, story_id = {m} WHERE id = {m}"
    _run(conn, sql, (duplicate_of, story_id, article_id))


def touch_story(conn: sa.Connection, story_id: int, seen: datetime) -> None:
    m, load, when = param_mark(conn), _time(conn, True), _time(conn, False)
    row = _run(conn, f"SELECT first_seen, last_seen FROM stories WHERE id = {m}", (story_id,))[0]
    first, last = min(load(row[0]), seen), max(load(row[1]), seen)
    sql = f"UPDATE stories SET size = size + 1, first_seen = {m}, last_seen = {m} WHERE id = {m}"
    _run(conn, sql, (when(first), when(last), story_id))


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
