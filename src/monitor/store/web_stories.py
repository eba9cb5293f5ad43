"""The web app's reads of stories and articles: a page of stories, one story's coverage, a page
of articles. Each loads a page's rows in a few statements (never one per story)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from monitor.store.delivery_tables import delivery_outbox, delivery_seen, delivery_state
from monitor.store.first_reports import first_report
from monitor.store.schema import articles, topic_matches
from monitor.store.story_queries import StoryArticle, StoryView, story_filter
from monitor.store.story_tables import stories

SNIPPET_CHARS = 280


@dataclass(frozen=True)
class StoryCard:
    """A story as the web lists it: the `stories --json` shape and what the page adds."""

    view: StoryView
    snippet: str
    hits: list[str]
    digests: list[str]  # "digest/channel" pairs that showed one of its articles
    snippets: dict[int, str] = field(default_factory=dict)  # per article

    @property
    def sources(self) -> list[str]:
        return sorted({a.source for a in self.view.articles})

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.view.as_dict(),
            "sources": len(self.sources),
            "snippet": self.snippet,
            "hits": self.hits,
            "shown_in_digest": bool(self.digests),
            "digests": self.digests,
        }


def story_page(
    conn: sa.Connection,
    *,
    topic: str | None = None,
    since: datetime | None = None,
    limit: int = 25,
    offset: int = 0,
) -> tuple[list[StoryCard], int]:
    """Newest activity first: one page of stories and how many match in all."""
    total = conn.execute(
        story_filter(sa.select(sa.func.count()).select_from(stories), topic, since)
    ).scalar_one()
    rows = conn.execute(
        story_filter(sa.select(stories), topic, since)
        .order_by(stories.c.last_seen.desc(), stories.c.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return cards(conn, rows, topic), int(total)


def story_card(
    conn: sa.Connection, story_id: int, snippets_of: Callable[[StoryView], Iterable[int]]
) -> StoryCard | None:
    """One story with every member; the snippets of the members *snippets_of* picks (the page
    of the timeline shown)."""
    rows = conn.execute(sa.select(stories).where(stories.c.id == story_id)).all()
    found = cards(conn, rows, None, snippets_of)
    return found[0] if found else None


def cards(
    conn: sa.Connection,
    rows: Iterable[Any],
    topic: str | None,
    snippets_of: Callable[[StoryView], Iterable[int]] | None = None,
) -> list[StoryCard]:
    rows = list(rows)
    ids = [r.id for r in rows]
    if not ids:
        return []
    cols = [articles.c.id, articles.c.url, articles.c.source, articles.c.title]
    cols += [articles.c.published, articles.c.duplicate_of, articles.c.story_id]
    cols += [articles.c.fetched, articles.c.stored_at, articles.c.site_name]
    text = sa.func.substr(articles.c.text, 1, SNIPPET_CHARS).label("head")
    members: dict[int, list[Any]] = defaultdict(list)
    for m in conn.execute(
        sa.select(*cols, text)
        .where(articles.c.story_id.in_(ids))
        .order_by(articles.c.published, articles.c.id)
    ):
        members[m.story_id].append(m)
    article_ids = [m.id for ms in members.values() for m in ms]
    matches: dict[int, list[Any]] = defaultdict(list)
    for t in _chunks(article_ids):
        for x in conn.execute(
            sa.select(
                topic_matches.c.article_id,
                topic_matches.c.topic,
                topic_matches.c.score,
                topic_matches.c.hits,
                topic_matches.c.snippet,
            ).where(topic_matches.c.article_id.in_(t))
        ):
            matches[x.article_id].append(x)
    shown: dict[int, set[str]] = defaultdict(set)
    pairs = _pairs(conn)
    for t in _chunks(article_ids) if pairs else ():
        for s in conn.execute(_shown(pairs, t)):
            shown[s.article_id].add(f"{s.digest}/{s.channel}")
    out = []
    for r in rows:
        ms = members.get(r.id, [])
        found = [x for m in ms for x in matches.get(m.id, [])]
        best = max(
            (x for x in found if topic is None or x.topic == topic),
            key=lambda x: x.score,
            default=None,
        )
        lead = next((m for m in ms if m.id == r.title_article_id), ms[0] if ms else None)
        snippet = best.snippet if best is not None else _head(lead.head if lead else None)
        view = StoryView(
            r.id,
            r.title,
            r.first_seen,
            r.last_seen,
            sorted({x.topic for x in found}),
            [StoryArticle(m.id, m.url, m.source, m.title, m.published, m.duplicate_of) for m in ms],
            first_report(ms),
        )
        snippets = {}
        if snippets_of is not None:
            heads = {m.id: m.head for m in ms}
            for i in snippets_of(view):
                own = max(matches.get(i, []), key=lambda x: x.score, default=None)
                snippets[i] = own.snippet if own is not None else _head(heads.get(i))
        out.append(
            StoryCard(
                view,
                snippet,
                sorted({t for x in found if topic in (None, x.topic) for t in _terms(x.hits)}),
                sorted({d for m in ms for d in shown.get(m.id, ())}),
                snippets,
            )
        )
    return out


def _pairs(conn: sa.Connection) -> list[tuple[str, str]]:
    """Every digest × channel that has run or stored a message (a handful: the config's)."""
    known = sa.union(
        sa.select(delivery_state.c.digest, delivery_state.c.channel),
        sa.select(delivery_outbox.c.digest, delivery_outbox.c.channel).distinct(),
    )
    return [(str(d), str(c)) for d, c in conn.execute(known)]


def _shown(pairs: list[tuple[str, str]], ids: list[int]) -> Any:
    """Which of *ids* each digest × channel showed: one search of delivery_seen's primary key
    (digest, channel, article_id) per pair, where `article_id IN (…)` alone scans the table
    (it grows by every article every digest covers)."""
    c = delivery_seen.c
    return sa.union_all(
        *(
            sa.select(c.article_id, c.digest, c.channel).where(
                c.digest == d, c.channel == ch, c.article_id.in_(ids), c.shown.is_(True)
            )
            for d, ch in pairs
        )
    )


def _head(text: str | None) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) < SNIPPET_CHARS - 20 else text[: SNIPPET_CHARS - 20].rstrip() + "…"


