"""One worker process: the pipeline, fed by procrastinate's queue in PostgreSQL.

`news-monitor worker` (and `run` on a PostgreSQL config) builds a `Worker`: it opens the store
(migrating it, procrastinate's schema included), registers itself in `workers` (host, pid, start,
heartbeat), and runs procrastinate's worker loop over the jobs of workers/jobs.py
(workers/queue_loop.py), with the cluster's per-host fetch slots (workers/hostslots.py). When
PostgreSQL goes away the loop ends; the worker says so once, and starts it again with backoff
until the database answers.
First SIGTERM/SIGINT: take no new job, let the jobs in hand finish (up to `shutdown_grace`),
exit 0; second: cancel them. SIGHUP: reload the config (`App.reconfigure`). sd_notify READY,
WATCHDOG (while the loop runs and the store answers) and STOPPING as the daemon sends them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any

from monitor.app import App
from monitor.clock import utcnow
from monitor.config import Config, load_config
from monitor.daemon.liveness import ping_watchdog
from monitor.daemon.sdnotify import Notifier
from monitor.errors import ConfigError, MonitorError, StoreError
from monitor.fetch.settings import fetch_settings
from monitor.ingest.pipeline import PollOutcome
from monitor.redact import learn_secrets
from monitor.store import workers as worker_store
from monitor.store.host_slots import HostSlots
from monitor.store.leases import lease_owner
from monitor.store.sources import SourceRow
from monitor.workers import jobs
from monitor.workers.hostslots import ClusterSlots
from monitor.workers.queue_loop import QueueLoop
from monitor.workers.queue_worker import QueueWorker
from monitor.workers.work import Work

log = logging.getLogger(__name__)


def require_postgres(config: Config) -> str:
    """The database URL of a worker's config; a clear error on a SQLite one."""
    url = config.settings.database_url
    if not url:
        raise MonitorError(
            f"{config.path}: `news-monitor worker` needs a PostgreSQL database, and this config "
            "keeps its state in SQLite",
            "set settings.database_url: postgresql://… (docs/scale.md), or run the embedded "
            "daemon with `news-monitor run` (one process, SQLite)",
        )
    return url


