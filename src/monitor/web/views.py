"""What the pages and the API show, read from the store: the same data for both, so a page and
its `/api/v1/` twin never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from monitor.clock import utcnow
from monitor.digest import delivery
from monitor.digest.status import delivery_status
from monitor.ingest.source_view import health_of, source_json
from monitor.store import articles as article_store
from monitor.store import mutes as mute_store
from monitor.store import sources as source_store
from monitor.store import web_stats, web_stories
from monitor.store.mutes import Mute
from monitor.store.story_queries import StoryArticle, StoryView
from monitor.store.web_stories import StoryCard
from monitor.topics.match import TopicSpec
from monitor.topics.trial import try_topic
from monitor.web.state import WebState

TRY_WINDOW_DAYS = 7
TRY_LIMIT = 50
TIMELINE_PAGE = 25  # entries of a story's timeline on one page (an original with its copies)
# how `status` ranks a source's health on the Sources page: broken first
_RANK = {"failed": 0, "disabled": 1, "degraded": 2, "empty": 3, None: 4, "ok": 5}


def story_cards(
    state: WebState, topic: str | None, since: datetime | None, limit: int, offset: int
) -> tuple[list[StoryCard], int]:
    with state.store.connect() as conn:
        return web_stories.story_page(conn, topic=topic, since=since, limit=limit, offset=offset)


def story_list(
    state: WebState, topic: str | None, since: datetime | None, limit: int, offset: int
) -> tuple[list[StoryCard], int, list[Mute]]:
    """A page of stories and the mutes in force, on one connection (the stories page)."""
    with state.store.connect() as conn:
        cards, total = web_stories.story_page(
            conn, topic=topic, since=since, limit=limit, offset=offset
        )
        return cards, total, mute_store.listed(conn, utcnow(), titles=False)


Entry = tuple[StoryArticle, list[StoryArticle]]  # an original and the copies folded under it


@dataclass(frozen=True)
class Timeline:
    """One page of a story's timeline: *limit* entries from *offset*, each an original with all
    its copies (a copy stays under its original, whichever page its own time would fall on)."""

    entries: list[Entry]
    total: int  # entries in the whole timeline (originals, and copies whose original is gone)
    offset: int
    limit: int

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))

    def ids(self) -> list[int]:
        """The articles on this page: each original, then its copies."""
        return [a.id for original, copies in self.entries for a in (original, *copies)]


def timeline(view: StoryView) -> list[Entry]:
    """The coverage in time order, each syndicated copy folded under its original (a copy whose
    original is not in the story stands on its own)."""
    ids = {a.id for a in view.articles}
    copies: dict[int, list[StoryArticle]] = {}
    for a in view.articles:
        if a.duplicate_of is not None and a.duplicate_of in ids:
            copies.setdefault(a.duplicate_of, []).append(a)
    return [
        (a, copies.get(a.id, []))
        for a in view.articles
        if a.duplicate_of is None or a.duplicate_of not in ids
    ]


def timeline_page(view: StoryView, offset: int, limit: int) -> Timeline:
    entries = timeline(view)
    return Timeline(entries[offset : offset + limit], len(entries), offset, limit)


def story(
    state: WebState, story_id: int, offset: int = 0, limit: int = TIMELINE_PAGE
) -> tuple[StoryCard, Timeline, Mute | None] | None:
    """A story with one page of its timeline (the snippets of that page's articles only) and
    its mute, if it has one in force."""
    pages: list[Timeline] = []

    def shown(view: StoryView) -> list[int]:
        pages.append(timeline_page(view, offset, limit))
        return pages[-1].ids()

    with state.store.connect() as conn:
        card = web_stories.story_card(conn, story_id, shown)
        if card is None:
            return None
        found = mute_store.listed(conn, utcnow(), mute_store.STORY, str(story_id), titles=False)
    return card, pages[0], found[0] if found else None


def mutes_now(state: WebState) -> list[Mute]:
    """The mutes in force (stories and topics), as `status` lists them (without titles)."""
    with state.store.connect() as conn:
        return mute_store.listed(conn, utcnow(), titles=False)


def topic_summaries(
    state: WebState, names: list[str], since_day: date, top: int = 5
) -> dict[str, tuple[dict[date, int], list[StoryCard]]]:
    """Each topic's matches per day since *since_day* and its *top* stories, in a few
    statements for all topics together (not a round per topic)."""
    from datetime import UTC

    since = datetime(since_day.year, since_day.month, since_day.day, tzinfo=UTC)
    with state.store.connect() as conn:
        days = web_stats.matches_per_day(conn, names, since)
        ids = web_stats.top_story_ids(conn, names, since, top)
        every = sorted({i for found in ids.values() for i in found})
        cards = {
            c.view.id: c
            for c in web_stories.cards(conn, web_stats.stories_by_id(conn, every), None)
        }
    return {n: (days[n], [cards[i] for i in ids[n] if i in cards]) for n in names}


def try_query(state: WebState, query: str) -> list[dict[str, Any]]:
    """`topics test --query` over the last week; QueryError when the query does not parse."""
    from datetime import timedelta

    since = utcnow() - timedelta(days=TRY_WINDOW_DAYS)
    with state.store.connect() as conn:
        return try_topic(conn, TopicSpec(name="query", query=query), since, TRY_LIMIT)


def sources(state: WebState) -> list[dict[str, Any]]:
    """`status --json`'s sources, broken first (failed, disabled, degraded, empty), then by name."""
    with state.store.connect() as conn:
        rows = source_store.all_sources(conn, state.source_names())
        counts = article_store.count_by_source(conn)
    found = [source_json(r, counts.get(r.name, 0)) for r in rows]
    ranks = {r.name: _RANK.get(health_of(r), 4) for r in rows}
    return sorted(found, key=lambda s: (ranks[s["name"]], s["name"]))


def digests(state: WebState) -> list[dict[str, Any]]:
    """`status --json`'s digests, each with its channel type and its open outbox messages."""
    config = state.config
    with state.store.connect() as conn:
        pairs = delivery_status(conn, config)
        for p in pairs:
            channel = config.channels.get(p["channel"])
            p["channel_type"] = channel.type if channel is not None else None
            p["outbox"] = web_stats.open_messages(conn, p["name"], p["channel"])
    return pairs


def preview(state: WebState, name: str, fmt: str) -> str:
    """The next digest as `digest preview --format FMT` renders it."""
    return delivery.preview(state.store, state.config, name, fmt)
