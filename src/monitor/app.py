"""The running program's parts for one config: store, fetcher, extractor, stages, pipeline."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

import sqlalchemy as sa

from monitor.clock import utcnow
from monitor.config import Config
from monitor.errors import MonitorError
from monitor.ingest.stages import ArticleStage
from monitor.models import Article
from monitor.store import Store
from monitor.store import sources as source_store
from monitor.store.sources import SourceRow
from monitor.topics import stage as topics

if TYPE_CHECKING:  # the network, the process pool and the story engine load when first used,
    # so that `status` and `stories` do not pay for trafilatura, httpx and numpy
    from monitor.ingest.pipeline import Pipeline, PollOutcome
    from monitor.stories.engine import StoryEngine

log = logging.getLogger(__name__)


class StoryStage:
    """Dedup (copies) and story clustering for each new article, in the storing transaction."""

    name = "stories"

    def __init__(self, config: Config) -> None:
        pass

    @cached_property
    def engine(self) -> StoryEngine:
        from monitor.stories.engine import StoryEngine, StorySettings

        return StoryEngine(StorySettings())

    def process(
        self, conn: sa.Connection, article_id: int, article: Article, now: datetime
    ) -> None:
        self.engine.process(conn, article_id, article)


def build_stages(config: Config) -> list[ArticleStage]:
    """The per-article stages in order: dedup/stories first (copies know their original), topics."""
    return [StoryStage(config), topics.TopicStage(config)]


class App:
    """One config's store and stages; `pipeline()` adds the network and process-pool parts."""

    def __init__(self, config: Config, store: Store | None = None) -> None:
        self.config = config
        self.store = store or Store.open(config.settings.state_dir, config.settings.database_url)
        self.stages = build_stages(config)
        self.sync()

    def sync(self) -> None:
        """Bring sources and topic matches in line with the config (on start and on reload)."""
        now = utcnow()
        with self.store.begin() as conn:
            source_store.sync(
                conn, [(f.name, f.url, f.type) for f in self.config.feeds if f.enabled], now
            )
            topics.rematch_changed(conn, self.config, now)

    def reconfigure(self, config: Config) -> None:
        self.config = config
        self.stages = build_stages(config)
        self.sync()

    @property
    def source_names(self) -> list[str]:
        return [f.name for f in self.config.feeds if f.enabled]

    @property
    def lease(self) -> timedelta:
        from monitor.fetch.client import fetch_settings

        return timedelta(seconds=max(600.0, fetch_settings(self.config).total_timeout * 10))

    @asynccontextmanager
    async def pipeline(self) -> AsyncIterator[Pipeline]:
        from monitor.extract.article import ExtractPool
        from monitor.fetch.client import Fetcher, fetch_settings
        from monitor.ingest.pipeline import Pipeline

        extractor = ExtractPool(self.config.settings.extract_workers)
        try:
            async with Fetcher(fetch_settings(self.config)) as fetcher:
                yield Pipeline(self.config, self.store, fetcher, extractor, self.stages)
        finally:
            extractor.close()

    def claim(self, names: Iterable[str], limit: int, *, force: bool = False) -> list[SourceRow]:
        with self.store.begin() as conn:
            return source_store.claim_due(conn, names, utcnow(), limit, self.lease, force=force)

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

    def close(self) -> None:
        self.store.close()
