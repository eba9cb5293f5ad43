"""The cluster's per-host limit (guarantee 2 of docs/scale.md): a request waits for one of its
host's `fetch.per_host_limit` slots, held as a PostgreSQL advisory lock (store/host_slots.py)
for as long as the request runs; a worker's own per-host semaphore comes first (fetch/)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from monitor.errors import StoreError
from monitor.store.host_slots import HostSlots

log = logging.getLogger(__name__)
WAIT_FIRST, WAIT_MAX = 0.02, 0.5  # seconds between looks for a free slot, doubling


class ClusterSlots:
    """A `fetch.gate.HostGate` over the cluster's slots; reconnects with backoff, says so once."""

    def __init__(self, slots: HostSlots, per_host: int, reconnect_max: float = 30.0) -> None:
        self._slots = slots
        self._per_host = per_host
        self._reconnect_max = reconnect_max
        self._held: dict[str, set[int]] = {}
        self._taking: dict[str, asyncio.Lock] = {}  # one take per host at a time here
        self._outage: str | None = None
        self._doing: set[str] = set()  # the `only_one` names this worker is in
        self.waits = 0  # times a request found every slot of its host taken (bench, tests)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        number, generation = await self._take(host)
        try:
            yield
        finally:
            self._held[host].discard(number)
            await asyncio.shield(self._slots.give(host, number, generation))

    async def _take(self, host: str) -> tuple[int, int]:
        held = self._held.setdefault(host, set())
        lock = self._taking.setdefault(host, asyncio.Lock())
        wait, backoff = WAIT_FIRST, 1.0
        while True:
            async with lock:  # a session's advisory lock is re-entrant: one look at a time
                try:
                    number = await self._slots.try_take(host, self._per_host, held)
                except StoreError as exc:
                    number = None
                    self._lost(exc)
                else:
                    self._back()
                    if number is not None:
                        held.add(number)
                        return number, self._slots.generation
            if self._outage is not None:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._reconnect_max)
                continue
            self.waits += 1
            await asyncio.sleep(wait)
            wait = min(wait * 2, WAIT_MAX)

    @asynccontextmanager
    async def only_one(self, name: str) -> AsyncIterator[bool]:
        """Whether this worker is the one in the cluster doing *name* now (no wait: False while
        another holds it); True too when the lock cannot be reached (the work is safe to do
        twice, and one slots connection down must not stop it everywhere)."""
        if name in self._doing:  # a session's advisory lock is re-entrant: this worker's own
            yield False
            return
        self._doing.add(name)
        try:
            try:
                held = await self._slots.try_lock(name)
            except StoreError as exc:
                self._lost(exc)
                mine, held = True, False
            else:
                self._back()
                mine = held
            generation = self._slots.generation
            try:
                yield mine
            finally:
                if held:
                    await asyncio.shield(self._slots.give(name, -1, generation))
        finally:
            self._doing.discard(name)

    def _lost(self, exc: StoreError) -> None:
        if self._outage is None:
            log.error("per-host slots: %s (hint: %s)", exc.message, exc.hint)
        self._outage = exc.message

    def _back(self) -> None:
        if self._outage is not None:
            log.warning("per-host slots: PostgreSQL reachable again")
            self._outage = None

    async def close(self) -> None:
        await self._slots.close()
