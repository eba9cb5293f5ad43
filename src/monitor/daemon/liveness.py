"""Is the daemon's loop alive? The answer of /readyz and the condition of each watchdog ping:
the scheduler runs, the tick job ran lately, and the store answers (as Miniflux's daemon checks
its database before each ping)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.daemon.sdnotify import Notifier
from monitor.errors import StoreError

log = logging.getLogger(__name__)
GRACE_SECONDS = 30.0  # beyond three ticks: a tick may wait on a slow claim


def loop_problem(
    scheduler: AsyncIOScheduler | None,
    stopping: asyncio.Event,
    last_beat: float | None,
    tick: float,
) -> str | None:
    if scheduler is None or not scheduler.running or last_beat is None:
        return "not started"
    if stopping.is_set():
        return "stopping"
    age = time.monotonic() - last_beat
    if age > 3 * tick + GRACE_SECONDS:
        return f"no tick for {age:.0f}s (tick every {tick:g}s)"
    return None


async def ping_watchdog(
    notifier: Notifier, problem: Callable[[], str | None], ping_store: Callable[[], None]
) -> None:
    """WATCHDOG=1 only while the loop ticks and the store answers; else say why not."""
    why = problem()
    if why is None:
        try:
            await asyncio.to_thread(ping_store)
        except StoreError as exc:
            why = f"store: {exc.message}"
    if why is None:
        notifier.watchdog()
    else:
        log.warning("watchdog: not pinging systemd: %s", why)
