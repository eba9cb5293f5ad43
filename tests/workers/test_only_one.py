"""One tick at a time in the cluster (workers/hostslots.py, `ClusterSlots.only_one`): two
workers' slot connections on a real PostgreSQL database; the one that holds the lock is the
only one doing the work, the other is told so at once, and a dead worker's lock goes with its
connection."""

from __future__ import annotations

import asyncio

from cluster import fresh_database
from monitor.store.host_slots import HostSlots
from monitor.workers.hostslots import ClusterSlots


async def _race(url: str) -> None:
    one, two = ClusterSlots(HostSlots(url), 2), ClusterSlots(HostSlots(url), 2)
    try:
        async with one.only_one("tick") as first:
            assert first
            async with two.only_one("tick") as second:
                assert not second  # held by the other worker
            async with one.only_one("tick") as again:
                assert not again  # the session lock is re-entrant: this worker's own tick
            async with two.only_one("maintenance") as other:
                assert other  # another name, another lock
            async with two.slot("tick"):  # a host's slots never meet a lock's key
                pass
        async with two.only_one("tick") as after:
            assert after  # given back at the end
            await two.close()  # the worker dies: its connection, and the lock with it
        # The server lets the lock go when the closed connection's backend ends, which under
        # load takes a moment after the client has closed its socket.
        for _ in range(100):
            async with one.only_one("tick") as taken:
                if taken:
                    break
            await asyncio.sleep(0.1)
        assert taken
    finally:
        await one.close()
        await two.close()


def test_only_one_worker_of_the_cluster_holds_a_named_lock() -> None:
    with fresh_database() as url:
        asyncio.run(_race(url))
