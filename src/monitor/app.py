"""The running program's parts for one config: store, fetcher, extractor, stages, pipeline."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from monitor.clock import utcnow
from monitor.config import Config, FetchConfig
from monitor.errors import MonitorError
from monitor.fetch.settings import fetch_settings
from monitor.ingest.stages import ArticleStage
from monitor.redact import strip_userinfo
from monitor.store import Store, full_text
from monitor.store import sources as source_store
from monitor.store.sources import SourceRow
from monitor.stories.stage import StoryStage
from monitor.topics import stage as topics

if TYPE_CHECKING:  # the network and the process pool load when first used, so that `status`
    # and `stories` do not pay for trafilatura and httpx
    from monitor.fetch.gate import HostGate
    from monitor.ingest.pipeline import Pipeline, PollOutcome
    from monitor.ingest.retry import RetryReport

log = logging.getLogger(__name__)

# settings held by parts built at start (the store, the extract pool, the logging), and every
# settings.fetch key (the HTTP client and its pools): a reload keeps their start values
READ_AT_START = (
    "state_dir", "database_url", "lock_timeout", "extract_workers", "log_level", "workers",
)  # fmt: skip
FETCH_KEYS = {"max_body_bytes": "max_body_size"}  # FetchConfig field → its key in the file


@dataclass(frozen=True)
class Reload:
    """What a reload did: the sources watched now, and the changed settings that need a restart."""

    sources: int
    needs_restart: tuple[str, ...]


def needs_restart(old: Config, new: Config) -> tuple[str, ...]:
    """The settings (as keys of the file) whose *new* value only a restart applies (*old*: the
    config the running parts were built from)."""
    changed = [k for k in READ_AT_START if getattr(old.settings, k) != getattr(new.settings, k)]
    before, after = fetch_settings(old), fetch_settings(new)
    for f in fields(FetchConfig):
        if getattr(before, f.name) != getattr(after, f.name):
            changed.append(f"fetch.{FETCH_KEYS.get(f.name, f.name)}")
    if before.origin_headers != after.origin_headers:
        changed.append("feeds' headers")
    return tuple(changed)


def build_stages(config: Config) -> list[ArticleStage]:
    """The per-article stages in order: dedup/stories first (copies know their original), topics."""
    return [StoryStage(config), topics.TopicStage(config)]


class App:
    """One config's store and stages; `pipeline()` adds the network and process-pool parts.

    `App(config, store)` only wires the parts; `App.open(config)` is the start step that opens
    the store and brings it in line with the config (every command and the daemon use it).
    """

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        # what the store, the HTTP client and the extract pool were built from
        self.started = config
        self.store = store
        self.stages = build_stages(config)
        self._pipelines: set[Pipeline] = set()  # the open ones: a reload reaches them too

    @classmethod
    def open(cls, config: Config, store: Store | None = None, *, read_only: bool = False) -> App:
        """Open (and migrate) the config's store, then sync sources and topic matches to it.

        *read_only* (the commands that only read): the store is opened read-only, neither
        migrated nor synced, and never written; a state that does not exist yet is created."""
        s = config.settings
        if store is None:
            store = Store.open(
                s.state_dir, s.database_url, read_only=read_only, lock_timeout=s.lock_timeout
            )
            owned = True
        else:
            owned = False
        app = cls(config, store)
        if store.read_only:
            return app
        try:
            app.sync()
        except BaseException:
            if owned:  # ours to close; a caller's store stays the caller's
                app.close()
            raise
        return app

    def sync(self) -> None:
        """Bring sources and topic matches in line with the config (on start and on reload)."""
        now = utcnow()
        with self.store.begin() as conn:
            source_store.sync(
                conn,
                [(f.name, strip_userinfo(f.url), f.type) for f in self.config.feeds if f.enabled],
                now,
            )
            topics.rematch_changed(conn, self.config, now)

    def reconfigure(self, config: Config) -> Reload:
        """Apply a reloaded config here and in every open pipeline, then sync the store to it."""
        restart = needs_restart(self.started, config)
        self.config = config
        self.stages = build_stages(config)
        for pipeline in self._pipelines:
            pipeline.reconfigure(config, self.stages)
        self.sync()
        return Reload(len(self.source_names), restart)

    @property
    def source_names(self) -> list[str]:
        return [f.name for f in self.config.feeds if f.enabled]

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=max(600.0, fetch_settings(self.config).total_timeout * 10))

    @asynccontextmanager
    async def pipeline(self, host_gate: HostGate | None = None) -> AsyncIterator[Pipeline]:
        """The network and process-pool parts around the store and stages; *host_gate*: the
        per-host slots of a cluster of workers (fetch/gate.py), beyond this process's."""
        from monitor.extract.article import ExtractPool
        from monitor.fetch.client import Fetcher
        from monitor.ingest.pipeline import Pipeline

        extractor = ExtractPool(self.config.settings.extract_workers)
        try:
            async with Fetcher(fetch_settings(self.config), host_gate=host_gate) as fetcher:
                pipeline = Pipeline(self.config, self.store, fetcher, extractor, self.stages)
                self._pipelines.add(pipeline)
                try:
                    yield pipeline
                finally:
                    self._pipelines.discard(pipeline)
        finally:
            extractor.close()

    def claim(
        self,
        names: Iterable[str],
        limit: int,
        *,
        force: bool = False,
        ids: Iterable[int] | None = None,
    ) -> list[SourceRow]:
        with self.store.begin() as conn:
            return source_store.claim_due(
                conn, names, utcnow(), limit, self.lease, force=force, ids=ids
            )

    async def poll(
        self,
        names: list[str] | None = None,
        *,
        force: bool = False,
        progress: Callable[[PollOutcome, int], None] | None = None,
    ) -> list[PollOutcome]:
        """Poll the due sources among *names* (all configured by default; every one with *force*)."""
        wanted = self.source_names if names is None else names
        unknown = sorted(set(wanted) - set(self.source_names))
        if unknown:
            raise MonitorError(
                f"no enabled source named {', '.join(unknown)}", "see `news-monitor feeds list`"
            )
        claimed = await asyncio.to_thread(self.claim, wanted, len(wanted) or 1, force=force)
        if not claimed:
            return []
        limit = asyncio.Semaphore(self.config.settings.concurrency)
        outcomes: list[PollOutcome] = []
        async with self.pipeline() as pipeline:

            async def one(source: SourceRow) -> None:
                async with limit:
                    outcome = await pipeline.poll(source)
                outcomes.append(outcome)
                if progress:
                    progress(outcome, len(claimed))

            await asyncio.gather(*(one(s) for s in claimed))
        return outcomes

    async def retry_full_text(self, due_by: datetime | None = None) -> RetryReport | None:
        """Fetch again the pages of the articles waiting for their full text that are due (by
        *due_by*: a poll's start, so that the articles it just stored wait their first delay);
        None when none is due (no pipeline is loaded for nothing)."""
        due_by = due_by or utcnow()
        with self.store.connect() as conn:
            if not full_text.any_due(conn, due_by):
                return None
        from monitor.ingest.retry import retry_due

        async with self.pipeline() as pipeline:
            return await retry_due(pipeline, due_by=due_by)

    def close(self) -> None:
        self.store.close()
