"""The one orchestrator: a source through fetch → parse → extract → store → stages, one transaction.

Per-source error handling lives here: a failing source is recorded (error, count, next poll)
and never stops the others. Everything a poll changes — the articles it stored, the matches
and stories of those articles, the source's validators and next poll — is committed together,
so a crash at any point loses nothing and leaves no half-written state.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from monitor.clock import utcnow
from monitor.config import Config, FeedConfig
from monitor.errors import FetchError, HTTPStatusError, MonitorError, ParseError, StoreError
from monitor.extract.article import ExtractPool
from monitor.fetch.client import Fetcher
from monitor.ingest import polling
from monitor.ingest.stages import ArticleStage, ingest
from monitor.ingest.steps import article_of, entries_of
from monitor.models import Article, Entry, FetchResult, ParsedFeed
from monitor.store import Store
from monitor.store import articles as article_store
from monitor.store import sources as source_store
from monitor.store.sources import SourceRow
from monitor.urls import canonical_url

log = logging.getLogger(__name__)

MAX_NEW_PER_POLL = 200  # a first poll of a huge archive feed takes the newest first


@dataclass(frozen=True)
class PollOutcome:
    """What one poll of one source did (for the CLI summary and the logs)."""

    source: str
    ok: bool
    entries: int = 0
    new_articles: int = 0
    not_modified: bool = False
    error: str | None = None


class Pipeline:
    """Polls sources through every stage; owns the stage order and per-source error handling."""

    def __init__(
        self,
        config: Config,
        store: Store,
        fetcher: Fetcher,
        extractor: ExtractPool,
        stages: Sequence[ArticleStage],
        *,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.fetcher = fetcher
        self.extractor = extractor
        self.stages = list(stages)
        self.clock = clock
        self.rng = rng or random.Random()
        # one committing poll at a time in this process: SQLite has one writer anyway, and the
        # per-article stages then see every earlier article of this process in order
        self._commit_lock = threading.Lock()

    def reconfigure(self, config: Config, stages: Sequence[ArticleStage]) -> None:
        """A reloaded config and its stages; a poll in flight commits through the new stages."""
        self.config = config
        self.stages = list(stages)

    async def poll(self, source: SourceRow) -> PollOutcome:
        """Poll one claimed source; never raises for a source's own failure."""
        feed = self.config.feed(source.name) or FeedConfig(url=source.url, name=source.name)
        try:
            result = await self.fetcher.fetch(
                source.fetch_url, etag=source.etag, last_modified=source.last_modified
            )
            if result.not_modified:
                await asyncio.to_thread(self._commit, source, feed, result, None, [], [])
                log.info("poll source=%s stage=fetch not modified", source.name)
                return PollOutcome(source.name, True, not_modified=True)
            parsed = await self._parse(source, feed, result)
            new_articles, links = await self._articles(source, feed, parsed)
            stored = await asyncio.to_thread(
                self._commit, source, feed, result, parsed, new_articles, links
            )
        except (FetchError, ParseError) as exc:
            stage = "parse" if isinstance(exc, ParseError) else "fetch"
            log.warning("poll source=%s stage=%s error: %s", source.name, stage, exc.message)
            return await self._failed(source, feed, exc, exc.message)
        except StoreError as exc:  # the database failed (locked, disk full, connection lost)
            log.error(
                "poll source=%s stage=store error: %s (hint: %s)",
                source.name,
                exc.message,
                exc.hint,
            )
            return await self._failed(source, feed, exc, exc.message)
        except MonitorError as exc:
            log.error("poll source=%s stage=pipeline error: %s", source.name, exc.message)
            return await self._failed(source, feed, exc, exc.message)
        except Exception as exc:  # a bug in one source's processing must not stop the daemon
            log.exception("poll source=%s stage=pipeline unexpected error", source.name)
            return await self._failed(source, feed, exc, f"internal error: {exc!r}")
        log.info(
            "poll source=%s stage=store entries=%d new=%d", source.name, len(parsed.entries), stored
        )
        return PollOutcome(source.name, True, len(parsed.entries), stored)

    async def _parse(self, source: SourceRow, feed: FeedConfig, result: FetchResult) -> ParsedFeed:
        """The feed's entries; for a section page, its own feed's or its article links.

        The section page's validators (not its feed's) drive the next conditional GET.
        """
        read = await entries_of(self.fetcher, result, feed.type)
        if read.feed_url:
            log.info("poll source=%s stage=pages using its feed %s", source.name, read.feed_url)
        if read.feed_error is not None:
            log.warning(
                "poll source=%s stage=pages its feed is unreadable; using links", source.name
            )
        return read.parsed

    async def _articles(
        self, source: SourceRow, feed: FeedConfig, parsed: ParsedFeed
    ) -> tuple[list[Article], list[tuple[str, str | None]]]:
        """The entries not stored yet, turned into articles (pages fetched and extracted)."""
        entries = [e for e in parsed.entries if e.url or e.guid]
        keyed = [(e, canonical_url(e.url) if e.url else None) for e in entries]
        seen_guids, seen_urls = await asyncio.to_thread(
            self._known,
            source.name,
            [e.guid for e in entries if e.guid],
            [c for _, c in keyed if c],
        )
        fresh: list[tuple[Entry, str]] = []
        links: list[tuple[str, str | None]] = []  # stored already (via another source): link only
        for entry, canon in keyed:
            if canon is None or (entry.guid and entry.guid in seen_guids):
                continue
            if canon in seen_urls:
                links.append((canon, entry.guid))
                continue
            seen_urls.add(canon)
            fresh.append((entry, canon))
        fresh.sort(key=lambda ec: ec[0].published or datetime.min.replace(tzinfo=UTC), reverse=True)
        fresh = fresh[:MAX_NEW_PER_POLL]
        built = await asyncio.gather(*(self._article(source, feed, e, c) for e, c in fresh))
        return [a for a in built if a is not None], links

    def _known(self, source: str, guids: list[str], urls: list[str]) -> tuple[set[str], set[str]]:
        with self.store.connect() as conn:
            return article_store.known(conn, source, guids, urls)

    async def _article(
        self, source: SourceRow, feed: FeedConfig, entry: Entry, canon: str
    ) -> Article | None:
        read = await article_of(
            self.fetcher,
            self.extractor,
            entry,
            canon,
            feed.full_text,
            source=source.name,
            clock=self.clock,
        )
        if read.timed_out:
            log.warning("poll source=%s stage=extract timed out on %s", source.name, entry.url)
        if read.page_error is not None:
            log.warning(
                "poll source=%s stage=extract page %s: %s", source.name, entry.url, read.page_error
            )
        if read.no_text:
            log.warning("poll source=%s stage=extract no text for %s", source.name, entry.url)
        return read.article

    async def _failed(
        self, source: SourceRow, feed: FeedConfig, exc: BaseException, message: str
    ) -> PollOutcome:
        """Record the failure on the source; if even that fails, its lease expires and it is retried."""
        try:
            await asyncio.to_thread(self._fail, source, feed, exc)
        except StoreError as again:
            log.error(
                "poll source=%s stage=store cannot record the failure: %s",
                source.name,
                again.message,
            )
        except Exception:
            log.exception("poll source=%s stage=store cannot record the failure", source.name)
        return PollOutcome(source.name, False, error=message)

    def _interval(self, feed: FeedConfig) -> float:
        return feed.interval or self.config.settings.poll_interval

    def _commit(
        self,
        source: SourceRow,
        feed: FeedConfig,
        result: FetchResult,
        parsed: ParsedFeed | None,
        new_articles: list[Article],
        links: list[tuple[str, str | None]],
    ) -> int:
        """Store the articles, run the stages and move the source's state: one transaction."""
        now = self.clock()
        configured = self._interval(feed)
        with self._commit_lock, self.store.begin() as conn:
            stored = ingest(conn, new_articles, self.stages, now)
            for canon, guid in links:
                article_store.link(conn, canon, source.name, guid, now)
            new_count = sum(1 for s in stored if s.new)
            interval = source.interval_seconds or configured
            if parsed is not None:
                # after ingest and links, the store holds every entry of this document once
                recent = article_store.recent_published(conn, source.name, now - timedelta(days=7))
                interval = polling.adaptive_interval(
                    configured,
                    min(self.config.settings.min_interval, configured),
                    recent,
                    now,
                    ttl_seconds=parsed.ttl_seconds,
                    max_age_seconds=polling.parse_cache_control_max_age(result.headers),
                )
            values: dict[str, object] = {
                "last_success": now,
                "error_count": 0,
                "next_check_at": now + timedelta(seconds=interval),
                "interval_seconds": interval,
                "etag": result.etag or source.etag,
                "last_modified": result.last_modified or source.last_modified,
            }
            if parsed is not None:
                values["items_seen"] = len(parsed.entries)
                values["malformed"] = parsed.malformed
                values["articles_stored"] = source.articles_stored + new_count
            if result.permanent_redirect:
                values["current_url"] = result.permanent_redirect
                log.info(
                    "poll source=%s stage=fetch moved permanently to %s",
                    source.name,
                    result.permanent_redirect,
                )
            source_store.record(conn, source.id, **values)
        return new_count

    def _fail(self, source: SourceRow, feed: FeedConfig, exc: BaseException) -> None:
        now = self.clock()
        message = exc.message if isinstance(exc, MonitorError) else repr(exc)
        errors = source.error_count + 1
        retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
        next_check = polling.next_check_after_error(
            now, errors, self._interval(feed), retry_after, rng=self.rng
        )
        values: dict[str, object] = {
            "last_error": message,
            "last_error_at": now,
            "error_count": errors,
            "next_check_at": next_check,
        }
        if isinstance(exc, HTTPStatusError) and exc.status == 410:
            values["disabled"] = True
            values["disabled_reason"] = "the server says the feed is gone for good (410)"
            log.warning("poll source=%s stage=fetch disabled: 410 Gone", source.name)
        with self.store.begin() as conn:
            source_store.record(conn, source.id, **values)
