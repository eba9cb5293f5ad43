"""The daemon: APScheduler wiring (tick, digests, maintenance, watchdog), signals, config reload.

A short *tick* job claims due sources from the store (`next_check_at`, leased so that no source
is polled twice at once) and starts their polls with bounded concurrency; there is not one
APScheduler job per feed. A poll that ends frees its slot for the next due source at once.
First SIGTERM/SIGINT: stop claiming, let the polls in hand finish (up to `shutdown_grace`),
exit 0. Second: cancel them and any job in progress, exit at once (quietly: no traceback). SIGHUP: reload the config through `App.reconfigure` (feeds, topics,
digests, channels, intervals, concurrency, tick); a broken file is reported and the old config
kept, and changed settings that only a restart applies are named in the reload's log line.
A *full_text* job tries again, once a minute (or at the shortest retry delay, when shorter), the
pages of articles stored with their teaser whose next attempt is due (ingest/retry.py).
`services` (the web app) run beside the scheduler until SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.app import App
from monitor.clock import utcnow
from monitor.config import Config
from monitor.daemon.liveness import loop_problem, ping_watchdog
from monitor.daemon.reload import reload_config
from monitor.daemon.sdnotify import Notifier
from monitor.digest import delivery
from monitor.errors import StoreError
from monitor.ingest.pipeline import Pipeline, PollOutcome
from monitor.ingest.retry import retry_due
from monitor.store.sources import SourceRow
from monitor.store.statelock import acquire
from monitor.store.story_queries import PruneReport, prune

log = logging.getLogger(__name__)

MAINTENANCE_SECONDS = 3600.0
FULL_TEXT_SECONDS = 60.0  # at most this long between looks at the articles waiting for full text


class Daemon:
    def __init__(self, config_path: Path, config: Config, environ: Mapping[str, str]) -> None:
        self.config_path = config_path
        self.environ = environ
        # one daemon per SQLite state (several may share a PostgreSQL database: docs/decisions.md)
        self.lock = None if config.settings.database_url else acquire(config.settings.state_dir)
        try:
            self.app = App.open(config)
        except BaseException:
            self._unlock()
            raise
        self.notifier = Notifier(environ)
        self.stopping = asyncio.Event()
        self.force_stop = False
        self.in_flight: dict[asyncio.Task[object], SourceRow] = {}
        self.jobs: set[asyncio.Task[object]] = set()  # scheduler jobs running right now
        self.claiming = asyncio.Lock()  # one claim at a time: the free slots are counted once
        self.refill_queued = False
        self.pipeline: Pipeline | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self.last_beat: float | None = None  # time.monotonic() of the last tick's start
        self.services: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self.observers: list[Callable[[PollOutcome], None]] = []

    @property
    def config(self) -> Config:
        return self.app.config

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_stop_signal, sig)
        loop.add_signal_handler(signal.SIGHUP, self._on_reload)
        settings = self.config.settings
        self.scheduler = scheduler = AsyncIOScheduler(
            timezone=settings.timezone,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        now = utcnow()
        scheduler.add_job(
            self.tick, "interval", seconds=settings.tick, next_run_time=now, id="tick"
        )
        scheduler.add_job(
            self.digests,
            "interval",
            seconds=settings.digest_check,
            next_run_time=now,
            id="digests",
        )
        # not more often than the shortest retry delay, nor more than a second apart
        every = max(1.0, min(FULL_TEXT_SECONDS, *settings.full_text_retry.backoff))
        scheduler.add_job(
            self.full_text, "interval", seconds=every, next_run_time=now, id="full_text"
        )
        scheduler.add_job(
            self.maintenance,
            "interval",
            seconds=MAINTENANCE_SECONDS,
            next_run_time=now,
            id="maintenance",
        )
        if self.notifier.watchdog_seconds:
            scheduler.add_job(
                self.watchdog,
                "interval",
                seconds=self.notifier.watchdog_seconds / 2,
                id="watchdog",
            )
        async with self.app.pipeline() as pipeline:
            self.pipeline = pipeline
            scheduler.start()
            services = [asyncio.create_task(start()) for start in self.services]
            self.notifier.ready(f"watching {len(self.app.source_names)} sources")
            log.info(
                "daemon started: %d sources, %d digests, state %s",
                len(self.app.source_names),
                len(self.config.digests),
                self.app.store.safe_url,
            )
            await self.stopping.wait()
            self.notifier.stopping()
            # pause, not shutdown: APScheduler's asyncio executor cancels the jobs in progress
            # on shutdown (wait or not), so a tick cancelled mid-claim logged a traceback and
            # lost its chance to hand its sources back; they end first, then the polls
            scheduler.pause()
            await self._finish_jobs()
            await self._drain()
            scheduler.shutdown(wait=False)
            await asyncio.gather(*services, return_exceptions=True)
        self.app.close()
        self._unlock()
        log.info("daemon stopped")
        return 0

    def close(self) -> None:
        """Give up a daemon that will not run (its start failed after it opened the store)."""
        self.app.close()
        self._unlock()

    def loop_problem(self) -> str | None:
        """Why the scheduler loop is not alive (None: it ticks), for /readyz and the watchdog."""
        return loop_problem(
            self.scheduler, self.stopping, self.last_beat, self.config.settings.tick
        )

    async def watchdog(self) -> None:
        await ping_watchdog(self.notifier, self.loop_problem, self.app.store.ping)

    def _unlock(self) -> None:
        if self.lock is not None:
            self.lock.release()

    def _on_stop_signal(self, sig: signal.Signals) -> None:
        if self.stopping.is_set():
            log.warning("second %s: stopping now", sig.name)
            self.force_stop = True
            for task in [*self.in_flight, *self.jobs]:
                task.cancel()
            return
        log.info("%s: finishing the work in hand (send again to stop at once)", sig.name)
        self.stopping.set()

    def _on_reload(self) -> None:
        reload_config(self)

    async def _drain(self) -> None:
        tasks = list(self.in_flight)
        if not tasks:
            return
        grace = self.config.settings.shutdown_grace
        log.info("waiting up to %.0fs for %d polls in hand", grace, len(tasks))
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
            await asyncio.to_thread(
                self._release, [self.in_flight[t] for t in pending if t in self.in_flight]
            )

    async def _finish_jobs(self) -> None:
        """Let a tick/digest/maintenance job in progress end, so none is cancelled mid-way."""
        running = {t for t in self.jobs if t is not asyncio.current_task() and not t.done()}
        if running:
            await asyncio.wait(running, timeout=self.config.settings.shutdown_grace)

    def _track(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.jobs.add(task)
            task.add_done_callback(self.jobs.discard)

    def _release(self, rows: list[SourceRow]) -> None:
        from monitor.store import sources as source_store

        with self.app.store.begin() as conn:
            source_store.release(conn, [r.id for r in rows])

    async def tick(self) -> None:
        """Claim due sources up to the free concurrency and start their polls."""
        self._track()
        self.last_beat = time.monotonic()
        async with self.claiming:
            await self._claim()

    async def _claim(self) -> None:
        if self.stopping.is_set() or self.pipeline is None:
            return
        free = self.config.settings.concurrency - len(self.in_flight)
        if free <= 0:
            return
        try:
            if self.pipeline.stranded:  # leases a database outage left behind
                await asyncio.to_thread(self.pipeline.release_stranded)
            claimed = await asyncio.to_thread(self.app.claim, self.app.source_names, free)
        except asyncio.CancelledError:
            if self.force_stop:  # a second SIGTERM; leases the claim still takes name this
                log.info("tick: stopped while claiming")  # process: the next start takes them
                return
            raise
        except StoreError as exc:  # the next tick tries again
            self.app.store.log_fault(exc, "tick: store error")
            return
        if self.stopping.is_set():  # SIGTERM came while claiming: hand the sources back
            await asyncio.to_thread(self._release, claimed)
            return
        for source in claimed:
            task: asyncio.Task[object] = asyncio.create_task(self.pipeline.poll(source))
            self.in_flight[task] = source
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[object]) -> None:
        self.in_flight.pop(task, None)
        outcome = None if task.cancelled() or task.exception() else task.result()
        if isinstance(outcome, PollOutcome):
            for observe in self.observers:  # the web app's metrics
                observe(outcome)
        if not self.stopping.is_set() and not self.refill_queued:  # one refill waits at most:
            self.refill_queued = True  # it counts every slot freed before it starts claiming
            refill = asyncio.get_running_loop().create_task(self.refill())
            self.jobs.add(refill)  # held (a bare task may be collected), awaited at shutdown
            refill.add_done_callback(self.jobs.discard)

    async def refill(self) -> None:
        """A freed slot takes the next due source now, not at the next tick."""
        async with self.claiming:
            self.refill_queued = False
            await self._claim()

    async def digests(self) -> None:
        self._track()
        if self.stopping.is_set():
            return
        await self._guarded(
            "digests",
            "unsent messages stay in the outbox",
            lambda: delivery.run_due(self.app.store, self.config, utcnow()),
        )

    async def full_text(self) -> None:
        """Fetch again the pages of the articles waiting for their full text that are due."""
        self._track()
        pipeline = self.pipeline
        if self.stopping.is_set() or pipeline is None:
            return
        await self._guarded("full_text", "the waits stay due", lambda: retry_due(pipeline))

    async def maintenance(self) -> None:
        """Retention: prune old article text and dedup/story state (off the event loop)."""
        self._track()

        async def prune_and_report() -> None:
            log.info("maintenance: %s", await asyncio.to_thread(self._prune))

        await self._guarded("maintenance", "prune goes on at the next start", prune_and_report)

    async def _guarded(self, job: str, on_stop: str, work: Callable[[], Awaitable[object]]) -> None:
        """Run one job's work: a second SIGTERM stops it quietly, a failure is logged, not raised."""
        try:
            await work()
        except asyncio.CancelledError:
            if not self.force_stop:
                raise
            log.info("%s: stopped (%s)", job, on_stop)
        except StoreError as exc:
            self.app.store.log_fault(exc, "%s: store error", job)
        except Exception:
            log.exception("%s: unexpected error", job)

    def _prune(self) -> PruneReport:
        s = self.config.settings
        # in committed batches: a large store is never pruned in one transaction
        with self.app.store.translated():
            return prune(self.app.store.engine, utcnow(), s.retention, s.fingerprint_retention)
