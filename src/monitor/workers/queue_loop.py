"""A worker's queue loop: procrastinate's worker over the jobs of workers/jobs.py until the
worker stops, started again (with backoff) when it ends because PostgreSQL went away. The
outage is logged once, and its end; a reload that changes a period builds the queue app
again (`restart`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

import procrastinate

from monitor.config import Config
from monitor.store.host_slots import libpq_url
from monitor.workers import jobs
from monitor.workers.queue_worker import QueueWorker
from monitor.workers.work import Work

log = logging.getLogger("monitor.workers.runner")  # the worker's log


class QueueLoop:
    def __init__(
        self,
        *,
        kind: str,
        name: str,
        database_url: str,
        concurrency: int,
        queues: Sequence[str] | None,
        config: Callable[[], Config],
        stopping: asyncio.Event,
    ) -> None:
        self.kind = kind
        self.name = name
        self.database_url = database_url
        self.concurrency = concurrency
        self.queues = queues
        self._config = config  # the running config (a reload replaces it)
        self.stopping = stopping
        self.worker: QueueWorker | None = None  # procrastinate's, while it runs
        self.outage: str | None = None  # why the loop is down, while it is
        self.restart = asyncio.Event()  # a reload changed a period: build the queue app again

    def stop(self) -> None:
        """Let procrastinate's worker end (its jobs in hand finish first)."""
        if self.worker is not None:
            self.worker.stop()  # type: ignore[no-untyped-call]

    async def run(self, work: Work) -> None:
        backoff, reconnect_max = 1.0, self._config().settings.workers.reconnect_max
        while not self.stopping.is_set():
            self.restart.clear()
            started = time.monotonic()
            try:
                await self._serve(work)
            except Exception as exc:  # the database went away (or could not be reached)
                self.lost(exc)
            if self.stopping.is_set():
                break
            if self.restart.is_set():
                continue
            if self.outage is None:  # ended by itself without an error we saw: a side task
                self.lost(RuntimeError("the queue worker stopped"))
            if time.monotonic() - started > 2 * reconnect_max:
                backoff = 1.0  # it ran a while: a new outage starts from a short wait
            try:
                await asyncio.wait_for(self.stopping.wait(), backoff)
            except TimeoutError:
                pass
            backoff = min(backoff * 2, reconnect_max)

    async def _serve(self, work: Work) -> None:
        s = self._config().settings
        connector = procrastinate.PsycopgConnector(
            conninfo=libpq_url(self.database_url),
            min_size=1,
            max_size=self.concurrency + 4,
            timeout=10.0,  # waiting for a pooled connection while the database is away
            kwargs={"connect_timeout": 10},
        )
        full_text_every = max(1.0, min(jobs.FULL_TEXT_SECONDS, *s.full_text_retry.backoff))
        queue = jobs.build(
            work, connector, tick=s.tick, digest_check=s.digest_check,
            full_text_every=full_text_every,
        )  # fmt: skip
        await queue.open_async()
        try:
            worker = QueueWorker(
                app=queue,
                name=self.name,
                queues=list(self.queues) if self.queues else None,
                concurrency=self.concurrency,
                shutdown_graceful_timeout=s.shutdown_grace,
                install_signal_handlers=False,
                update_heartbeat_interval=s.workers.heartbeat,
                stalled_worker_timeout=s.workers.stalled_after,
                delete_jobs="successful",
                fetch_job_polling_interval=min(5.0, max(0.5, s.tick)),
                abort_job_polling_interval=5.0,
                on_fault=self.lost,
                on_back=self.back,
            )
            self.worker = worker
            if self.stopping.is_set():
                return
            run = asyncio.create_task(
                worker.run(),  # type: ignore[no-untyped-call]
                name="procrastinate worker",
            )
            back = asyncio.create_task(self._announce_back(worker))
            try:
                await run
            finally:
                back.cancel()
                self.worker = None
        finally:
            await queue.close_async()

    async def _announce_back(self, worker: QueueWorker) -> None:
        while worker.worker_id is None:
            await asyncio.sleep(0.1)
        self.back()

    def back(self) -> None:
        if self.outage is not None:
            log.warning(
                "%s: the job queue is reachable again; taking jobs (after: %s)",
                self.kind, self.outage,
            )  # fmt: skip
            self.outage = None

    def lost(self, exc: BaseException) -> None:
        said = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if self.outage is None:
            log.error(
                "%s: the job queue is unreachable: %s (hint: reconnecting with backoff, up to "
                "%gs apart; check that PostgreSQL is up)",
                self.kind, said, self._config().settings.workers.reconnect_max,
            )  # fmt: skip
            log.debug("%s: the queue's failure", self.kind, exc_info=exc)
        self.outage = said
