"""Fetch stage: one httpx client, conditional GET, limits and caps → FetchResult or a FetchError."""

from __future__ import annotations

import asyncio
import ssl
import time
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import h2.exceptions
import httpx

from monitor.errors import (
    ConnectFailed,
    FetchError,
    FetchTimeout,
    TooManyRedirects,
)
from monitor.fetch.encodings import ACCEPT_ENCODING, CorruptBody, decoder_for
from monitor.fetch.gate import HostGate
from monitor.fetch.guard import Refused, parse_networks
from monitor.fetch.hostpool import GUARDED, HostPools
from monitor.fetch.settings import FetchSettings, fetch_settings
from monitor.fetch.support import (  # parse_retry_after: re-exported, part of the fetch API
    default_ssl_context,
    describe,
    fatal,
    incomplete,
    parse_retry_after,
    refused,
    status_error,
    too_large,
)
from monitor.models import FetchResult
from monitor.redact import strip_userinfo
from monitor.urls import origin

__all__ = [
    "FetchSettings",
    "Fetcher",
    "default_ssl_context",
    "fetch_settings",
    "parse_retry_after",
]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"  # an article page (`accept=`)


@dataclass(frozen=True)
class _Redirect:
    target: httpx.URL
    status: int


class Fetcher:
    """Owns one httpx.AsyncClient; `fetch` gets one URL under the per-host and global limits.

    `ssl_context` replaces the trusted certificates (default: `default_ssl_context()`).
    """

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        ssl_context: ssl.SSLContext | None = None,
        host_gate: HostGate | None = None,
    ) -> None:
        self.settings = settings or FetchSettings()
        self._gate = host_gate  # the cluster's per-host slots (workers), beyond this process's
        self._transport = transport
        self._ssl_context = ssl_context
        self._client: httpx.AsyncClient | None = None
        self._global = asyncio.Semaphore(self.settings.global_limit)
        self._origin_headers = {o: dict(h) for o, h in self.settings.origin_headers}
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Self:
        s = self.settings
        ssl_context = self._ssl_context or default_ssl_context()
        self._client = httpx.AsyncClient(
            http2=s.http2,
            timeout=httpx.Timeout(
                connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout, pool=None
            ),
            limits=httpx.Limits(
                max_connections=s.global_limit, max_keepalive_connections=s.global_limit
            ),
            headers={"User-Agent": s.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            follow_redirects=False,
            trust_env=False,  # proxies: the validated routes of the environment's variables
            mounts=None if self._transport else s.proxy.mounts(verify=ssl_context, http2=s.http2),
            transport=self._transport
            or HostPools(
                per_host=s.per_host_limit,
                http2=s.http2,
                max_pools=2 * s.global_limit,
                ssl_context=ssl_context,
                allow_networks=parse_networks(s.allow_networks),
            ),
        )
        await self._client.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
        source: str | None = None,
    ) -> FetchResult:
        """GET `url` (conditionally), following redirects; raises a FetchError subclass on failure.

        `source` is the configured URL whose document led to `url` (None: `url` is configured
        itself). Only a hop on that URL's host may reach a private address; any other goes
        through the guard (`fetch/guard.py`) and raises AddressRefused there.
        """
        headers = {"Accept": accept or FEED_ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        started = time.monotonic()
        budget = self.settings.total_timeout
        current = self._parse_url(url)
        trusted = self._parse_url(source).host if source else current.host
        chain = [strip_userinfo(str(current.copy_with(fragment=None)))]
        permanent = True
        while True:
            try:
                own = self._origin_headers.get(origin(str(current)))  # a source's own headers
                outcome, spent = await self._hop(
                    current, {**own, **headers} if own else headers, budget,
                    guarded=current.host != trusted,
                )  # fmt: skip
            except Refused as exc:
                raise refused(url, current, exc.address, len(chain) > 1) from None
            budget -= spent
            if isinstance(outcome, FetchResult):
                moved = outcome.url if permanent and len(chain) > 1 else None
                return FetchResult(
                    url=outcome.url,
                    status=outcome.status,
                    body=outcome.body,
                    headers=outcome.headers,
                    etag=outcome.headers.get("etag", etag if outcome.status == 304 else None),
                    last_modified=outcome.headers.get(
                        "last-modified", last_modified if outcome.status == 304 else None
                    ),
                    permanent_redirect=moved,
                    elapsed=time.monotonic() - started,
                    http_version=outcome.http_version,
                )
            permanent = permanent and outcome.status in PERMANENT_REDIRECTS
            current = outcome.target
            target = strip_userinfo(str(current.copy_with(fragment=None)))
            if target in chain:
                raise TooManyRedirects(
                    f"{chain[0]}: redirect loop: {' → '.join([*chain, target])}",
                    hint="the site redirects in a circle; check the URL in a browser",
                )
            chain.append(target)
            if len(chain) - 1 > self.settings.max_redirects:
                raise TooManyRedirects(
                    f"{chain[0]}: more than {self.settings.max_redirects} redirects (last: {target})",
                    hint="use the final URL of the feed in the config",
                )

    def _parse_url(self, url: str) -> httpx.URL:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise fatal(
                f"{strip_userinfo(url)!r} is not a valid URL: {describe(exc)}",
                "check the URL in the config",
            ) from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise fatal(
                f"{strip_userinfo(url)!r} is not an http(s) URL", "use an http:// or https:// URL"
            )
        return parsed

    def _host_slot(self, host: str) -> asyncio.Semaphore:
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = asyncio.Semaphore(self.settings.per_host_limit)
        return slot

    def _cluster_slot(self, host: str) -> AbstractAsyncContextManager[None]:
        return self._gate.slot(host) if self._gate is not None else nullcontext()

    async def _hop(
        self, url: httpx.URL, headers: dict[str, str], budget: float, *, guarded: bool
    ) -> tuple[FetchResult | _Redirect, float]:
        """One request under the host and global slots; the budget excludes the wait for them."""
        if self._client is None:
            raise RuntimeError("use `async with Fetcher(...) as fetcher:` before fetch()")
        s, shown = self.settings, strip_userinfo(str(url))  # credentials stay out of messages
        async with self._host_slot(url.host), self._cluster_slot(url.host), self._global:
            try:
                started = time.monotonic()
                async with asyncio.timeout(max(budget, 0.0)):
                    async with self._client.stream(
                        "GET", url, headers=headers, extensions={GUARDED: guarded}
                    ) as response:
                        outcome = await self._consume(shown, response)
                return outcome, time.monotonic() - started
            except TimeoutError:
                raise FetchTimeout(
                    f"{shown}: not finished within {s.total_timeout:g}s (the server is too slow)",
                    hint="the source is retried later; raise total_timeout if it is always slow",
                ) from None
            except httpx.ConnectTimeout:
                raise FetchTimeout(
                    f"{shown}: no connection within {s.connect_timeout:g}s",
                    hint="the host may be down or dropping our packets; it is retried with backoff",
                ) from None
            except httpx.TimeoutException:
                raise FetchTimeout(
                    f"{shown}: the server sent nothing for {s.read_timeout:g}s",
                    hint="the host is overloaded or stalled; it is retried with backoff",
                ) from None
            except CorruptBody as exc:
                raise FetchError(
                    f"{shown}: the compressed body is corrupt ({exc})",
                    hint="a server fault; it is retried later",
                ) from None
            except (httpx.TransportError, h2.exceptions.H2Error, OSError) as exc:
                raise ConnectFailed(
                    f"{shown}: connection failed: {describe(exc)}",
                    hint="check the host name and that the site is up; it is retried with backoff",
                ) from None
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise FetchError(f"{shown}: {describe(exc)}", hint="check the URL") from None

    async def _consume(self, url: str, response: httpx.Response) -> FetchResult | _Redirect:
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        if status in REDIRECT_STATUSES and "location" in headers:
            target = response.url.join(headers["location"])
            if target.scheme not in ("http", "https"):
                raise fatal(
                    f"{url}: redirected to a non-http URL {strip_userinfo(str(target))}",
                    "check the URL",
                )
            return _Redirect(target, status)
        if status == 304:
            return FetchResult(
                url=url, status=304, body=b"", headers=headers, http_version=response.http_version
            )
        if not 200 <= status < 300:
            raise status_error(url, response, headers)
        cap = self.settings.max_body_bytes
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            raise too_large(url, cap, f"Content-Length is {length}")
        decoder = decoder_for(headers.get("content-encoding", ""), url)
        parts: list[bytes] = []
        total = 0
        try:
            async for raw in response.aiter_raw():
                chunk = decoder.decode(raw, cap - total)
                total += len(chunk)
                if total > cap:
                    raise too_large(url, cap, "the body kept coming")
                parts.append(chunk)
        except (httpx.RemoteProtocolError, httpx.ReadError):
            # the server hung up mid-body: a short Content-Length, a cut chunked stream, a reset
            raise incomplete(url, response, headers, b"".join(parts)) from None
        return FetchResult(
            url=url,
            status=status,
            body=b"".join(parts),
            headers=headers,
            http_version=response.http_version,
        )
