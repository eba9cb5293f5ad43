"""Which entries of a document a poll turns into articles: keyed, not stored yet, newest first.

Pure: the pipeline asks the store which GUIDs and URLs it knows and hands the answer in.
An entry already stored via another source is only linked to this one; a bad link is skipped
(`steps.key_entries`), never an error of its feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from monitor.ingest.steps import NOTHING_TO_STORE, KeyedEntries, KeyedEntry, Skip, Teaser
from monitor.models import Article

MAX_NEW_PER_POLL = 200  # a first poll of a huge archive feed takes the newest first
_OLDEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Fresh:
    """The entries to build articles from, the ones stored already (via another source: linked
    to this one, not stored again), and the skipped."""

    entries: list[KeyedEntry]
    links: list[KeyedEntry]
    skipped: list[Skip]


@dataclass(frozen=True)
class Gathered:
    """A document's articles to store, the stored ones to link to this source, the skipped, and
    the canonical URLs of the articles to store that wait for their full text (→ the error)."""

    articles: list[Article]
    links: list[KeyedEntry]
    skipped: list[Skip]
    waiting: dict[str, str] = field(default_factory=dict)


def fresh_entries(keyed: KeyedEntries, seen_guids: set[str], seen_urls: set[str]) -> Fresh:
    """The entries not stored yet (by this source's GUID or by canonical URL), newest first,
    at most MAX_NEW_PER_POLL; each canonical URL once."""
    fresh: list[KeyedEntry] = []
    links: list[KeyedEntry] = []
    seen = set(seen_urls)
    for item in keyed.keyed:
        if item.entry.guid and item.entry.guid in seen_guids:
            continue
        if item.canon in seen:
            links.append(item)
            continue
        seen.add(item.canon)
        fresh.append(item)
    fresh.sort(key=lambda k: k.entry.published or _OLDEST, reverse=True)
    return Fresh(fresh[:MAX_NEW_PER_POLL], links, list(keyed.skipped))


def gathered(fresh: Fresh, built: Sequence[Article | Teaser | Skip | None]) -> Gathered:
    """The articles built from `fresh.entries` (None: nothing to store; a Skip: refused; a
    Teaser: stored, and waits for its full text)."""
    skips = [
        a if isinstance(a, Skip) else Skip(NOTHING_TO_STORE, k.entry.url)
        for k, a in zip(fresh.entries, built, strict=True)
        if not isinstance(a, Article | Teaser)
    ]
    articles = [a.article if isinstance(a, Teaser) else a for a in built if a is not None]
    waiting = {a.article.canonical_url: a.error for a in built if isinstance(a, Teaser)}
    return Gathered(
        [a for a in articles if isinstance(a, Article)], fresh.links, fresh.skipped + skips, waiting
    )
