"""`feeds test`: fetch one URL and show what the pipeline would store, storing nothing.

It runs the pipeline's own steps (`ingest/steps.py`): the same parsing, the same page fetch
and extraction (in the pool, with the timeout), the same title and text. A URL that is a
configured feed is read with that feed's `full_text:`; any other with the default, `auto`.
A URL that is not a feed, tested without `--type`, also reports the feeds autodiscovery finds.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from monitor.clock import utcnow
from monitor.config import Config, FeedConfig
from monitor.errors import FetchError, ParseError
from monitor.extract.article import ExtractPool
from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings, fetch_settings
from monitor.ingest.discovery import discover_in
from monitor.ingest.health import describe_skips, skip_counts
from monitor.ingest.steps import (
    EXTRACT_TIMEOUT,
    EntryArticle,
    KeyedEntry,
    SourceEntries,
    article_of,
    entries_of,
    key_entries,
)
from monitor.models import Entry, FetchResult
from monitor.urls import canonical_url, link_problem


async def probe_url(
    url: str, config: Config | None, *, kind: str | None, limit: int
) -> dict[str, Any]:
    """The report of `feeds test URL`: `kind` "feed" or "page", or None to try a feed first."""
    settings = fetch_settings(config) if config else FetchSettings()
    feed = _configured(config, url)
    report: dict[str, Any] = {"url": url, "ok": False, "items": []}
    extractor = ExtractPool(config.settings.extract_workers if config else None)
    try:
        async with Fetcher(settings) as fetcher:
            try:
                result = await fetcher.fetch(url)
                read = await _entries(fetcher, result, kind, url)
                if read.page:
                    report["feed_url"] = read.feed_url
                if read.page and kind is None:  # not a feed: what `feeds add` would find
                    found = await discover_in(fetcher, url, result)
                    report["discovered"] = [asdict(f) for f in found.feeds]
                if read.feed_error is not None:
                    report["feed_error"] = read.feed_error
                report.update(
                    ok=True,
                    format=read.parsed.format,
                    entries=len(read.parsed.entries),
                    malformed=read.parsed.malformed,
                )
                keyed = key_entries(read.parsed.entries)  # as the pipeline
                if keyed.skipped:
                    report["skipped"] = describe_skips(skip_counts(keyed.skipped))
                entries = keyed.keyed[:limit]
                built = await asyncio.gather(
                    *(_article(fetcher, extractor, feed, e) for e in entries)
                )
                report["items"] = [_item(e.entry, b) for e, b in zip(entries, built, strict=True)]
            except (FetchError, ParseError) as exc:
                report.update(error=exc.message, hint=exc.hint)
    finally:
        extractor.close()
    return report


def _configured(config: Config | None, url: str) -> FeedConfig:
    """The configured feed at `url`, else a feed with every default."""
    for feed in config.feeds if config else []:
        if feed.url == url or (
            link_problem(url) is None and canonical_url(feed.url) == canonical_url(url)
        ):
            return feed
    return FeedConfig(url=url, name=url)


async def _entries(
    fetcher: Fetcher, result: FetchResult, kind: str | None, url: str
) -> SourceEntries:
    """The document at `url` read as `kind`; without one, as a feed, else as a section page."""
    if kind != "page":
        try:
            return await entries_of(fetcher, result, "feed", source=url)
        except ParseError:
            if kind is not None:
                raise
    return await entries_of(fetcher, result, "page", source=url)


async def _article(
    fetcher: Fetcher, extractor: ExtractPool, feed: FeedConfig, item: KeyedEntry
) -> EntryArticle:
    return await article_of(
        fetcher,
        extractor,
        item.entry,
        item.canon,
        feed.full_text,
        source=feed.name,
        origin=feed.url,
        clock=utcnow,
    )


def _item(entry: Entry, built: EntryArticle) -> dict[str, Any]:
    """One entry as the pipeline would store it (title, text, metadata) and how it was read."""
    article = built.article
    published = article.published if article else entry.published
    item: dict[str, Any] = {
        "title": article.title if article else entry.title,
        "url": entry.url,
        "published": published.isoformat() if published else None,
        "language": article.language if article else None,
        "text": article.text if article else "",
        "text_from": built.text_from,
    }
    if built.page_error is not None:
        item["page_error"] = built.page_error
    if built.refused is not None:
        item["skipped"] = built.refused.reason
    if built.timed_out:
        item["page_error"] = f"extraction took longer than {EXTRACT_TIMEOUT:g} s"
    if article is not None:
        item.update(canonical_url=article.canonical_url, author=article.author)
    return item
