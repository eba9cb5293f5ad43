"""Builds a digest for one digest × channel: the stories with coverage it has not delivered yet.

A *story* is a `stories` row (articles.story_id) or, for an article not clustered (yet), the
article itself. Syndicated copies (articles.duplicate_of) are folded under their original.
Which articles a digest × channel has covered lives in `delivery_seen`; the watermark (the
newest matched_at delivered) bounds the scan, with a grace period for late commits.

Mutes (`stories mute`, `topics mute`) leave stories out and count them; what they held back is
recorded with the delivery (`mute_held`) and comes back once the mute ends (docs/delivery.md).

Order (documented in docs/delivery.md): `order: relevance` (default) sorts by the best new
match score, then by the newest coverage; `order: recency` the other way round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from monitor.config.model import DigestConfig
from monitor.store import digest_queries as q
from monitor.store import mutes
from monitor.store.first_reports import FirstReport, Report, first_reports
from monitor.urls import declared_site_name

SNIPPET_CHARS = 320
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class DigestSource:
    """One outlet's article in a story; `copies` are syndicated copies folded under it."""

    article_id: int
    outlet: str
    url: str
    title: str
    published: datetime
    new: bool
    copies: tuple[DigestSource, ...] = ()

    @property
    def has_news(self) -> bool:
        return self.new or any(c.new for c in self.copies)


@dataclass(frozen=True)
class DigestStory:
    """One story as a digest shows it."""

    key: str  # "s<story id>", or "a<article id>" for an article standing as its own story
    headline: str
    url: str
    snippet: str
    first_seen: datetime
    latest: datetime  # newest new coverage
    relevance: float
    is_update: bool  # an earlier delivered digest already showed this story
    new_sources: int
    sources: tuple[DigestSource, ...]  # originals, earliest first
    first: FirstReport | None = None  # who reported the story first, when two or more did

    @property
    def marker(self) -> str:
        if not self.is_update:
            return "new story"
        return f"update: {self.new_sources} new source{'s' if self.new_sources != 1 else ''}"

    @property
    def earlier_sources(self) -> tuple[DigestSource, ...]:
        return tuple(s for s in self.sources if not s.has_news)

    @property
    def article_ids(self) -> tuple[int, ...]:
        return tuple(
            i for s in self.sources for i in (s.article_id, *(c.article_id for c in s.copies))
        )


@dataclass(frozen=True)
class Digest:
    """A digest for one channel, ready to render; `more` stories were left out by the cap."""

    name: str
    channel: str
    topics: tuple[str, ...]
    built_at: datetime
    since: datetime | None  # the previous delivery to this channel
    order: str
    stories: tuple[DigestStory, ...]
    more: int
    total_stories: int
    new_stories: int
    updates: int
    new_sources: int
    watermark: datetime | None  # where delivering this digest moves the watermark
    shown_article_ids: tuple[int, ...]
    hidden_article_ids: tuple[int, ...]
    muted: int = 0  # muted stories with coverage no earlier digest counted
    held_article_ids: tuple[int, ...] = ()  # newly left out for a mute: back after it ends

    @property
    def empty(self) -> bool:
        return self.total_stories == 0

    @property
    def summary(self) -> str:
        """'3 stories, 2 updates' (new stories, updated stories) or 'no new coverage'."""
        if self.empty:
            return "no new coverage"
        parts = []
        if self.new_stories:
            parts.append(_plural(self.new_stories, "story", "stories"))
        if self.updates:
            parts.append(_plural(self.updates, "update", "updates"))
        return ", ".join(parts)


def build(conn: sa.Connection, digest: DigestConfig, channel: str, now: datetime) -> Digest:
    """The digest *digest* would deliver to *channel* now (read-only)."""
    state = q.state(conn, digest.name, channel)
    fresh = q.new_articles(conn, digest.name, channel, digest.topics, state.scan_from)
    held = mutes.held(conn, digest.name, channel)
    groups = q.story_groups(conn, digest.topics, {*fresh.article_ids, *held})
    seen = q.seen(conn, digest.name, channel, [a for g in groups for a in g.all_ids])
    story_ids = [g.story_id for g in groups if g.story_id is not None]
    titles = q.story_titles(conn, story_ids)
    firsts = first_reports(conn, story_ids)
    muted = _muted_groups(conn, digest, groups, mutes.in_force(conn, now))
    built = [(g, s) for g in groups if (s := _story(g, seen, titles, firsts)) is not None]
    stories = [s for g, s in built if id(g) not in muted]
    quiet = [[i for i in s.article_ids if i not in seen] for g, s in built if id(g) in muted]
    if digest.order == "recency":
        stories.sort(key=lambda s: (s.latest, s.relevance), reverse=True)
    else:
        stories.sort(key=lambda s: (s.relevance, s.latest), reverse=True)
    cap = digest.max_stories if digest.max_stories > 0 else len(stories)
    shown, hidden = stories[:cap], stories[cap:]
    shown_ids = sorted({i for s in shown for i in s.article_ids})
    hidden_ids = sorted({i for s in hidden for i in s.article_ids if i not in seen})
    watermark = max((m for m in (fresh.newest, state.watermark) if m is not None), default=None)
    return Digest(
        name=digest.name,
        channel=channel,
        topics=digest.topics,
        built_at=now,
        since=state.last_delivery,
        order=digest.order,
        stories=tuple(shown),
        more=len(hidden),
        total_stories=len(stories),
        new_stories=sum(1 for s in stories if not s.is_update),
        updates=sum(1 for s in stories if s.is_update),
        new_sources=sum(s.new_sources for s in stories),
        watermark=watermark,
        shown_article_ids=tuple(shown_ids),
        hidden_article_ids=tuple(hidden_ids),
        muted=sum(1 for ids in quiet if not held.issuperset(ids)),
        held_article_ids=tuple(sorted({i for ids in quiet for i in ids} - held)),
    )


