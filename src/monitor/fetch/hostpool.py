"""An httpx transport with a small connection pool per host, so a request costs O(per-host).

A request marked `GUARDED` (a URL the program found, not the user) goes through pools whose
network backend refuses private addresses (`fetch/guard.py`).
"""

from __future__ import annotations

import ssl
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpcore
import httpx

from monitor.fetch.guard import GuardedBackend, IPNetwork

# httpcore's pool scans every connection it holds on each request and each release; with fifty
# hosts in one pool that scan was most of the client's CPU per feed (bench/poll.py, profiled).
PoolKey = tuple[bytes, bytes, int | None, bool]
GUARDED = "news_monitor.guarded"  # request extension: True → connect only to allowed addresses


@dataclass
class _Pool:
    transport: httpx.AsyncHTTPTransport
    active: int = 0
    last_used: float = field(default_factory=time.monotonic)


class _Tracked(httpx.AsyncByteStream):
    """A response body that tells its pool when it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, pool: _Pool) -> None:
        self._stream = stream
        self._pool: _Pool | None = pool

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._pool is not None:
                self._pool.active -= 1
                self._pool.last_used = time.monotonic()
                self._pool = None


class HostPools(httpx.AsyncBaseTransport):
    """Per-(scheme, host, port) pools of at most `per_host` connections; idle pools are closed."""

    def __init__(
        self,
        *,
        per_host: int,
        http2: bool,
        keepalive_expiry: float = 5.0,
        max_pools: int = 100,
        ssl_context: ssl.SSLContext | None = None,
        allow_networks: tuple[IPNetwork, ...] = (),
    ) -> None:
        self._limits = httpx.Limits(
            max_connections=per_host,
            max_keepalive_connections=per_host,
            keepalive_expiry=keepalive_expiry,
        )
        self._http2 = http2
        self._expiry = keepalive_expiry
        self._max_pools = max_pools
        self._ssl = ssl_context or httpx.create_ssl_context()  # shared: each costs milliseconds
        self._pools: OrderedDict[PoolKey, _Pool] = OrderedDict()
        self._guard = GuardedBackend(allow_networks)

    def __len__(self) -> int:
        return len(self._pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        guarded = bool(request.extensions.get(GUARDED))
        key = (request.url.raw_scheme, request.url.raw_host, request.url.port, guarded)
        pool = self._pools.pop(key, None)
        if pool is None:
            pool = _Pool(self._transport(guarded))
        self._pools[key] = pool  # most recently used last
        pool.active += 1
        try:
            await self._close_idle()
            response = await pool.transport.handle_async_request(request)
        except BaseException:
            pool.active -= 1
            pool.last_used = time.monotonic()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Tracked(response.stream, pool)
        return response

    def _transport(self, guarded: bool) -> httpx.AsyncHTTPTransport:
        transport = httpx.AsyncHTTPTransport(
            verify=self._ssl, http2=self._http2, limits=self._limits
        )
        if guarded:  # httpx takes no network backend: its pool, made again with the guard's
            transport._pool = httpcore.AsyncConnectionPool(
                ssl_context=self._ssl,
                max_connections=self._limits.max_connections,
                max_keepalive_connections=self._limits.max_keepalive_connections,
                keepalive_expiry=self._limits.keepalive_expiry,
                http1=True,
                http2=self._http2,
                network_backend=self._guard,
            )
        return transport

    async def _close_idle(self) -> None:
        """Close least recently used idle pools: expired ones, and any beyond `max_pools`."""
        now, excess = time.monotonic(), len(self._pools) - self._max_pools
        victims = []
        for key, pool in self._pools.items():
            if pool.active:
                continue
            if now - pool.last_used < self._expiry and excess <= 0:
                break
            victims.append(key)
            excess -= 1
        # detach them all before the first await: another request may run during aclose(), and
        # must neither find a pool being closed nor detach the same one again
        detached = [self._pools.pop(key) for key in victims]
        for pool in detached:
            await pool.transport.aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.transport.aclose()
