"""HTTP/2 over TLS, for real: an h2-only hypercorn server on loopback, certificates from trustme.

httpx offers h2 only through TLS ALPN, so a plain-HTTP test server can never show that the
Fetcher speaks HTTP/2. The server here offers nothing but h2: a client that could not speak it
would fail the handshake, and the Fetcher reports the version each answer came over.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import trustme
from hypercorn.asyncio import serve
from hypercorn.config import Config

from monitor.errors import ConnectFailed, HTTPStatusError
from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings
from monitor.models import FetchResult
from monitor.parse.feeds import parse_feed

FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>h2 news</title><link>https://localhost/</link>
<item><title>Spoken over HTTP/2</title><link>/story/1</link><guid isPermaLink="false">story-1</guid>
<pubDate>Tue, 05 Nov 2024 10:00:00 GMT</pubDate><description>A multiplexed stream</description>
</item></channel></rss>"""

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """A tiny ASGI app: the feed at /feed.xml over h2; 505 over any other HTTP version."""
    if scope["type"] != "http":
        return
    version = str(scope["http_version"])
    status = 505 if version != "2" else 200 if scope["path"] == "/feed.xml" else 404
    headers = [
        (b"content-type", b"application/rss+xml; charset=utf-8"),
        (b"x-seen-http-version", version.encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": FEED if status == 200 else b"no"})


@dataclass
class H2Server:
    url: str
    ca: trustme.CA

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


@pytest.fixture(scope="module")
def h2_server() -> Iterator[H2Server]:
    """hypercorn on 127.0.0.1 in a thread of its own, h2 only (ALPN offers h2, the app refuses
    HTTP/1.1 with 505), for this module."""
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{sock.detach()}"]  # hypercorn owns (and closes) the listening socket
    config.alpn_protocols = ["h2"]
    config.accesslog = config.errorlog = None
    with cert.cert_chain_pems[0].tempfile() as certfile, cert.private_key_pem.tempfile() as keyfile:
        config.certfile, config.keyfile = certfile, keyfile
        loop = asyncio.new_event_loop()
        stop = asyncio.Event()
        started = threading.Event()

        async def run() -> None:
            started.set()
            await serve(app, config, shutdown_trigger=stop.wait)  # type: ignore[arg-type]

        thread = threading.Thread(target=lambda: loop.run_until_complete(run()), daemon=True)
        thread.start()
        assert started.wait(10), "hypercorn did not start"
        try:
            yield H2Server(f"https://localhost:{port}/feed.xml", ca)
        finally:
            loop.call_soon_threadsafe(stop.set)
            thread.join(10)
            assert not thread.is_alive(), "hypercorn did not stop within 10 s"
            loop.close()


def fetch(url: str, **kwargs: Any) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(FetchSettings(total_timeout=10.0), **kwargs) as fetcher:
            return await fetcher.fetch(url)

    return asyncio.run(asyncio.wait_for(go(), 20))


@pytest.mark.timeout(60)
def test_fetcher_speaks_http2_to_an_h2_only_tls_server(h2_server: H2Server) -> None:
    result = fetch(h2_server.url, ssl_context=h2_server.client_context())
    assert result.status == 200
    assert result.http_version == "HTTP/2"
    assert result.headers["x-seen-http-version"] == "2"  # the server saw h2 too
    feed = parse_feed(result.body, result.url, result.headers)
    assert feed.format == "rss" and feed.title == "h2 news"
    [entry] = feed.entries
    assert entry.guid == "story-1" and entry.title == "Spoken over HTTP/2"
    assert entry.url == f"{h2_server.url.rsplit('/', 1)[0]}/story/1"


@pytest.mark.timeout(60)
def test_ssl_cert_file_is_trusted(h2_server: H2Server, monkeypatch: pytest.MonkeyPatch) -> None:
    with h2_server.ca.cert_pem.tempfile() as cafile:
        monkeypatch.setenv("SSL_CERT_FILE", cafile)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        result = fetch(h2_server.url)
    assert (result.status, result.http_version) == (200, "HTTP/2")


@pytest.mark.timeout(60)
def test_an_untrusted_certificate_is_refused(
    h2_server: H2Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with pytest.raises(ConnectFailed, match="connection failed"):
        fetch(h2_server.url)  # the default trust store does not know the test CA


@pytest.mark.timeout(60)
def test_without_http2_the_h2_only_server_is_unreachable(h2_server: H2Server) -> None:
    settings = FetchSettings(total_timeout=10.0, http2=False)

    async def go() -> FetchResult:
        async with Fetcher(settings, ssl_context=h2_server.client_context()) as fetcher:
            return await fetcher.fetch(h2_server.url)

    with pytest.raises(HTTPStatusError) as refused:  # the server really is h2 only
        asyncio.run(asyncio.wait_for(go(), 20))
    assert refused.value.status == 505