def _muted_groups(
    conn: sa.Connection, digest: DigestConfig, groups: list[q.StoryGroup], muted: mutes.Muted
) -> set[int]:
    """The groups (by id()) a mute leaves out: a muted story, or one that only muted topics of
    this digest match (a story an unmuted topic also matches is shown whole)."""
    off = muted.topics & set(digest.topics)
    live = [t for t in digest.topics if t not in off]
    matched = q.matched_by(conn, live, [i for g in groups for i in g.all_ids]) if off else set()
    return {
        id(g)
        for g in groups
        if (g.story_id is not None and g.story_id in muted.stories)
        or (off and not matched.intersection(g.all_ids))
    }


def pending_window(
    conn: sa.Connection, digest: DigestConfig, channel: str, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """Oldest and newest match time of coverage not yet delivered (for realtime debounce); none
    while all of it is muted, so a mute does not set off a digest of nothing."""
    state = q.state(conn, digest.name, channel)
    fresh = q.new_articles(conn, digest.name, channel, digest.topics, state.scan_from)
    muting = fresh.article_ids and mutes.in_force(conn, now) != mutes.Muted()
    if muting and build(conn, digest, channel, now).empty:
        return None, None
    return fresh.oldest, fresh.newest


def clean_snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """One line of plain text, control characters removed, cut at a word boundary."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"


def _story(
    group: q.StoryGroup,
    seen: dict[int, bool],
    titles: dict[int, str],
    firsts: dict[int, FirstReport],
) -> DigestStory | None:
    shown_before = {i for i, shown in seen.items() if shown}
    sources: list[DigestSource] = []
    for root in group.roots:
        copies = tuple(_source(c, c.id not in seen) for c in group.copies.get(root.id, ()))
        sources.append(_source(root, root.id not in seen, copies))
    new_ids = [i for i in group.all_ids if i not in seen]
    if not new_ids:
        return None
    sources.sort(key=lambda s: (s.published, s.article_id))
    by_id = {a.id: a for a in group.articles}
    # relevance and snippet come from the best *new* coverage (a new copy lends its original's)
    scored = [group.best_match(i) for i in new_ids]
    best_new = max((m for m in scored if m is not None), key=lambda m: m.score, default=None)
    best_any = group.best_match(None)
    best = best_new or best_any
    if best is None:
        return None
    head = by_id[group.best_root(best.article_id)]
    times = [_when(a) for a in group.articles]
    return DigestStory(
        key=f"s{group.story_id}" if group.story_id is not None else f"a{group.roots[0].id}",
        headline=clean_snippet(titles.get(group.story_id or -1) or head.title or head.url, 300),
        url=head.url,
        snippet=clean_snippet(best.snippet),
        first_seen=min(times),
        latest=max(_when(by_id[i]) for i in new_ids),
        relevance=best.score,
        is_update=any(i in shown_before for i in group.all_ids),
        new_sources=len(new_ids),
        sources=tuple(sources),
        first=first if (first := firsts.get(group.story_id or -1)) and first.second else None,
    )


def _source(row: Any, new: bool, copies: tuple[DigestSource, ...] = ()) -> DigestSource:
    return DigestSource(
        article_id=row.id,
        outlet=clean_snippet(declared_site_name(row.site_name, row.url) or row.source, 120),
        url=row.url,
        title=clean_snippet(row.title or row.url, 300),
        published=_when(row),
        new=new,
        copies=copies,
    )


def outlet(report: Report) -> str:
    """The outlet a report is shown under (as a digest names a source)."""
    return clean_snippet(declared_site_name(report.site_name, report.url) or report.source, 120)


def _when(row: Any) -> datetime:
    when: datetime = row.published or row.stored_at
    return when


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
