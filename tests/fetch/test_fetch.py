"""Fetch against real loopback servers that misbehave: caps, timeouts, redirects, statuses, limits."""

from __future__ import annotations

import asyncio
import email.utils
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import brotli  # type: ignore[import-untyped]
import h2.exceptions
import httpx
import pytest

from httpserver import (
    Clock,
    Exchange,
    LocalServer,
    closed_port,
    endless,
    redirect,
    respond,
    slow,
    trickle,
)
from monitor import __version__
from monitor.errors import (
    BodyIncomplete,
    BodyTooLarge,
    ConnectFailed,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    TooManyRedirects,
)
from monitor.fetch.client import Fetcher, parse_retry_after
from monitor.fetch.settings import FetchSettings
from monitor.models import FetchResult

QUICK = FetchSettings(connect_timeout=2, read_timeout=2, total_timeout=5)
RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def fetch(url: str, settings: FetchSettings = QUICK, **kwargs: Any) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return asyncio.run(go())


def fetch_error(url: str, settings: FetchSettings = QUICK, **kwargs: Any) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch(url, settings, **kwargs)
    return info.value


def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes as a valid gzip member of about size/1000 bytes, built in ~0.3 s."""
    block = b"\0" * (1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    flushed = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)  # the same for every block
    crc = 0
    for _ in range(size // len(block)):
        crc = zlib.crc32(block, crc)
    deflate = flushed * (size // len(block)) + comp.flush()
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return header + deflate + struct.pack("<II", crc, size & 0xFFFFFFFF)


def brotli_bomb(size: int) -> bytes:
    comp = brotli.Compressor(quality=1)
    block = b"\0" * (1 << 20)
    return b"".join(comp.process(block) for _ in range(size // len(block))) + bytes(comp.finish())


# --- the polite path ------------------------------------------------------------------------------


def test_ok_returns_body_lowercased_headers_validators_and_sends_user_agent() -> None:
    headers = {"ETag": '"v1"', "Last-Modified": "Tue, 01 Oct 2024 10:00:00 GMT", "X-Thing": "y"}
    with LocalServer({"/feed": respond(200, RSS, headers)}) as srv:
        result = fetch(srv.url("/feed"))
    assert (result.status, result.body, result.url) == (200, RSS, srv.url("/feed"))
    assert result.headers["x-thing"] == "y" and all(k == k.lower() for k in result.headers)
    assert result.etag == '"v1"' and result.last_modified == headers["Last-Modified"]
    assert result.permanent_redirect is None and result.elapsed > 0
    sent = srv.requests[0].headers
    assert sent["user-agent"].startswith(f"news-monitor/{__version__} (+https://")
    assert "application/rss+xml" in sent["accept"]
    assert "if-none-match" not in sent and "if-modified-since" not in sent


def test_conditional_get_round_trip_gives_304_with_empty_body() -> None:
    etag, modified = '"abc"', "Wed, 02 Oct 2024 08:00:00 GMT"

    def conditional(ex: Exchange) -> None:
        if (
            ex.headers.get("if-none-match") == etag
            or ex.headers.get("if-modified-since") == modified
        ):
            ex.send(304)
        else:
            ex.send(200, RSS, {"ETag": etag, "Last-Modified": modified})

    with LocalServer({"/feed": conditional}) as srv:
        first = fetch(srv.url("/feed"))
        again = fetch(srv.url("/feed"), etag=first.etag, last_modified=first.last_modified)
        only_date = fetch(srv.url("/feed"), last_modified=first.last_modified)
    assert first.status == 200 and first.body == RSS
    assert again.status == 304 and again.not_modified and again.body == b""
    assert (again.etag, again.last_modified) == (etag, modified)  # kept when the 304 omits them
    assert only_date.status == 304
    assert srv.requests[1].headers["if-none-match"] == etag
    assert srv.requests[1].headers["if-modified-since"] == modified


def test_empty_body_is_returned_for_the_parser_to_judge() -> None:
    with LocalServer({"/feed": respond(200, b"")}) as srv:
        result = fetch(srv.url("/feed"))
    assert (result.status, result.body) == (200, b"")


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", lambda b: zlib.compress(b, wbits=zlib.MAX_WBITS | 16)),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b, wbits=-zlib.MAX_WBITS)),  # raw, as some servers do
        ("br", brotli.compress),
    ],
)
def test_compressed_bodies_are_decoded(encoding: str, encode: Callable[[bytes], bytes]) -> None:
    body = RSS * 500
    with LocalServer({"/f": respond(200, encode(body), {"Content-Encoding": encoding})}) as srv:
        result = fetch(srv.url("/f"))
    assert result.body == body
    assert "br" in srv.requests[0].headers["accept-encoding"]


# --- hostile bodies -------------------------------------------------------------------------------


def test_never_ending_body_stops_at_the_cap() -> None:
    with LocalServer({"/feed": endless()}) as srv:
        clock = Clock()
        error = fetch_error(srv.url("/feed"), FetchSettings(max_body_bytes=256 * 1024))
    assert isinstance(error, BodyTooLarge) and "262,144" in error.message and error.hint
    assert clock.elapsed < 5


def test_content_length_over_the_cap_is_refused_before_reading() -> None:
    def liar(ex: Exchange) -> None:
        ex.start(200, {"Content-Length": str(50 * 1024 * 1024)})
        ex.write(b"<rss>")
        ex.sleep(30)  # would hang the client if it tried to read the body

    with LocalServer({"/big": liar}) as srv:
        clock = Clock()
        error = fetch_error(srv.url("/big"), FetchSettings(max_body_bytes=1024 * 1024))
    assert isinstance(error, BodyTooLarge) and "Content-Length" in error.message
    assert clock.elapsed < 2


@pytest.mark.parametrize(("encoding", "bomb"), [("gzip", gzip_bomb), ("br", brotli_bomb)])
def test_compression_bomb_stops_at_the_decoded_cap_in_little_memory(
    encoding: str, bomb: Callable[[int], bytes]
) -> None:
    payload = bomb(1 << 30)  # 1 GiB of zeros: gzip ~1 MB, brotli ~0.2 MB on the wire
    assert len(payload) < 1_100_000
    cap = 1024 * 1024
    with LocalServer({"/bomb": respond(200, payload, {"Content-Encoding": encoding})}) as srv:
        tracemalloc.start()
        try:
            clock = Clock()
            error = fetch_error(srv.url("/bomb"), FetchSettings(max_body_bytes=cap))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert isinstance(error, BodyTooLarge)
    assert clock.elapsed < 10
    assert peak < 16 * cap, f"peak {peak:,} bytes while decoding a bomb"


def test_corrupt_compressed_body_is_a_fetch_error() -> None:
    with LocalServer({"/f": respond(200, b"not gzip at all", {"Content-Encoding": "gzip"})}) as srv:
        error = fetch_error(srv.url("/f"))
    assert "corrupt" in error.message


def test_unknown_content_encoding_is_refused() -> None:
    with LocalServer({"/f": respond(200, b"xx", {"Content-Encoding": "compress"})}) as srv:
        error = fetch_error(srv.url("/f"))
    assert "Content-Encoding" in error.message


def test_connection_dropped_mid_body_is_connect_failed() -> None:
    def drop(ex: Exchange) -> None:
        ex.start(200, {"Content-Length": "1000"})
        ex.write(b"<rss>")
        ex._handler.close_connection = True

    with LocalServer({"/f": drop}) as srv:
        error = fetch_error(srv.url("/f"))
    assert isinstance(error, ConnectFailed) and error.hint
    # what came is kept, so a feed can be salvaged from it; the message says how much came
    assert isinstance(error, BodyIncomplete) and error.received == b"<rss>"
    assert "ended after 5 of 1,000 bytes" in error.message and error.status == 200


# --- slow servers ---------------------------------------------------------------------------------


def test_one_byte_per_second_trickle_hits_the_total_deadline() -> None:
    settings = FetchSettings(read_timeout=5, total_timeout=1.5)  # the read timeout never fires
    with LocalServer({"/feed": trickle(byte_every=1.0)}) as srv:
        clock = Clock()
        error = fetch_error(srv.url("/feed"), settings)
    assert isinstance(error, FetchTimeout) and "1.5s" in error.message
    assert 1.4 < clock.elapsed < 4


def test_silent_server_hits_the_read_timeout() -> None:
    with LocalServer({"/feed": slow(RSS, delay=5)}) as srv:
        clock = Clock()
        error = fetch_error(srv.url("/feed"), FetchSettings(read_timeout=0.5))
    assert isinstance(error, FetchTimeout) and "sent nothing" in error.message
    assert clock.elapsed < 3


def test_waiting_for_a_host_slot_does_not_eat_the_total_deadline() -> None:
    settings = FetchSettings(per_host_limit=1, total_timeout=0.8)
    with LocalServer({f"/f{i}": slow(RSS, 0.5) for i in range(3)}) as srv:
        results = _fetch_many([srv.url(f"/f{i}") for i in range(3)], settings)
    assert [r.body for r in results] == [RSS] * 3  # the third waited ~1 s for its slot
    assert srv.max_in_flight == 1


def test_the_total_deadline_spans_every_redirect_hop() -> None:
    def slow_redirect(ex: Exchange) -> None:
        if ex.sleep(0.5):
            ex.send(302, b"", {"Location": "/b"})

    with LocalServer({"/a": slow_redirect, "/b": slow(RSS, 0.5)}) as srv:
        error = fetch_error(srv.url("/a"), FetchSettings(total_timeout=0.8))
    assert isinstance(error, FetchTimeout) and error.message.startswith(srv.url("/b"))


# --- redirects ------------------------------------------------------------------------------------


def test_redirect_loop_is_detected() -> None:
    with LocalServer() as srv:
        srv.routes["/a"] = redirect(srv.url("/b"))
        srv.routes["/b"] = redirect("/a")  # relative
        error = fetch_error(srv.url("/a"))
    assert isinstance(error, TooManyRedirects) and "loop" in error.message
    assert srv.paths() == ["/a", "/b"]


def test_redirect_limit() -> None:
    with LocalServer({f"/r{i}": redirect(f"/r{i + 1}", 307) for i in range(10)}) as srv:
        error = fetch_error(srv.url("/r0"), FetchSettings(max_redirects=3))
    assert isinstance(error, TooManyRedirects) and "more than 3" in error.message
    assert len(srv.requests) == 4


def test_permanent_redirect_chain_across_hosts_reports_the_new_url() -> None:
    # a redirect to another host on a private address is refused unless allowed (tests/ssrf)
    allowed = replace(QUICK, allow_networks=("127.0.0.0/8",))
    with LocalServer(host="127.0.0.2") as old, LocalServer(host="127.0.0.3") as new:
        new.routes["/feed.xml"] = respond(200, RSS)
        new.routes["/rss"] = redirect("/feed.xml", 308)
        old.routes["/rss"] = redirect(new.url("/rss"), 301)
        result = fetch(old.url("/rss"), allowed)
    assert result.body == RSS and result.url == new.url("/feed.xml")
    assert result.permanent_redirect == new.url("/feed.xml")


@pytest.mark.parametrize("temporary", [302, 303, 307])
def test_a_temporary_hop_means_the_stored_url_stays(temporary: int) -> None:
    with LocalServer() as srv:
        srv.routes["/old"] = redirect("/mid", 301)
        srv.routes["/mid"] = redirect("/new", temporary)
        srv.routes["/new"] = respond(200, RSS)
        result = fetch(srv.url("/old"))
    assert result.url == srv.url("/new") and result.permanent_redirect is None


def test_redirect_to_another_scheme_is_refused() -> None:
    with LocalServer({"/f": redirect("ftp://127.0.0.1/feed", 301)}) as srv:
        error = fetch_error(srv.url("/f"))
    assert "non-http" in error.message and not error.retryable


# --- statuses -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (404, False), (410, False)])
def test_error_statuses(status: int, retryable: bool) -> None:
    with LocalServer({"/f": respond(status, b"<html>oops</html>")}) as srv:
        error = fetch_error(srv.url("/f"))
    assert isinstance(error, HTTPStatusError)
    assert (error.status, error.retryable, error.retry_after) == (status, retryable, None)
    assert str(status) in error.message and error.hint


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds(status: int) -> None:
    with LocalServer({"/f": respond(status, b"slow down", {"Retry-After": "120"})}) as srv:
        error = fetch_error(srv.url("/f"))
    assert isinstance(error, HTTPStatusError) and error.status == status
    assert error.retry_after == 120.0


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_as_http_date(status: int) -> None:
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    with LocalServer({"/f": respond(status, b"", {"Retry-After": when})}) as srv:
        error = fetch_error(srv.url("/f"))
    assert isinstance(error, HTTPStatusError) and error.retry_after is not None
    assert 85 <= error.retry_after <= 91


def test_503_without_retry_after() -> None:
    with LocalServer({"/f": respond(503)}) as srv:
        error = fetch_error(srv.url("/f"))
    assert isinstance(error, HTTPStatusError) and error.retry_after is None and error.retryable


def test_parse_retry_after_forms() -> None:
    now = datetime(2024, 10, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("30", now) == 30.0
    assert parse_retry_after(" 0 ", now) == 0.0
    assert parse_retry_after("Tue, 01 Oct 2024 12:05:00 GMT", now) == 300.0
    assert parse_retry_after("Tue, 01 Oct 2024 11:00:00 GMT", now) == 0.0  # already past
    for junk in (None, "", "-5", "soon", "Tue, 99 Foo"):
        assert parse_retry_after(junk, now) is None


# --- connections and limits -----------------------------------------------------------------------


def test_connection_refused() -> None:
    clock = Clock()
    error = fetch_error(f"http://127.0.0.1:{closed_port()}/feed")
    assert isinstance(error, ConnectFailed) and "connection failed" in error.message
    assert clock.elapsed < 2


@pytest.mark.parametrize("url", ["not a url", "ftp://127.0.0.1/feed", "http:///feed"])
def test_bad_urls_are_not_retryable(url: str) -> None:
    error = fetch_error(url)
    assert not error.retryable and error.hint


def _fetch_many(urls: list[str], settings: FetchSettings) -> list[FetchResult]:
    async def go() -> list[FetchResult]:
        async with Fetcher(settings) as fetcher:
            return list(await asyncio.gather(*(fetcher.fetch(u) for u in urls)))

    return asyncio.run(go())


def test_per_host_limit_holds_whatever_the_number_of_feeds() -> None:
    with LocalServer({f"/f{i}": slow(RSS, 0.1) for i in range(16)}) as srv:
        results = _fetch_many(
            [srv.url(f"/f{i}") for i in range(16)], FetchSettings(per_host_limit=2)
        )
    assert all(r.body == RSS for r in results)
    assert srv.max_in_flight == 2  # never more, and the limit is actually used


def test_global_limit_across_hosts() -> None:
    lock, state = threading.Lock(), {"now": 0, "max": 0}

    def counted(ex: Exchange) -> None:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.1)
        with lock:
            state["now"] -= 1
        ex.send(200, RSS)

    hosts = [LocalServer({"/f": counted}, host=f"127.0.0.{i}") for i in (2, 3, 4)]
    with hosts[0], hosts[1], hosts[2]:
        urls = [h.url("/f") + f"?{n}" for h in hosts for n in range(6)]
        _fetch_many(urls, FetchSettings(per_host_limit=3, global_limit=4))
    assert state["max"] == 4
    assert all(h.max_in_flight <= 3 for h in hosts)


# --- translation at the boundary (injected transport) ---------------------------------------------


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (httpx.RemoteProtocolError("server sent garbage"), ConnectFailed),
        (httpx.ConnectTimeout("slow handshake"), FetchTimeout),
        (httpx.ReadTimeout("stalled"), FetchTimeout),
        (h2.exceptions.ProtocolError("bad frame"), ConnectFailed),
        (ConnectionResetError("reset by peer"), ConnectFailed),
    ],
)
def test_library_errors_become_fetch_errors(raised: Exception, expected: type[FetchError]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise raised

    async def go() -> None:
        async with Fetcher(QUICK, transport=httpx.MockTransport(handler)) as fetcher:
            await fetcher.fetch("http://example.invalid/feed")

    with pytest.raises(expected) as info:
        asyncio.run(go())
    assert info.value.hint and "example.invalid" in info.value.message


def test_fetch_outside_the_context_manager_is_a_programming_error() -> None:
    with pytest.raises(RuntimeError):
        asyncio.run(Fetcher().fetch("http://127.0.0.1:9/"))