class Worker:
    """The pipeline's jobs from the cluster's queue, until SIGTERM (see the module's doc)."""

    def __init__(
        self,
        config_path: Path,
        config: Config,
        environ: Mapping[str, str],
        *,
        concurrency: int | None = None,
        queues: Sequence[str] | None = None,
        kind: str = "worker",
    ) -> None:
        self.database_url = require_postgres(config)
        self.config_path = config_path
        self.environ = environ
        self.kind = kind  # "worker", or "daemon" under `run`
        self.concurrency = concurrency or config.settings.workers.jobs(config.settings.concurrency)
        self.queues = tuple(queues) if queues else None
        self.app = App.open(config)  # migrates: our tables and procrastinate's
        self.notifier = Notifier(environ)
        self.stopping = asyncio.Event()
        self.force_stop = False
        self.name = lease_owner()
        self.worker_id: int | None = None  # our row in `workers`
        self.loop = QueueLoop(
            kind=kind, name=self.name, database_url=self.database_url,
            concurrency=self.concurrency, queues=self.queues, config=lambda: self.config,
            stopping=self.stopping,
        )  # fmt: skip
        self.work = Work(self.app, self.stopping, self.loop.lost)  # what the jobs do
        self.last_beat: float | None = None
        self.services: list[Callable[[], Coroutine[Any, Any, None]]] = []

    @property
    def in_flight(self) -> dict[asyncio.Task[Any], SourceRow]:
        """The polls running now (the web app's gauge)."""
        return self.work.in_flight

    @property
    def observers(self) -> list[Callable[[PollOutcome], None]]:
        """Called with each poll's outcome (the web app's counters)."""
        return self.work.observers

    @property
    def config(self) -> Config:
        return self.app.config

    @property
    def queue_worker(self) -> QueueWorker | None:
        """procrastinate's worker, while the queue loop runs it."""
        return self.loop.worker

    @property
    def outage(self) -> str | None:
        """Why the queue loop is down, while it is."""
        return self.loop.outage

    # -- the process -----------------------------------------------------------------------

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_stop_signal, sig)
        loop.add_signal_handler(signal.SIGHUP, self._on_reload)
        w = self.config.settings.workers
        slots = ClusterSlots(
            HostSlots(self.database_url),
            fetch_settings(self.config).per_host_limit,
            reconnect_max=w.reconnect_max,
        )
        self.work.only_one = slots.only_one  # one tick at a time in the cluster
        await asyncio.to_thread(self._register)
        try:
            async with self.app.pipeline(host_gate=slots) as pipeline:
                self.work.pipeline = pipeline
                side = [
                    asyncio.create_task(self.loop.run(self.work), name="queue loop"),
                    asyncio.create_task(self._heartbeats(), name="heartbeats"),
                ]
                if self.notifier.watchdog_seconds:
                    side.append(asyncio.create_task(self._watchdog(), name="watchdog"))
                services = [asyncio.create_task(start()) for start in self.services]
                self.notifier.ready(f"{self.kind}: watching {len(self.app.source_names)} sources")
                log.info(
                    "%s started: %s, %d sources, %d digests, %d jobs at once, queues %s, state %s",
                    self.kind, self.name, len(self.app.source_names), len(self.config.digests),
                    self.concurrency, ",".join(self.queues or jobs.QUEUES), self.app.store.safe_url,
                )  # fmt: skip
                await self.stopping.wait()
                self.notifier.stopping()
                await side[0]  # the queue loop ends its jobs in hand first
                for task in side[1:]:
                    task.cancel()
                await asyncio.gather(*side[1:], *services, return_exceptions=True)
        finally:
            await slots.close()
            try:
                await asyncio.to_thread(self._unregister)
            except StoreError as exc:
                self.app.store.log_fault(exc, "%s: cannot record the stop", self.kind)
            self.app.close()
        log.info("%s stopped", self.kind)
        return 0

    def close(self) -> None:
        """Give up a worker that will not run (its start failed after it opened the store)."""
        self.app.close()

    def _register(self) -> None:
        with self.app.store.begin() as conn:
            self.worker_id = worker_store.register(
                conn, self.name, socket.gethostname(), os.getpid(), utcnow(),
                stalled_after=self.config.settings.workers.stalled_after,
                concurrency=self.concurrency,
                queues=",".join(self.queues) if self.queues else None,
            )  # fmt: skip

    def _unregister(self) -> None:
        if self.worker_id is not None:
            with self.app.store.begin() as conn:
                worker_store.stopped(conn, self.worker_id, utcnow())

    def _on_stop_signal(self, sig: signal.Signals) -> None:
        if self.stopping.is_set():
            log.warning("second %s: stopping now", sig.name)
            self.force_stop = True
            for task in list(self.in_flight):
                task.cancel()
            return
        log.info("%s: finishing the jobs in hand (send again to stop at once)", sig.name)
        self.stopping.set()
        self.loop.stop()

    def _on_reload(self) -> None:
        try:
            config = load_config(self.config_path, self.environ)
        except ConfigError as exc:
            log.error(
                "reload: %s is invalid, keeping the running config:\n%s", self.config_path, exc
            )
            return
        learn_secrets(config.secrets)
        old = self.config.settings
        try:
            reload = self.app.reconfigure(config)
        except StoreError as exc:
            log.error("reload: %s applied, but syncing the store failed: %s (hint: %s)",
                      self.config_path, exc.message, exc.hint)  # fmt: skip
            return
        restart = list(reload.needs_restart)
        if (old.tick, old.digest_check) != (config.settings.tick, config.settings.digest_check):
            self.loop.restart.set()  # the queue app is built again with the new periods
            self.loop.stop()
        if restart:
            log.warning("reload: %s applied (%d sources); restart to apply %s (read at start only)",
                        self.config_path, reload.sources, ", ".join(restart))  # fmt: skip
        else:
            log.info("reload: %s applied (%d sources)", self.config_path, reload.sources)
        self.notifier.status(f"{self.kind}: watching {reload.sources} sources")

    async def _heartbeats(self) -> None:
        """Our own heartbeat in `workers` (host, pid, procrastinate's worker id)."""
        every = self.config.settings.workers.heartbeat
        while True:
            try:
                await asyncio.to_thread(self._beat)
                self.last_beat = time.monotonic()
                self.app.store.recovered()
            except StoreError as exc:
                self.app.store.log_fault(exc, "%s: heartbeat", self.kind)
            await asyncio.sleep(every)

    def _beat(self) -> None:
        queue_id = self.queue_worker.worker_id if self.queue_worker is not None else None
        with self.app.store.begin() as conn:
            if self.worker_id is None or not worker_store.beat(
                conn, self.worker_id, utcnow(), queue_id
            ):
                self.worker_id = None
        if self.worker_id is None:  # pruned while we were away: register again
            self._register()
        if self.work.pipeline is not None:  # the leases of polls an outage cut short
            self.work.pipeline.release_stranded()

    def loop_problem(self) -> str | None:
        """Why the worker is not alive (None: it takes jobs), for /readyz and the watchdog."""
        if self.stopping.is_set():
            return "stopping"
        if self.outage is not None:
            return f"job queue unreachable: {self.outage}"
        worker = self.queue_worker
        if worker is None or worker.worker_id is None or self.last_beat is None:
            return "not started"
        age = time.monotonic() - self.last_beat
        limit = 3 * self.config.settings.workers.heartbeat + 30
        if age > limit:
            return f"no heartbeat for {age:.0f}s"
        return None

    async def _watchdog(self) -> None:
        assert self.notifier.watchdog_seconds
        while True:  # the first ping half a period in: the queue loop is starting
            await asyncio.sleep(self.notifier.watchdog_seconds / 2)
            await ping_watchdog(self.notifier, self.loop_problem, self.app.store.ping)


__all__ = ["Worker", "require_postgres"]
