"""The work of a worker's jobs (workers/jobs.py calls it): the tick that hands out poll jobs and
puts back the jobs of gone workers, a poll, the delivery of one digest × channel, the full-text
retries and the maintenance. Each meets a database outage quietly: the outage is logged once
by the worker (`lost`), and the next tick or period does the work again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import procrastinate
from procrastinate import exceptions as queue_errors

from monitor.app import App
from monitor.clock import utcnow
from monitor.config import Config
from monitor.digest import delivery
from monitor.errors import StoreError
from monitor.ingest.pipeline import Pipeline, PollOutcome
from monitor.ingest.retry import retry_due
from monitor.store import sources as source_store
from monitor.store import task_queue
from monitor.store import workers as worker_store
from monitor.store.sources import SourceRow
from monitor.store.story_queries import prune
from monitor.workers import jobs

log = logging.getLogger("monitor.workers.runner")  # the worker's log
TICK_BATCH = 1000  # poll jobs one tick defers at most (the next tick defers the rest)
DEFER_BATCH = 200  # poll jobs deferred by one statement
KEEP_JOBS_HOURS = 72  # failed and aborted jobs are kept this long for `status`


class Work:
    """A `jobs.JobHost`: what the jobs do, over the worker's app and pipeline."""

    def __init__(
        self, app: App, stopping: asyncio.Event, lost: Callable[[BaseException], None]
    ) -> None:
        self.app = app
        self.stopping = stopping
        self._lost = lost
        self.pipeline: Pipeline | None = None  # set while the worker's pipeline is open
        self.in_flight: dict[asyncio.Task[Any], SourceRow] = {}
        self.observers: list[Callable[[PollOutcome], None]] = []
        # whether this worker is the one of the cluster doing a job's work now (the worker's
        # ClusterSlots.only_one: a PostgreSQL advisory lock); by default every one is
        self.only_one: Callable[[str], AbstractAsyncContextManager[bool]] = _every_one

    @property
    def config(self) -> Config:
        return self.app.config

    @asynccontextmanager
    async def _outage_told_once(self, job: str) -> AsyncIterator[None]:
        """A job that meets a database outage ends quietly (the next tick or period does its
        work again); the outage is logged once, not once per job."""
        try:
            yield
        except StoreError as exc:
            self.app.store.log_fault(exc, "%s: store error", job)
        except queue_errors.ConnectorException as exc:
            self._lost(exc.__cause__ or exc)

    async def tick(self, queue: procrastinate.App) -> None:
        """Retry the jobs of gone workers, then a poll job for each due source without one."""
        async with self._outage_told_once("tick"):
            await self._tick(queue)

    async def _tick(self, queue: procrastinate.App) -> None:
        async with self.only_one("tick") as mine:
            if not mine:  # another worker's tick is still at it: this period is its
                return
            await self._retry_stalled(queue)
            due = await asyncio.to_thread(self._due)
            deferred = 0
            for start in range(0, len(due), DEFER_BATCH):
                deferred += await self._defer_polls(queue, due[start : start + DEFER_BATCH])
        if deferred:
            log.debug("tick: %d poll jobs deferred", deferred)

    async def _defer_polls(self, queue: procrastinate.App, source_ids: list[int]) -> int:
        """A poll job for each of *source_ids*, in one statement; one at a time when one of
        them has a job waiting already (deferred since the tick looked): how many."""
        poll = queue.tasks["poll"]
        batch = []
        for source_id in source_ids:
            lock = jobs.source_lock(source_id)
            batch.append(
                poll.configure(lock=lock, queueing_lock=lock).make_new_job(source_id=source_id)
            )
        try:
            await queue.job_manager.batch_defer_jobs_async(batch)
            return len(batch)
        except queue_errors.AlreadyEnqueued:
            pass
        deferred = 0
        for job in batch:
            try:
                await queue.job_manager.defer_job_async(job)
                deferred += 1
            except queue_errors.AlreadyEnqueued:
                continue
        return deferred

    def _due(self) -> list[int]:
        now = utcnow()
        with self.app.store.connect() as conn:
            busy = task_queue.busy_locks(conn, "source:")
            ids = source_store.due_ids(conn, self.app.source_names, now, TICK_BATCH + len(busy))
        return [i for i in ids if jobs.source_lock(i) not in busy][:TICK_BATCH]

    async def _retry_stalled(self, queue: procrastinate.App) -> None:
        """A job held by a worker without a heartbeat for `stalled_after` goes back to the queue
        (its poll's transaction was rolled back with the worker's connection; a delivery finds
        the outbox as the dead worker left it). One that has a newer twin waiting is dropped."""
        manager = queue.job_manager
        after = self.config.settings.workers.stalled_after
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=after):
            try:
                await manager.retry_job(job)
                log.warning("tick: job %s of a gone worker goes back to the queue", job.call_string)
            except queue_errors.UniqueViolation:
                await manager.finish_job(job, procrastinate.jobs.Status.ABORTED, delete_job=True)
            except queue_errors.ConnectorException as exc:  # another worker retried it first
                log.debug("tick: job %s not retried: %s", job.call_string, exc)
        await manager.prune_stalled_workers(after)

    async def poll(self, source_id: int) -> str:
        """Claim the source (a lease, as the daemon's tick does) and poll it."""
        pipeline = self.pipeline
        if pipeline is None or self.stopping.is_set():
            return "stopping"
        claimed: list[SourceRow] = []
        async with self._outage_told_once("poll"):
            claimed = await asyncio.to_thread(
                self.app.claim, self.app.source_names, 1, ids=[source_id]
            )
        if not claimed:
            return "not due"  # polled meanwhile, leased elsewhere, or no longer configured
        source = claimed[0]
        task = asyncio.current_task()
        assert task is not None
        self.in_flight[task] = source
        try:
            outcome = await pipeline.poll(source)
        except asyncio.CancelledError:  # SIGTERM's grace ran out: the source is free again
            await asyncio.shield(asyncio.to_thread(self._release, source))
            raise
        finally:
            self.in_flight.pop(task, None)
        for observe in self.observers:
            observe(outcome)
        if not outcome.ok:
            return f"{source.name}: failed: {outcome.error}"
        return f"{source.name}: {outcome.new_articles} new"

    def _release(self, source: SourceRow) -> None:
        try:
            with self.app.store.begin() as conn:
                source_store.release(conn, [source.id])
        except StoreError as exc:  # its lease expires, or names a gone worker
            self.app.store.log_fault(exc, "poll source=%s stage=store cannot release", source.name)

    async def digests(self, queue: procrastinate.App) -> None:
        async with self._outage_told_once("digests"):
            await self._digests(queue)

    async def _digests(self, queue: procrastinate.App) -> None:
        deliver = queue.tasks["deliver"]
        for digest in self.config.digests:
            for channel in digest.channels:
                lock = jobs.digest_lock(digest.name, channel)
                try:
                    await deliver.configure(lock=lock, queueing_lock=lock).defer_async(
                        digest=digest.name, channel=channel
                    )
                except queue_errors.AlreadyEnqueued:
                    continue

    async def deliver(self, digest: str, channel: str) -> str:
        try:
            outcomes = await delivery.run_pair(
                self.app.store, self.config, digest, channel, utcnow()
            )
        except StoreError as exc:  # unsent messages stay in the outbox
            self.app.store.log_fault(exc, "digest %s: store error", digest)
            return "store error"
        return "; ".join(o.describe() for o in outcomes) or "not configured"

    async def full_text(self) -> None:
        pipeline = self.pipeline
        if pipeline is None or self.stopping.is_set():
            return
        try:
            await retry_due(pipeline)
        except StoreError as exc:
            self.app.store.log_fault(exc, "full_text: store error")

    async def maintenance(self, queue: procrastinate.App) -> None:
        s = self.config.settings

        def prune_all() -> object:
            now = utcnow()
            with self.app.store.translated():
                report = prune(self.app.store.engine, now, s.retention, s.fingerprint_retention)
            with self.app.store.begin() as conn:
                worker_store.prune(conn, now)
            return report

        try:
            log.info("maintenance: %s", await asyncio.to_thread(prune_all))
        except StoreError as exc:
            self.app.store.log_fault(exc, "maintenance: store error")
        async with self._outage_told_once("maintenance"):
            await queue.job_manager.delete_old_jobs(
                nb_hours=KEEP_JOBS_HOURS, include_failed=True, include_cancelled=True,
                include_aborted=True,
            )  # fmt: skip


@asynccontextmanager
async def _every_one(name: str) -> AsyncIterator[bool]:
    yield True
