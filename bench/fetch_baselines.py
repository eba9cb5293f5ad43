"""Baselines for the poll benchmark: a sequential feedparser loop and raw httpx at our limits.

Each `measure_*` takes the feed URLs and, for a warm cycle, the validators of the cold one, and
returns a `Measurement`: wall seconds and the client process's CPU seconds (user + system, all
threads; the farm runs in another process).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import feedparser
import httpx

T = TypeVar("T")
Validators = dict[str, tuple[str | None, str | None]]  # url → (etag, last_modified)


@dataclass
class Measurement:
    label: str
    feeds: int
    seconds: float
    cpu: float
    statuses: Counter[int] = field(default_factory=Counter)
    entries: int = 0
    validators: Validators = field(default_factory=dict)

    @property
    def feeds_per_second(self) -> float:
        return self.feeds / self.seconds if self.seconds else float("inf")

    @property
    def cpu_per_feed(self) -> float:
        return self.cpu / self.feeds if self.feeds else 0.0

    def line(self) -> str:
        shown = ", ".join(f"{s}×{n}" for s, n in sorted(self.statuses.items()))
        return (
            f"{self.label:<34} {self.feeds:>6} feeds {self.seconds:>8.2f} s "
            f"{self.feeds_per_second:>9.1f} feeds/s {1000 * self.cpu_per_feed:>8.3f} ms CPU/feed"
            f"  [{shown}]"
        )


def timed(label: str, feeds: int, run: Callable[[], T]) -> tuple[T, Measurement]:
    """Run `run()` and measure it (wall clock and this process's CPU)."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    value = run()
    seconds, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return value, Measurement(label, feeds, seconds, cpu)


def measure_feedparser(urls: list[str], validators: Validators | None = None) -> Measurement:
    """(b) What rss2email does: `feedparser.parse(url)` one feed after the other."""
    validators = validators or {}

    def run() -> tuple[Counter[int], int, Validators]:
        statuses: Counter[int] = Counter()
        entries, seen = 0, {}
        for url in urls:
            etag, modified = validators.get(url, (None, None))
            parsed: Any = feedparser.parse(url, etag=etag, modified=modified)
            statuses[int(parsed.get("status", 0))] += 1
            entries += len(parsed.entries)
            seen[url] = (parsed.get("etag"), parsed.get("modified"))
        return statuses, entries, seen

    (statuses, entries, seen), m = timed("(b) feedparser.parse loop", len(urls), run)
    m.statuses, m.entries, m.validators = statuses, entries, seen
    return m


def measure_httpx(
    urls: list[str],
    validators: Validators | None = None,
    *,
    per_host: int = 2,
    global_limit: int = 50,
) -> Measurement:
    """(c) Raw httpx GETs (bodies read, nothing parsed) under the same per-host/global limits."""
    validators = validators or {}

    async def run() -> tuple[Counter[int], Validators]:
        limits = httpx.Limits(max_connections=global_limit, max_keepalive_connections=global_limit)
        slots: dict[str, asyncio.Semaphore] = {}
        overall = asyncio.Semaphore(global_limit)
        statuses: Counter[int] = Counter()
        seen: Validators = {}
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:

            async def one(url: str) -> None:
                host = httpx.URL(url).host
                slot = slots.setdefault(host, asyncio.Semaphore(per_host))
                etag, modified = validators.get(url, (None, None))
                headers = _conditional(etag, modified)
                async with slot, overall:
                    response = await client.get(url, headers=headers)
                statuses[response.status_code] += 1
                seen[url] = (response.headers.get("etag"), response.headers.get("last-modified"))

            await asyncio.gather(*(one(u) for u in urls))
        return statuses, seen

    (statuses, seen), m = timed("(c) raw httpx, same limits", len(urls), lambda: asyncio.run(run()))
    m.statuses, m.validators = statuses, seen
    return m


def _conditional(etag: str | None, modified: str | None) -> Mapping[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    return headers
