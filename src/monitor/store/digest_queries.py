"""Reads behind digest building: new coverage per digest × channel, grouped into stories."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from monitor.store.delivery_tables import delivery_seen, delivery_state
from monitor.store.mutes import held_query
from monitor.store.schema import articles, topic_matches
from monitor.store.util import chunks

# Matches committed late (a long poll transaction) may carry a matched_at a little older than
# the watermark; the scan looks back this far and `delivery_seen` keeps it exact.
GRACE = timedelta(days=1)
_MAX_COPY_DEPTH = 4
_COLUMNS = (
    articles.c.id,
    articles.c.url,
    articles.c.title,
    articles.c.site_name,
    articles.c.source,
    articles.c.published,
    articles.c.stored_at,
    articles.c.duplicate_of,
    articles.c.story_id,
)
_stories = sa.table("stories", sa.column("id", sa.Integer), sa.column("title", sa.Text))


@dataclass(frozen=True)
class PairState:
    """delivery_state of one digest × channel (all None before its first run)."""

    watermark: datetime | None = None
    last_run: datetime | None = None
    last_delivery: datetime | None = None
    last_message_id: str | None = None

    @property
    def scan_from(self) -> datetime | None:
        return self.watermark - GRACE if self.watermark is not None else None


@dataclass(frozen=True)
class Fresh:
    """Articles this digest × channel has neither covered nor held back for a mute: matched ones
    and copies of matched ones."""

    article_ids: tuple[int, ...]
    oldest: datetime | None
    newest: datetime | None  # newest matched_at among them: the next watermark


@dataclass(frozen=True)
class Match:
    article_id: int
    score: float
    snippet: str


@dataclass
class StoryGroup:
    """The digest-relevant articles of one story: originals, their copies, their best matches."""

    story_id: int | None
    roots: list[Any] = field(default_factory=list)
    copies: dict[int, list[Any]] = field(default_factory=dict)
    root_of: dict[int, int] = field(default_factory=dict)
    matches: dict[int, Match] = field(default_factory=dict)

    @property
    def articles(self) -> list[Any]:
        return [*self.roots, *(c for cs in self.copies.values() for c in cs)]

    @property
    def all_ids(self) -> list[int]:
        return [a.id for a in self.articles]

    def best_root(self, article_id: int) -> int:
        return self.root_of.get(article_id, article_id)

    def best_match(self, article_id: int | None) -> Match | None:
        """The match of this article (or of its original); with None, the best of the story."""
        if article_id is None:
            return max(self.matches.values(), key=lambda m: m.score, default=None)
        return self.matches.get(article_id) or self.matches.get(self.best_root(article_id))


def state(conn: sa.Connection, digest: str, channel: str) -> PairState:
    row = conn.execute(
        sa.select(delivery_state).where(
            delivery_state.c.digest == digest, delivery_state.c.channel == channel
        )
    ).first()
    if row is None:
        return PairState()
    return PairState(row.watermark, row.last_run, row.last_delivery, row.last_message_id)


def new_articles(
    conn: sa.Connection,
    digest: str,
    channel: str,
    topics: Sequence[str],
    scan_from: datetime | None,
) -> Fresh:
    seen_q = sa.select(delivery_seen.c.article_id).where(
        delivery_seen.c.digest == digest, delivery_seen.c.channel == channel
    )
    held_q = held_query(digest, channel)
    matched = sa.select(topic_matches.c.article_id, topic_matches.c.matched_at).where(
        topic_matches.c.topic.in_(list(topics)),
        topic_matches.c.article_id.not_in(seen_q),
        topic_matches.c.article_id.not_in(held_q),
    )
    matched_any = sa.select(topic_matches.c.article_id).where(
        topic_matches.c.topic.in_(list(topics))
    )
    copies = sa.select(articles.c.id, articles.c.stored_at).where(
        articles.c.duplicate_of.in_(matched_any),
        articles.c.id.not_in(seen_q),
        articles.c.id.not_in(held_q),
    )
    if scan_from is not None:
        matched = matched.where(topic_matches.c.matched_at > scan_from)
        copies = copies.where(articles.c.stored_at > scan_from)
    times: dict[int, datetime] = {}
    newest: datetime | None = None
    for r in conn.execute(matched):
        times[r.article_id] = min(times.get(r.article_id, r.matched_at), r.matched_at)
        newest = r.matched_at if newest is None else max(newest, r.matched_at)
    for r in conn.execute(copies):
        times.setdefault(r.id, r.stored_at)
    return Fresh(tuple(sorted(times)), min(times.values(), default=None), newest)


def story_groups(
    conn: sa.Connection, topics: Sequence[str], fresh_ids: Iterable[int]
) -> list[StoryGroup]:
    """The stories of *fresh_ids*, each with every digest-matched original and its copies."""
    rows = _load(conn, articles.c.id, fresh_ids)
    root_of = _resolve_roots(conn, rows)
    story_ids = {rows[root_of[i]].story_id for i in list(rows) if rows[root_of[i]].story_id}
    lone_roots = {root_of[i] for i in list(rows) if rows[root_of[i]].story_id is None}
    members = _load(conn, articles.c.story_id, story_ids)
    rows.update(members)
    root_of.update(_resolve_roots(conn, rows))
    roots = set(lone_roots) | {root_of[i] for i in members}
    copies = _copies(conn, roots)
    for parent, children in list(copies.items()):
        for child in children:
            rows[child.id] = child
            root_of[child.id] = root_of.get(parent, parent)
    matches = _best_matches(conn, topics, rows)
    groups: dict[tuple[str, int], StoryGroup] = {}
    for root_id in sorted(roots):
        root = rows[root_id]
        family = [c for p, cs in copies.items() if root_of.get(p, p) == root_id for c in cs]
        if root_id not in matches and not any(c.id in matches for c in family):
            continue  # in the story, but not about this digest's topics
        key = ("s", root.story_id) if root.story_id is not None else ("a", root_id)
        group = groups.setdefault(key, StoryGroup(root.story_id))
        group.roots.append(root)
        group.copies[root_id] = sorted(family, key=lambda c: c.id)
        for art in (root, *family):
            group.root_of[art.id] = root_id
            if art.id in matches:
                group.matches[art.id] = matches[art.id]
    return list(groups.values())


def seen(conn: sa.Connection, digest: str, channel: str, ids: Iterable[int]) -> dict[int, bool]:
    """article id → shown (True) or only counted in "and N more" (False), for covered ones."""
    found: dict[int, bool] = {}
    for chunk in chunks(sorted(set(ids))):
        q = sa.select(delivery_seen.c.article_id, delivery_seen.c.shown).where(
            delivery_seen.c.digest == digest,
            delivery_seen.c.channel == channel,
            delivery_seen.c.article_id.in_(chunk),
        )
        found.update({r.article_id: bool(r.shown) for r in conn.execute(q)})
    return found


def matched_by(conn: sa.Connection, topics: Sequence[str], ids: Iterable[int]) -> set[int]:
    """Those of *ids* that one of *topics* matched."""
    found: set[int] = set()
    for chunk in chunks(sorted(set(ids))):
        q = sa.select(topic_matches.c.article_id).where(
            topic_matches.c.topic.in_(list(topics)), topic_matches.c.article_id.in_(chunk)
        )
        found.update(int(i) for i in conn.execute(q).scalars())
    return found


def story_titles(conn: sa.Connection, story_ids: Iterable[int]) -> dict[int, str]:
    """Titles from the `stories` table when the stories stage has created it."""
    ids = sorted(set(story_ids))
    if not ids or not sa.inspect(conn).has_table("stories"):
        return {}
    titles: dict[int, str] = {}
    for chunk in chunks(ids):
        q = sa.select(_stories.c.id, _stories.c.title).where(_stories.c.id.in_(chunk))
        titles.update({r.id: r.title for r in conn.execute(q) if r.title})
    return titles


def _load(conn: sa.Connection, column: Any, values: Iterable[Any]) -> dict[int, Any]:
    found: dict[int, Any] = {}
    for chunk in chunks(sorted(set(values))):
        found.update({r.id: r for r in conn.execute(sa.select(*_COLUMNS).where(column.in_(chunk)))})
    return found


def _resolve_roots(conn: sa.Connection, rows: dict[int, Any]) -> dict[int, int]:
    """article id → its original (following duplicate_of; loads parents into *rows*)."""
    for _ in range(_MAX_COPY_DEPTH):
        missing = {r.duplicate_of for r in rows.values() if r.duplicate_of} - set(rows)
        if not missing:
            break
        rows.update(_load(conn, articles.c.id, missing))
    root_of: dict[int, int] = {}
    for art_id in rows:
        current = art_id
        for _ in range(_MAX_COPY_DEPTH):
            parent = rows[current].duplicate_of
            if parent is None or parent not in rows or parent == art_id:
                break
            current = parent
        root_of[art_id] = current
    return root_of


def _copies(conn: sa.Connection, roots: Iterable[int]) -> dict[int, list[Any]]:
    """parent id → its syndicated copies, following copies of copies a few levels down."""
    found: dict[int, list[Any]] = {}
    frontier = set(roots)
    for _ in range(_MAX_COPY_DEPTH):
        children = _load(conn, articles.c.duplicate_of, frontier)
        if not children:
            break
        for child in children.values():
            found.setdefault(child.duplicate_of, []).append(child)
        frontier = set(children) - set(found)
    return found


def _best_matches(
    conn: sa.Connection, topics: Sequence[str], rows: dict[int, Any]
) -> dict[int, Match]:
    best: dict[int, Match] = {}
    for chunk in chunks(sorted(rows)):
        q = sa.select(
            topic_matches.c.article_id, topic_matches.c.score, topic_matches.c.snippet
        ).where(topic_matches.c.topic.in_(list(topics)), topic_matches.c.article_id.in_(chunk))
        for r in conn.execute(q):
            if r.article_id not in best or r.score > best[r.article_id].score:
                best[r.article_id] = Match(r.article_id, float(r.score), r.snippet or "")
    return best
