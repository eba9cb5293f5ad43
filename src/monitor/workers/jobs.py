"""The jobs of a worker, as procrastinate tasks: procrastinate only schedules them; the work is
the pipeline's, the store's and the outbox's, reached through `JobHost` (workers/work.py).

| job | queue | locked by | what it does |
| --- | --- | --- | --- |
| `tick` (periodic, `settings.tick`) | upkeep | — (one waiting) | retry the jobs of gone workers; defer a `poll` for each due source |
| `poll(source_id)` | poll | `source:ID` (run and queue) | claim the source (lease), `Pipeline.poll` it |
| `digests` (periodic, `settings.digest_check`) | upkeep | — (one waiting) | defer a `deliver` per digest × channel |
| `deliver(digest, channel)` | deliver | `digest:NAME:CHANNEL` (run and queue) | `delivery.run_pair`: outbox first, then a new digest if due |
| `full_text` (periodic, ≤ 1 min) | upkeep | `full_text` | pages of articles waiting for their full text |
| `maintenance` (periodic, hourly) | upkeep | `maintenance` | retention pruning, old jobs and gone workers forgotten |

A periodic job is deferred once per period in the cluster however many workers run
(procrastinate's `procrastinate_periodic_defers` holds one row per period).
"""

from __future__ import annotations

from typing import Protocol

import procrastinate

from monitor.workers.cron import every

QUEUES = ("upkeep", "poll", "deliver")
FULL_TEXT_SECONDS = 60.0
MAINTENANCE_SECONDS = 3600.0


class JobHost(Protocol):
    """What the jobs call: the work of the worker that runs them (workers/work.py)."""

    async def tick(self, queue: procrastinate.App) -> None: ...
    async def poll(self, source_id: int) -> str: ...
    async def digests(self, queue: procrastinate.App) -> None: ...
    async def deliver(self, digest: str, channel: str) -> str: ...
    async def full_text(self) -> None: ...
    async def maintenance(self, queue: procrastinate.App) -> None: ...


def source_lock(source_id: int) -> str:
    return f"source:{source_id}"


def digest_lock(digest: str, channel: str) -> str:
    return f"digest:{digest}:{channel}"


def build(
    host: JobHost,
    connector: procrastinate.PsycopgConnector,
    *,
    tick: float,
    digest_check: float,
    full_text_every: float,
) -> procrastinate.App:
    """A procrastinate app whose tasks call *host*; the periods are the config's (seconds)."""
    queue = procrastinate.App(connector=connector)

    @queue.periodic(cron=every(tick), periodic_id="tick")
    @queue.task(name="tick", queue="upkeep", queueing_lock="tick")
    async def tick_job(timestamp: int) -> None:
        await host.tick(queue)

    @queue.task(name="poll", queue="poll")
    async def poll_job(source_id: int) -> str:
        return await host.poll(source_id)

    @queue.periodic(cron=every(digest_check), periodic_id="digests")
    @queue.task(name="digests", queue="upkeep", queueing_lock="digests")
    async def digests_job(timestamp: int) -> None:
        await host.digests(queue)

    @queue.task(name="deliver", queue="deliver")
    async def deliver_job(digest: str, channel: str) -> str:
        return await host.deliver(digest, channel)

    @queue.periodic(cron=every(full_text_every), periodic_id="full_text")
    @queue.task(name="full_text", queue="upkeep", queueing_lock="full_text", lock="full_text")
    async def full_text_job(timestamp: int) -> None:
        await host.full_text()

    @queue.periodic(cron=every(MAINTENANCE_SECONDS), periodic_id="maintenance")
    @queue.task(name="maintenance", queue="upkeep", queueing_lock="maintenance", lock="maintenance")
    async def maintenance_job(timestamp: int) -> None:
        await host.maintenance(queue)

    return queue
