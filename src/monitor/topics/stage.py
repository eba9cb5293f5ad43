"""Topic stage: matches new articles against the configured topics and stores the hits."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from monitor.config import Config, TopicConfig
from monitor.models import Article
from monitor.store import topic_queries as store
from monitor.store.topic_queries import MatchRow, StoredText
from monitor.topics.match import MatchDoc, Matcher, TopicMatch, TopicSpec
from monitor.urls import domain_of

if TYPE_CHECKING:
    from sqlalchemy import Connection

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
    conn: Connection, article_id: int, matches: list[TopicMatch], matched_at: datetime
) -> None:
    store.insert_matches(conn, article_id, match_rows(matches), matched_at)


def match_rows(matches: list[TopicMatch]) -> list[MatchRow]:
    return [
        MatchRow(
            topic=m.topic,
            score=m.score,
            hits=json.dumps(
                [{"term": h.term, "field": h.field, "positions": list(h.positions)} for h in m.hits]
            ),
            snippet=m.snippet,
        )
        for m in matches
    ]


class TopicStage:
    """Runs every topic's compiled query over each new article in one pass."""

    name = "topics"

    def __init__(self, config: Config) -> None:
        self.matcher = Matcher(topic_specs(config))

    def process(self, conn: Connection, article_id: int, article: Article, now: datetime) -> None:
        save_matches(conn, article_id, self.matcher.match(doc_of(article)), now)

    def refresh(
        self, conn: Connection, article_id: int, before: Article, after: Article, now: datetime
    ) -> None:
        """Match an article again after its full text arrived (see store.replace_matches)."""
        new = store.replace_matches(
            conn, article_id, match_rows(self.matcher.match(doc_of(after))), now
        )
        if new:
            log.info(
                "topics: article %d matches %s now, with its full text", article_id, ", ".join(new)
            )


class StoredMatches(NamedTuple):
    """A stored article and the topics it matches."""

    article: StoredText
    matches: list[TopicMatch]


def match_stored(
    conn: Connection, matcher: Matcher, since: datetime | None, *, newest_first: bool = False
) -> Iterator[StoredMatches]:
    """Each stored article that still has its text (stored since *since*) that matches."""
    for row in store.stored_texts(conn, since, newest_first=newest_first):
        matches = matcher.match(doc_of(row.article))
        if matches:
            yield StoredMatches(row, matches)


def fingerprint(config: Config, topic: TopicConfig) -> str:
    scope = sorted(config.feed_names_for(topic) or [])
    raw = json.dumps([topic.query, scope, sorted(topic.languages)])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def rematch_changed(conn: Connection, config: Config, now: datetime) -> list[str]:
    """Re-match stored articles (within retention) for topics that are new or whose query changed.

    Back-filled matches carry the article's stored time as `matched_at`, so they show in
    `topics test` and `export` without flooding the next digest with old coverage.
    """
    known = store.topic_fingerprints(conn)
    changed = [t for t in config.topics if known.get(t.name) != fingerprint(config, t)]
    configured = {t.name for t in config.topics}
    for gone in set(known) - configured:  # a removed topic's matches go with it
        store.forget_topic(conn, gone)
    if not changed:
        return []
    names = [t.name for t in changed]
    store.drop_matches(conn, names)
    matcher = Matcher(topic_specs(config, changed))
    since = now - timedelta(seconds=config.settings.retention)
    count = 0
    for row, matches in match_stored(conn, matcher, since):
        save_matches(conn, row.id, matches, row.stored_at)
        count += len(matches)
    for t in changed:
        store.save_fingerprint(conn, t.name, fingerprint(config, t), now, known=t.name in known)
    log.info("topics: re-matched stored articles for %s: %d matches", ", ".join(names), count)
    return names
