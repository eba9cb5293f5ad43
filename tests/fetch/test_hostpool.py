"""Per-host connection pools: keep-alive within a host, idle pools closed, limits held."""

from __future__ import annotations

import asyncio

import httpx

from httpserver import LocalServer, respond, slow
from monitor.fetch.hostpool import HostPools


def test_connections_are_reused_within_a_host() -> None:
    async def go(url: str) -> None:
        async with httpx.AsyncClient(transport=HostPools(per_host=2, http2=False)) as client:
            for _ in range(5):
                assert (await client.get(url)).content == b"ok"

    with LocalServer({"/f": respond(200, b"ok")}) as srv:
        asyncio.run(go(srv.url("/f")))
    assert len({r.client for r in srv.requests}) == 1


def test_idle_pools_beyond_the_cap_or_expired_are_closed() -> None:
    async def go(urls: list[str]) -> tuple[int, int]:
        pools = HostPools(per_host=2, http2=False, max_pools=2, keepalive_expiry=0.2)
        async with httpx.AsyncClient(transport=pools) as client:
            for url in urls:
                await client.get(url)
            capped = len(pools)
            await asyncio.sleep(0.3)
            await client.get(urls[0])
            return capped, len(pools)

    servers = [LocalServer({"/f": respond(200, b"ok")}, host=f"127.0.0.{i}") for i in (2, 3, 4, 5)]
    with servers[0], servers[1], servers[2], servers[3]:
        capped, after_expiry = asyncio.run(go([s.url("/f") for s in servers]))
    assert capped == 2 and after_expiry == 1


def test_a_pool_in_use_is_never_closed_and_holds_its_limit() -> None:
    async def go(busy: str, others: list[str]) -> None:
        pools = HostPools(per_host=2, http2=False, max_pools=1, keepalive_expiry=0.0)
        async with httpx.AsyncClient(transport=pools, timeout=5) as client:
            results = await asyncio.gather(
                *(client.get(busy) for _ in range(6)), *(client.get(u) for u in others)
            )
        assert all(r.status_code == 200 for r in results)

    with (
        LocalServer({"/slow": slow(b"ok", 0.2)}, host="127.0.0.2") as busy,
        LocalServer({"/f": respond(200, b"ok")}, host="127.0.0.3") as other,
    ):
        asyncio.run(go(busy.url("/slow"), [other.url("/f")] * 4))
    assert busy.max_in_flight == 2
