"""The topic stage's store: matches written and dropped, stored texts re-read, topic fingerprints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from monitor.models import Article
from monitor.store.articles import article_of
from monitor.store.schema import articles, topic_matches, topic_state


@dataclass(frozen=True)
class MatchRow:
    """One topic's match of one article as stored (its hits already serialised as JSON)."""

    topic: str
    score: float
    hits: str  # JSON list of {term, field, positions}
    snippet: str


@dataclass(frozen=True)
class StoredText:
    """A stored article that still has its text: what matching it again needs."""

    id: int
    article: Article
    stored_at: datetime


def insert_matches(
    conn: sa.Connection, article_id: int, matches: Sequence[MatchRow], matched_at: datetime
) -> None:
    if not matches:
        return
    conn.execute(
        sa.insert(topic_matches),
        [
            {
                "article_id": article_id,
                "topic": m.topic,
                "score": m.score,
                "hits": m.hits,
                "snippet": m.snippet,
                "matched_at": matched_at,
            }
            for m in matches
        ],
    )


def replace_matches(
    conn: sa.Connection, article_id: int, matches: Sequence[MatchRow], now: datetime
) -> list[str]:
    """An article's matches after its text changed: a topic it matched before keeps its
    `matched_at` (it is no newer coverage), a topic it matches now is matched at *now*, and one
    it no longer matches goes. Returns the topics new to the article."""
    before = {
        r.topic: r.matched_at
        for r in conn.execute(
            sa.select(topic_matches.c.topic, topic_matches.c.matched_at).where(
                topic_matches.c.article_id == article_id
            )
        )
    }
    conn.execute(sa.delete(topic_matches).where(topic_matches.c.article_id == article_id))
    for m in matches:
        insert_matches(conn, article_id, [m], before.get(m.topic, now))
    return [m.topic for m in matches if m.topic not in before]


def stored_texts(
    conn: sa.Connection, since: datetime | None, *, newest_first: bool = False
) -> list[StoredText]:
    """Every stored article that still has its text (stored since *since*), by id."""
    order = articles.c.id.desc() if newest_first else articles.c.id
    query = sa.select(articles).where(articles.c.text.is_not(None)).order_by(order)
    if since is not None:
        query = query.where(articles.c.stored_at >= since)
    return [StoredText(row.id, article_of(row), row.stored_at) for row in conn.execute(query)]


def topic_fingerprints(conn: sa.Connection) -> dict[str, str]:
    """Each known topic's fingerprint (of its query and scopes) when it was last matched."""
    return {r.topic: r.fingerprint for r in conn.execute(sa.select(topic_state))}


def forget_topic(conn: sa.Connection, topic: str) -> None:
    """A removed topic: its fingerprint and its matches go."""
    conn.execute(sa.delete(topic_state).where(topic_state.c.topic == topic))
    conn.execute(sa.delete(topic_matches).where(topic_matches.c.topic == topic))


def drop_matches(conn: sa.Connection, topics: Sequence[str]) -> None:
    conn.execute(sa.delete(topic_matches).where(topic_matches.c.topic.in_(list(topics))))


def save_fingerprint(
    conn: sa.Connection, topic: str, fingerprint: str, now: datetime, *, known: bool
) -> None:
    """Record the fingerprint *topic* was matched with (*known*: it has a row to update)."""
    values = {"fingerprint": fingerprint, "updated_at": now}
    if known:
        conn.execute(sa.update(topic_state).where(topic_state.c.topic == topic).values(**values))
    else:
        conn.execute(sa.insert(topic_state).values(topic=topic, **values))