def _terms(hits: str) -> list[str]:
    try:
        return sorted({str(h["term"]) for h in json.loads(hits)})
    except (ValueError, TypeError, KeyError):
        return []


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def article_page(
    conn: sa.Connection, *, since: datetime | None, after: int, limit: int
) -> list[dict[str, Any]]:
    """Articles stored since *since* with an id above *after*, oldest first (keyset paging):
    the `export --format jsonl` shape, plus `stored_at`."""
    query = sa.select(articles).where(articles.c.id > after)
    if since is not None:
        query = query.where(articles.c.stored_at >= since)
    rows = conn.execute(query.order_by(articles.c.id).limit(limit)).all()
    topics: dict[int, list[str]] = defaultdict(list)
    for t in _chunks([r.id for r in rows]):
        for m in conn.execute(
            sa.select(topic_matches.c.article_id, topic_matches.c.topic)
            .where(topic_matches.c.article_id.in_(t))
            .order_by(topic_matches.c.topic)
        ):
            topics[m.article_id].append(m.topic)
    return [
        {
            "id": r.id,
            "url": r.url,
            "canonical_url": r.canonical_url,
            "source": r.source,
            "title": r.title,
            "text": r.text,
            "published": _iso(r.published),
            "fetched": _iso(r.fetched),
            "stored_at": _iso(r.stored_at),
            "language": r.language,
            "topics": topics.get(r.id, []),
            "story_id": r.story_id,
            "duplicate_of": r.duplicate_of,
        }
        for r in rows
    ]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
