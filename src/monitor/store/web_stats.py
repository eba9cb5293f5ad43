"""The web app's reads of topics, delivery and totals: matches per day, a topic's top stories
and matches, the outbox's open messages, and the counts behind /metrics."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from monitor.store.delivery_tables import delivery_outbox
from monitor.store.outbox import DELIVERED
from monitor.store.schema import articles, sources, topic_matches
from monitor.store.story_tables import stories


def matches_per_day(
    conn: sa.Connection, topics: list[str], since: datetime
) -> dict[str, dict[date, int]]:
    """How many articles each of *topics* matched per day (by published time, else stored
    time, UTC), in one statement for every topic."""
    when = sa.func.coalesce(articles.c.published, articles.c.stored_at)
    rows = conn.execute(
        sa.select(topic_matches.c.topic, articles.c.published, articles.c.stored_at)
        .join(topic_matches, topic_matches.c.article_id == articles.c.id)
        .where(topic_matches.c.topic.in_(topics))
        .where(when >= since)
    )
    found: dict[str, dict[date, int]] = {t: {} for t in topics}
    for r in rows:
        days = found[r.topic]
        day = (r.published or r.stored_at).date()
        days[day] = days.get(day, 0) + 1
    return found


def match_counts(conn: sa.Connection) -> dict[str, int]:
    """Matches stored per topic."""
    q = sa.select(topic_matches.c.topic, sa.func.count()).group_by(topic_matches.c.topic)
    return {str(t): int(n) for t, n in conn.execute(q)}


def top_story_ids(
    conn: sa.Connection, topics: list[str], since: datetime, limit: int
) -> dict[str, list[int]]:
    """Per topic, the *limit* stories with the most articles matching it since *since* (most
    recent activity first among equals), in one statement for every topic."""
    if limit <= 0:
        return {t: [] for t in topics}
    n = sa.func.count()
    newest = sa.func.max(stories.c.last_seen)
    ranked = (
        sa.select(
            topic_matches.c.topic,
            articles.c.story_id,
            sa.func.row_number()
            .over(partition_by=topic_matches.c.topic, order_by=(n.desc(), newest.desc()))
            .label("rank"),
        )
        .join(topic_matches, topic_matches.c.article_id == articles.c.id)
        .join(stories, stories.c.id == articles.c.story_id)
        .where(topic_matches.c.topic.in_(topics), stories.c.last_seen >= since)
        .group_by(topic_matches.c.topic, articles.c.story_id)
        .subquery()
    )
    q = sa.select(ranked.c.topic, ranked.c.story_id).where(ranked.c.rank <= limit)
    found: dict[str, list[tuple[int, int]]] = {t: [] for t in topics}
    for r in conn.execute(q.order_by(ranked.c.topic, ranked.c.rank).add_columns(ranked.c.rank)):
        found[r.topic].append((int(r.rank), int(r.story_id)))
    return {t: [i for _, i in sorted(v)] for t, v in found.items()}


def stories_by_id(conn: sa.Connection, ids: list[int]) -> list[Any]:
    rows = {r.id: r for r in conn.execute(sa.select(stories).where(stories.c.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def topic_matches_page(
    conn: sa.Connection, topic: str, *, since: datetime | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """A topic's stored matches, newest first: the `topics test --json` shape plus more."""
    q = (
        sa.select(
            topic_matches.c.article_id,
            topic_matches.c.score,
            topic_matches.c.hits,
            topic_matches.c.snippet,
            topic_matches.c.matched_at,
            articles.c.url,
            articles.c.title,
            articles.c.source,
            articles.c.story_id,
            articles.c.published,
        )
        .join(articles, articles.c.id == topic_matches.c.article_id)
        .where(topic_matches.c.topic == topic)
    )
    if since is not None:
        q = q.where(topic_matches.c.matched_at >= since)
    q = q.order_by(topic_matches.c.matched_at.desc(), topic_matches.c.article_id.desc())
    out = []
    for r in conn.execute(q.limit(limit).offset(offset)):
        try:
            hits = sorted({str(h["term"]) for h in json.loads(r.hits)})
        except (ValueError, TypeError, KeyError):
            hits = []
        out.append(
            {
                "article_id": r.article_id,
                "url": r.url,
                "title": r.title,
                "score": round(float(r.score), 3),
                "hits": hits,
                "snippet": r.snippet,
                "source": r.source,
                "story_id": r.story_id,
                "published": _iso(r.published),
                "matched_at": _iso(r.matched_at),
            }
        )
    return out


def open_messages(
    conn: sa.Connection, digest: str, channel: str, limit: int = 20
) -> list[dict[str, Any]]:
    """The outbox's messages of one digest × channel not delivered yet (pending or failed)."""
    q = (
        sa.select(delivery_outbox)
        .where(delivery_outbox.c.digest == digest, delivery_outbox.c.channel == channel)
        .where(delivery_outbox.c.status != DELIVERED)
        .order_by(delivery_outbox.c.id.desc())
        .limit(limit)
    )
    return [
        {
            "id": r.id,
            "status": r.status,
            "subject": r.subject,
            "stories": r.stories,
            "attempts": r.attempts,
            "created_at": _iso(r.created_at),
            "next_attempt": _iso(r.next_attempt_at),
            "last_error": r.last_error,
        }
        for r in conn.execute(q)
    ]


@dataclass(frozen=True)
class Totals:
    """What /metrics reads from the store at each scrape."""

    articles: int
    copies: int
    stories: int
    matches: dict[str, int]
    deliveries: dict[tuple[str, str], int]  # (channel, status) → messages
    broken_sources: int
    last_success: datetime | None


def totals(conn: sa.Connection, source_names: list[str]) -> Totals:
    count = sa.func.count()
    n_articles = conn.execute(sa.select(count).select_from(articles)).scalar_one()
    copies = conn.execute(
        sa.select(count).select_from(articles).where(articles.c.duplicate_of.is_not(None))
    ).scalar_one()
    n_stories = conn.execute(sa.select(count).select_from(stories)).scalar_one()
    deliveries = {
        (str(c), str(s)): int(n)
        for c, s, n in conn.execute(
            sa.select(delivery_outbox.c.channel, delivery_outbox.c.status, count).group_by(
                delivery_outbox.c.channel, delivery_outbox.c.status
            )
        )
    }
    mine = sources.c.name.in_(source_names)
    broken = conn.execute(
        sa.select(count)
        .select_from(sources)
        .where(mine, sa.or_(sources.c.health == "failed", sources.c.disabled.is_(True)))
    ).scalar_one()
    last = conn.execute(sa.select(sa.func.max(sources.c.last_success)).where(mine)).scalar_one()
    return Totals(
        int(n_articles),
        int(copies),
        int(n_stories),
        match_counts(conn),
        deliveries,
        int(broken),
        last,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
