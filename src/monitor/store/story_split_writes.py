"""Store side of splitting a story (`story_split`): read its members, move some to a new story."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from monitor.store.schema import articles
from monitor.store.story_tables import stories, story_articles, story_counters
from monitor.store.story_writes import _run, _time
from monitor.store.util import param_mark


@dataclass(frozen=True)
class Member:
    article_id: int
    seen: datetime
    duplicate_of: int | None
    title: str | None
    text: str | None  # None once pruned (or the article row is gone)


def members(conn: sa.Connection, story_id: int) -> list[Member]:
    """Every member of a story (copies included), in arrival (article id) order: one statement
    at driver level (it runs each time a story reaches a size it is checked at)."""
    mark = param_mark(conn)
    rows = _run(
        conn,
        "SELECT m.article_id, m.seen, m.duplicate_of, a.title, a.text FROM story_articles AS m "
        f"LEFT JOIN articles AS a ON a.id = m.article_id WHERE m.story_id = {mark} "
        "ORDER BY m.article_id",
        (story_id,),
    )
    load = _time(conn, True)
    return [Member(int(r[0]), load(r[1]), r[2], r[3], r[4]) for r in rows]


def document_frequencies(conn: sa.Connection, terms: list[int]) -> tuple[dict[int, int], int]:
    """The stored document frequencies of *terms* and the number of articles counted (read only)."""
    df: dict[int, int] = {}
    mark = param_mark(conn)
    for i in range(0, len(terms), 2000):  # driver level: thousands of rows, no row objects
        chunk = terms[i : i + 2000]
        marks = ", ".join([mark] * len(chunk))
        sql = f"SELECT term, df FROM term_stats WHERE term IN ({marks})"
        df.update(_run(conn, sql, tuple(chunk)))
    n = conn.execute(
        sa.select(story_counters.c.value).where(story_counters.c.name == "articles")
    ).scalar()
    return df, int(n or 0)


def move(conn: sa.Connection, article_ids: list[int], story_id: int) -> None:
    """Move these members (originals with their copies) to *story_id*."""
    for i in range(0, len(article_ids), 500):
        chunk = article_ids[i : i + 500]
        conn.execute(
            sa.update(story_articles)
            .where(story_articles.c.article_id.in_(chunk))
            .values(story_id=story_id)
        )
        conn.execute(sa.update(articles).where(articles.c.id.in_(chunk)).values(story_id=story_id))


def rewrite(
    conn: sa.Connection,
    story_id: int,
    centroid: bytes,
    group: list[Member],
    title: tuple[str, int],
) -> None:
    """A story's row from its (new) members: size, centroid, first/last seen, title."""
    conn.execute(
        sa.update(stories)
        .where(stories.c.id == story_id)
        .values(
            size=len(group),
            centroid=centroid,
            first_seen=min(m.seen for m in group),
            last_seen=max(m.seen for m in group),
            title=title[0],
            title_article_id=title[1],
        )
    )
