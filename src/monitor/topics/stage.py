"""Topic stage: matches new articles against the configured topics and stores the hits."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from monitor.config import Config, TopicConfig
from monitor.models import Article
from monitor.store.schema import articles, topic_matches, topic_state
from monitor.topics.match import MatchDoc, Matcher, TopicMatch, TopicSpec
from monitor.urls import domain_of

log = logging.getLogger(__name__)


def topic_specs(config: Config, topics: Iterable[TopicConfig] | None = None) -> list[TopicSpec]:
    """The matcher's view of the configured topics, with `feeds:` scopes resolved to names."""
    return [
        TopicSpec(
            name=t.name,
            query=t.query,
            sources=config.feed_names_for(t),
            languages=frozenset(t.languages) if t.languages else None,
        )
        for t in (config.topics if topics is None else topics)
    ]


def doc_of(article: Article) -> MatchDoc:
    return MatchDoc(
        title=article.title,
        text=article.text,
        url=article.url,
        source=article.source,
        domain=domain_of(article.canonical_url or article.url),
        language=(article.language or None),
    )


def save_matches(
    conn: sa.Connection, article_id: int, matches: list[TopicMatch], matched_at: datetime
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
                "hits": json.dumps(
                    [
                        {"term": h.term, "field": h.field, "positions": list(h.positions)}
                        for h in m.hits
                    ]
                ),
                "snippet": m.snippet,
                "matched_at": matched_at,
            }
            for m in matches
        ],
    )


class TopicStage:
    """Runs every topic's compiled query over each new article in one pass."""

    name = "topics"

    def __init__(self, config: Config) -> None:
        self.matcher = Matcher(topic_specs(config))

    def process(
        self, conn: sa.Connection, article_id: int, article: Article, now: datetime
    ) -> None:
        save_matches(conn, article_id, self.matcher.match(doc_of(article)), now)


def match_stored(
    conn: sa.Connection, matcher: Matcher, since: datetime | None, *, newest_first: bool = False
) -> Iterator[tuple[sa.Row[Any], list[TopicMatch]]]:
    """Each stored article that still has its text (stored since *since*) that matches."""
    order = articles.c.id.desc() if newest_first else articles.c.id
    query = sa.select(articles).where(articles.c.text.is_not(None)).order_by(order)
    if since is not None:
        query = query.where(articles.c.stored_at >= since)
    for row in conn.execute(query).all():
        article = Article(
            url=row.url,
            canonical_url=row.canonical_url,
            title=row.title,
            text=row.text or "",
            source=row.source,
            language=row.language,
        )
        matches = matcher.match(doc_of(article))
        if matches:
            yield row, matches


def fingerprint(config: Config, topic: TopicConfig) -> str:
    scope = sorted(config.feed_names_for(topic) or [])
    raw = json.dumps([topic.query, scope, sorted(topic.languages)])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def rematch_changed(conn: sa.Connection, config: Config, now: datetime) -> list[str]:
    """Re-match stored articles (within retention) for topics that are new or whose query changed.

    Back-filled matches carry the article's stored time as `matched_at`, so they show in
    `topics test` and `export` without flooding the next digest with old coverage.
    """
    known = {r.topic: r.fingerprint for r in conn.execute(sa.select(topic_state))}
    changed = [t for t in config.topics if known.get(t.name) != fingerprint(config, t)]
    configured = {t.name for t in config.topics}
    for gone in set(known) - configured:  # a removed topic's matches go with it
        conn.execute(sa.delete(topic_state).where(topic_state.c.topic == gone))
        conn.execute(sa.delete(topic_matches).where(topic_matches.c.topic == gone))
    if not changed:
        return []
    names = [t.name for t in changed]
    conn.execute(sa.delete(topic_matches).where(topic_matches.c.topic.in_(names)))
    matcher = Matcher(topic_specs(config, changed))
    since = now - timedelta(seconds=config.settings.retention)
    count = 0
    for row, matches in match_stored(conn, matcher, since):
        save_matches(conn, row.id, matches, row.stored_at)
        count += len(matches)
    for t in changed:
        values = {"fingerprint": fingerprint(config, t), "updated_at": now}
        if t.name in known:
            conn.execute(
                sa.update(topic_state).where(topic_state.c.topic == t.name).values(**values)
            )
        else:
            conn.execute(sa.insert(topic_state).values(topic=t.name, **values))
    log.info("topics: re-matched stored articles for %s: %d matches", ", ".join(names), count)
    return names
