"""A real HTTP/1.1 server on loopback for tests: a route table of handlers that may misbehave."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Handler = Callable[["Exchange"], None]


@dataclass
class Seen:
    """A request as the server received it (header names lower-cased)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    client: tuple[str, int] = ("", 0)  # the client's address: one port per connection


class Exchange:
    """One request and the means to answer it, politely or not."""

    def __init__(self, handler: _RequestHandler, seen: Seen, stop: threading.Event) -> None:
        self._handler = handler
        self.request = seen
        self.stop = stop
        self.sent_head = False
        self._body: bytes | None = None

    @property
    def headers(self) -> dict[str, str]:
        return self.request.headers

    def start(self, status: int, headers: Mapping[str, str] | None = None) -> None:
        """Send the status line and headers; without Content-Length the body ends at close."""
        headers = dict(headers or {})
        self._handler.send_response(status)
        for name, value in headers.items():
            self._handler.send_header(name, value)
        if not any(n.lower() in ("content-length", "transfer-encoding") for n in headers):
            self._handler.send_header("Connection", "close")
            self._handler.close_connection = True
        self._handler.end_headers()
        self.sent_head = True

    def write(self, data: bytes) -> bool:
        """Send body bytes; False once the client has gone or the server stops."""
        if self.stop.is_set():
            return False
        try:
            self._handler.wfile.write(data)
            self._handler.wfile.flush()
        except OSError:
            self._handler.close_connection = True
            return False
        return True

    def send(
        self, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> None:
        """A complete, well-formed response with Content-Length."""
        all_headers = {"Content-Length": str(len(body)), **dict(headers or {})}
        self.start(status, all_headers)
        if body:
            self.write(body)

    def body(self) -> bytes:
        """The request body (by Content-Length), read once."""
        if self._body is None:
            length = int(self.headers.get("content-length", 0))
            self._body = self._handler.rfile.read(length) if length else b""
        return self._body

    def sleep(self, seconds: float) -> bool:
        """Wait, waking early when the server stops; False if it stopped."""
        return not self.stop.wait(seconds)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 10

    def do_GET(self) -> None:
        self.server.owner._dispatch(self)

    do_HEAD = do_GET
    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: LocalServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up on a hostile handler is the point of the test


class _Server6(_Server):
    address_family = socket.AF_INET6


class LocalServer:
    """`with LocalServer({"/feed": respond(200, b"...")}) as srv: srv.url("/feed")`."""

    def __init__(
        self, routes: Mapping[str, Handler] | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.routes: dict[str, Handler] = dict(routes or {})
        self.host = host
        self.requests: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def __enter__(self) -> LocalServer:
        kind = _Server6 if ":" in self.host else _Server  # an IPv6 address: host="::1"
        self._server = kind((self.host, 0), _RequestHandler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def _dispatch(self, handler: _RequestHandler) -> None:
        parts = urlsplit(handler.path)
        seen = Seen(
            handler.command,
            parts.path,
            parts.query,
            {k.lower(): v for k, v in handler.headers.items()},
        )
        with self._lock:
            self.requests.append(seen)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        exchange = Exchange(handler, seen, self.stop)
        try:
            route = self.routes.get(parts.path)
            if route is None:
                exchange.send(404, b"not found")
            else:
                route(exchange)
                if not exchange.sent_head:
                    exchange.send(200)
        finally:
            with self._lock:
                self.in_flight -= 1


# Handler factories for the usual behaviours; write your own for anything stranger.


def respond(
    status: int = 200, body: bytes = b"", headers: Mapping[str, str] | None = None
) -> Handler:
    return lambda ex: ex.send(status, body, headers)


def redirect(location: str, status: int = 302) -> Handler:
    return lambda ex: ex.send(status, b"", {"Location": location})


def slow(body: bytes, delay: float, headers: Mapping[str, str] | None = None) -> Handler:
    """Answer after `delay` seconds (to hold a request in flight)."""

    def handle(ex: Exchange) -> None:
        if ex.sleep(delay):
            ex.send(200, body, headers)

    return handle


def trickle(byte_every: float = 1.0, total: int = 10_000) -> Handler:
    """Declare `total` bytes, then send one byte every `byte_every` seconds."""

    def handle(ex: Exchange) -> None:
        ex.start(200, {"Content-Type": "application/rss+xml", "Content-Length": str(total)})
        for _ in range(total):
            if not ex.write(b" ") or not ex.sleep(byte_every):
                return

    return handle


def endless(
    chunk: bytes = b"<item>x</item>" * 4096, headers: Mapping[str, str] | None = None
) -> Handler:
    """A body that never ends (no Content-Length, connection close)."""

    def handle(ex: Exchange) -> None:
        ex.start(200, {"Content-Type": "application/rss+xml", **dict(headers or {})})
        while ex.write(chunk):
            pass

    return handle


def stream(
    parts: Iterator[bytes] | list[bytes], headers: Mapping[str, str] | None = None
) -> Handler:
    """Send the given parts, then close the connection (no Content-Length)."""

    def handle(ex: Exchange) -> None:
        ex.start(200, dict(headers or {}))
        for part in parts:
            if not ex.write(part):
                return

    return handle


def gzipped(body: bytes, headers: Mapping[str, str] | None = None) -> Handler:
    data = gzip.compress(body)
    return respond(200, data, {"Content-Encoding": "gzip", **dict(headers or {})})


def closed_port(host: str = "127.0.0.1") -> int:
    """A port on `host` that nothing listens on (bound, then released)."""
    with contextlib.closing(socket.socket()) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class Clock:
    """Wall-clock helper for asserting that something was quick."""

    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started
