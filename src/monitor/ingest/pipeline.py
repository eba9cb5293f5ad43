"""The one orchestrator: a source through fetch → parse → extract → store → stages, one transaction.

Per-source error handling lives here: a failing source is recorded (error, count, next poll)
and never stops the others; a damaged document that gave items is stored as degraded, and an
item that cannot be stored is skipped (ingest/health.py). Everything a poll changes — the
articles it stored, the matches and stories of those articles, the source's validators and
next poll — is committed together, so a crash at any point loses nothing and leaves no
half-written state.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from monitor.clock import utcnow
from monitor.config import Config, FeedConfig
from monitor.errors import FetchError, HTTPStatusError, MonitorError, ParseError, StoreError
from monitor.extract.article import ExtractPool
from monitor.fetch.client import Fetcher
from monitor.ingest import health, polling, retry
from monitor.ingest.gather import Gathered, fresh_entries, gathered
from monitor.ingest.health import PollOutcome
from monitor.ingest.stages import ArticleStage, ingest
from monitor.ingest.steps import (
    Document,
    KeyedEntry,
    Skip,
    Teaser,
    article_of,
    entries_of,
    fetch_document,
    key_entries,
)
from monitor.models import Article, FetchResult, ParsedFeed
from monitor.store import Store
from monitor.store import articles as article_store
from monitor.store import sources as source_store
from monitor.store.sources import SourceRow
from monitor.urls import with_credentials

__all__ = ["Pipeline", "PollOutcome"]

log = logging.getLogger(__name__)


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
        self.commit_lock = threading.Lock()
        self.stranded: set[int] = set()  # sources whose failure (and lease) could not be recorded

    def reconfigure(self, config: Config, stages: Sequence[ArticleStage]) -> None:
        """A reloaded config and its stages; a poll in flight commits through the new stages."""
        self.config = config
        self.stages = list(stages)

    async def poll(self, source: SourceRow) -> PollOutcome:
        """Poll one claimed source; never raises for a source's own failure."""
        feed = self.config.feed(source.name) or FeedConfig(url=source.url, name=source.name)
        started = time.monotonic()
        self.stranded.discard(source.id)  # claimed again: its old lease is this one now
        log.debug("poll source=%s stage=fetch start", source.name)  # bench/crash.py's phases
        try:
            doc = await fetch_document(
                self.fetcher,
                with_credentials(source.fetch_url, feed.url),  # the state keeps none
                source.etag,
                source.last_modified,
                source=source.url,
            )
            result, incomplete = doc.result, doc.incomplete
            if result.not_modified:
                await asyncio.to_thread(self._commit, source, feed, result, None, None, started)
                log.info("poll source=%s stage=fetch not modified", source.name)
                return PollOutcome(source.name, True, not_modified=True, seconds=_since(started))
            parsed = await self._parse(source, feed, doc)
            damage = health.damage_of(parsed, incomplete)
            gathered = await self._articles(source, feed, parsed)
            stored = await asyncio.to_thread(
                self._commit, source, feed, result, parsed, gathered, started, damage
            )
        except (FetchError, ParseError) as exc:
            stage = "parse" if isinstance(exc, ParseError) else "fetch"
            log.warning("poll source=%s stage=%s error: %s", source.name, stage, exc.message)
            return await self._failed(source, feed, exc, started)
        except StoreError as exc:  # the database failed (locked, disk full, connection lost)
            self.store.log_fault(exc, "poll source=%s stage=store error", source.name)
            return await self._failed(source, feed, exc, started)
        except MonitorError as exc:
            log.error("poll source=%s stage=pipeline error: %s", source.name, exc.message)
            return await self._failed(source, feed, exc, started)
        except Exception as exc:  # a bug in one source's processing must not stop the daemon
            error = health.internal_error(exc, source.name)
            log.error("poll source=%s stage=pipeline %s", source.name, error.message)
            log.debug("poll source=%s: the traceback", source.name, exc_info=True)  # with -v
            return await self._failed(source, feed, error, started)
        self.store.recovered()
        if damage is not None:
            log.warning("poll source=%s stage=parse degraded: %s", source.name, damage.message)
        skips = health.describe_skips(health.skip_counts(gathered.skipped))
        if skips:
            log.warning("poll source=%s stage=parse skipped %s", source.name, skips)
        log.info(
            "poll source=%s stage=store entries=%d new=%d", source.name, len(parsed.entries), stored
        )
        return PollOutcome(
            source.name,
            True,
            len(parsed.entries),
            stored,
            degraded=damage.message if damage else None,
            hint=damage.hint if damage else None,
            skipped=len(gathered.skipped),
            skips=skips or None,
            seconds=_since(started),
        )

    async def _parse(
        self,
        source: SourceRow,
        feed: FeedConfig,
        doc: Document,
    ) -> ParsedFeed:
        """The feed's entries; for a section page, its own feed's or its article links.

        The section page's validators (not its feed's) drive the next conditional GET. What
        arrived of a response cut short that is no feed fails the poll as the fetch it was.
        """
        if doc.incomplete is not None:
            log.warning("poll source=%s stage=fetch %s", source.name, doc.incomplete.message)
        try:
            read = await entries_of(self.fetcher, doc.result, feed.type, source=source.url)
        except ParseError:
            if doc.incomplete is not None:
                raise doc.incomplete from None
            raise
        if read.feed_url:
            log.info("poll source=%s stage=pages using its feed %s", source.name, read.feed_url)
        if read.feed_error is not None:
            log.warning(
                "poll source=%s stage=pages its feed is unreadable; using links", source.name
            )
        return read.parsed

    async def _articles(self, source: SourceRow, feed: FeedConfig, parsed: ParsedFeed) -> Gathered:
        """The entries not stored yet, turned into articles (pages fetched and extracted)."""
        keyed = key_entries(parsed.entries)
        seen_guids, seen_urls = await asyncio.to_thread(
            self._known,
            source.name,
            [k.entry.guid for k in keyed.keyed if k.entry.guid],
            [k.canon for k in keyed.keyed],
        )
        fresh = fresh_entries(keyed, seen_guids, seen_urls)
        log.debug("poll source=%s stage=extract new=%d", source.name, len(fresh.entries))
        built = await asyncio.gather(*(self._article(source, feed, k) for k in fresh.entries))
        return gathered(fresh, built)

    def _known(self, source: str, guids: list[str], urls: list[str]) -> tuple[set[str], set[str]]:
        with self.store.connect() as conn:
            return article_store.known(conn, source, guids, urls)

    async def _article(
        self, source: SourceRow, feed: FeedConfig, item: KeyedEntry
    ) -> Article | Teaser | Skip | None:
        entry = item.entry
        read = await article_of(
            self.fetcher,
            self.extractor,
            entry,
            item.canon,
            feed.full_text,
            source=source.name,
            origin=feed.url,
            clock=self.clock,
        )
        if read.refused is not None:  # a skip: the poll's summary warns of it
            log.info(
                "poll source=%s stage=fetch %s: %s", source.name, entry.url, read.refused.reason
            )
            return read.refused
        for problem in read.problems(entry.url):
            log.warning("poll source=%s stage=extract %s", source.name, problem)
        return read.stored  # a Teaser: stored now, its page tried again later

    async def _failed(
        self, source: SourceRow, feed: FeedConfig, exc: MonitorError, started: float
    ) -> PollOutcome:
        """Record the failure on the source; if even that fails (the database is away), its
        lease is given back once the database answers again (`release_stranded`)."""
        try:
            await asyncio.to_thread(self._fail, source, feed, exc, started)
        except StoreError as again:
            self.stranded.add(source.id)
            self.store.log_fault(
                again, "poll source=%s stage=store cannot record the failure", source.name
            )
        except Exception:
            log.exception("poll source=%s stage=store cannot record the failure", source.name)
        return PollOutcome(
            source.name, False, error=exc.message, hint=exc.hint, seconds=_since(started)
        )

    def _interval(self, feed: FeedConfig) -> float:
        return feed.interval or self.config.settings.poll_interval

    def _commit(
        self,
        source: SourceRow,
        feed: FeedConfig,
        result: FetchResult,
        parsed: ParsedFeed | None,
        gathered: Gathered | None,
        started: float,
        damage: health.Damage | None = None,
    ) -> int:
        """Store the articles, run the stages and move the source's state: one transaction.

        `parsed` and `gathered` are None for a 304 (the same document as before: a degraded
        source stays degraded, its skips stay).
        """
        now = self.clock()
        configured = self._interval(feed)
        with self.commit_lock, self.store.begin() as conn:
            log.debug("poll source=%s stage=store begin", source.name)
            stored = ingest(conn, gathered.articles if gathered else [], self.stages, now)
            if gathered is not None and gathered.waiting:
                retry.mark_waiting(conn, self.config, gathered, stored, now)
            for link in gathered.links if gathered else []:
                article_store.link(conn, link.canon, source.name, link.entry.guid, now)
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
            values: dict[str, Any] = {
                "last_success": now,
                "next_check_at": now + timedelta(seconds=interval),
                "interval_seconds": interval,
                "etag": result.etag or source.etag,
                "last_modified": result.last_modified or source.last_modified,
            }
            values.update(health.read_values(source, parsed, damage, new_count, now))
            if result.permanent_redirect:
                values["current_url"] = result.permanent_redirect
                log.info(
                    "poll source=%s stage=fetch moved permanently to %s",
                    source.name,
                    result.permanent_redirect,
                )
            values["last_poll_seconds"] = _since(started)
            skipped = health.skip_counts(gathered.skipped) if gathered else None
            source_store.record(conn, source.id, skipped=skipped, **values)
        return new_count

    def release_stranded(self) -> None:
        """Give back the leases of the polls whose failure could not be recorded (the database
        was away), so that their sources are polled again at once rather than when the lease
        runs out. Called by the daemon's tick and a worker's heartbeat; quiet while the database
        is still away (the outage is told elsewhere)."""
        ids = sorted(self.stranded)
        if not ids:
            return
        try:
            with self.store.begin() as conn:
                source_store.release(conn, ids, mine_only=True)
        except StoreError:
            return
        self.stranded.difference_update(ids)
        log.info("poll: %d sources given back after the database came back", len(ids))

    def _fail(self, source: SourceRow, feed: FeedConfig, exc: MonitorError, started: float) -> None:
        now = self.clock()
        errors = source.error_count + 1
        retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
        next_check = polling.next_check_after_error(
            now, errors, self._interval(feed), retry_after, rng=self.rng
        )
        values = health.failure_values(exc, errors, now)
        values.update(next_check_at=next_check, last_poll_seconds=_since(started))
        if values.get("disabled"):
            log.warning("poll source=%s stage=fetch disabled: %s", source.name, exc.message)
        with self.store.begin() as conn:
            source_store.record(conn, source.id, **values)


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)
