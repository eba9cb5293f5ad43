"""A local feed farm for benchmarks: N RSS feeds on ~50 loopback hosts, served by a separate process.

    with FeedFarm(feeds=2000) as farm:
        farm.urls          # http://127.0.0.{2..51}:PORT/feeds/N.xml
        farm.stats()       # {"requests": .., "ok": .., "not_modified": .., "generation": ..}
        farm.bump()        # every feed gets new items (and new ETag / Last-Modified)
        farm.load()        # peaks seen: requests in flight per host and per feed, connections
                           # per host, feed requests per client address (farm.reset_load())

FeedFarm(step=2): each bump adds 2 items to every feed and the oldest 2 leave (a sliding window,
as a real feed moves); the default replaces all of them. FeedFarm(step=1, start=5, items=60):
5 items at first, one more each bump up to 60, then sliding (every item stays 55 bumps).

The server is a raw asyncio HTTP/1.1 protocol with keep-alive: each feed is rendered once per
generation (gzip too), conditional GET answers 304, item links point at article pages served
by the farm (/articles/FEED/N.html), and the server's CPU is kept out of the client's numbers.
FeedFarm(addresses=[...]) serves on those addresses instead of 127.0.0.{2..51} (the hosts of
bench/multihost.py's network namespaces). A request is in flight from its arrival until its answer
is written: with a `latency` that is long enough for two clients' requests to the same feed, or
more than `per_host_limit` to one host, to be seen overlapping.
`python bench/feedfarm.py --feeds 2000` serves until Ctrl-D / Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import random
import socket
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import TracebackType
from typing import Any
from xml.sax.saxutils import escape

WORDS = [
    "government",
    "minister",
    "election",
    "border",
    "troops",
    "ceasefire",
    "talks",
    "market",
    "inflation",
    "energy",
    "storm",
    "flood",
    "court",
    "ruling",
    "protest",
    "parliament",
    "summit",
    "sanctions",
    "drone",
    "attack",
    "report",
    "city",
    "council",
    "budget",
    "vaccine",
    "hospital",
    "school",
    "strike",
    "union",
    "police",
    "investigation",
    "festival",
    "league",
    "final",
    "company",
    "shares",
    "climate",
    "rescue",
    "village",
    "coast",
    "bridge",
    "railway",
    "port",
]
EPOCH = datetime(2024, 10, 1, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class FarmConfig:
    feeds: int = 2000
    hosts: int = 50
    items: int = 20
    gzip: bool = True
    full_content: bool = True  # content:encoded with the whole article, as many news feeds do
    latency: float = 0.0  # seconds each answer is held back, like a real site's response time
    port: int = 0  # 0: pick a port free on every host
    step: int = 0  # new items per generation (bump); 0: all `items` are new each time
    start: int = 0  # with a step: items at generation 0, growing by `step` up to `items`
    addresses: tuple[str, ...] = ()  # the hosts to serve on; empty: 127.0.0.{2..hosts+1}

    def host_names(self) -> list[str]:
        """Every address the farm listens on."""
        if self.addresses:
            return list(dict.fromkeys(self.addresses))
        return [self.host(i) for i in range(min(self.hosts, self.feeds))]

    def serials(self, generation: int) -> list[int]:
        """The items of a feed at *generation*, newest first."""
        if not self.step:
            newest = (generation + 1) * self.items
            return list(range(newest, newest - self.items, -1))
        newest = generation * self.step + (self.start or self.items)
        return list(range(newest, max(0, newest - self.items), -1))

    def host(self, index: int) -> str:
        if self.addresses:
            return self.addresses[index % len(self.addresses)]
        return f"127.0.0.{2 + index % self.hosts}"


def _pool() -> tuple[str, ...]:
    """Pre-made sentences, so rendering thousands of feeds takes seconds, not minutes."""
    rng = random.Random(0)
    return tuple(
        " ".join(rng.choices(WORDS, k=rng.randint(8, 16))).capitalize() + "." for _ in range(4096)
    )


SENTENCES = _pool()


def _sentences(rng: random.Random, count: int) -> str:
    return " ".join(rng.choices(SENTENCES, k=count))


SYLLABLES = ("ka", "lo", "mi", "ra", "te", "vun", "sol", "dar", "en", "qui", "bra", "zet")


def _distinct(rng: random.Random, count: int) -> str:
    """Sentences of made-up words (12^3 of them) with a few news words: unrelated articles
    that a story engine keeps apart, where the 43-word pool makes them all look alike."""
    out = []
    for _ in range(count):
        words = [
            "".join(rng.choices(SYLLABLES, k=3)) if rng.random() < 0.7 else rng.choice(WORDS)
            for _ in range(rng.randint(8, 16))
        ]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def render_article(config: FarmConfig, index: int, serial: int) -> bytes:
    """The article page an item links to: text wrapped in the usual boilerplate."""
    rng = random.Random(index * 7_919 + serial)
    text = _distinct if config.step else _sentences
    paragraphs = "".join(f"<p>{text(rng, rng.randint(3, 6))}</p>" for _ in range(4))
    return (
        f"<!doctype html><html lang=en><head><title>Article {serial} - Farm feed {index}</title>"
        f'<meta property="og:site_name" content="Farm {index}"></head><body>'
        "<nav><a href=/>Home</a> <a href=/world>World</a> <a href=/sport>Sport</a></nav>"
        f"<article><h1>Article {serial} of feed {index}</h1>{paragraphs}</article>"
        "<aside>Advert</aside><footer>0 comments: Post a Comment</footer></body></html>"
    ).encode()


def render_feed(config: FarmConfig, index: int, generation: int, port: int) -> bytes:
    """A realistic RSS 2.0 document; items advance with the generation."""
    rng = random.Random(index * 1_000_003 + generation)
    host = config.host(index)
    newest = EPOCH + timedelta(hours=generation)
    items = []
    for n, serial in enumerate(config.serials(generation)):
        if config.step:  # items stay over several generations: the same text each time
            rng = random.Random(index * 1_000_003 + serial)
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 11))).capitalize()
        summary = _sentences(rng, 2)
        if config.step:
            title = _distinct(rng, 1).rstrip(".")
            summary = _distinct(rng, 2)
        link = f"http://{host}:{port}/articles/{index}/{serial}.html"
        content = ""
        if config.full_content:
            text = "".join(f"<p>{_sentences(rng, rng.randint(3, 6))}</p>" for _ in range(4))
            content = f"<content:encoded>{escape(text)}</content:encoded>"
        items.append(
            f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
            f'<guid isPermaLink="false">feed{index}-item{serial}</guid>'
            f"<pubDate>{format_datetime(_published(config, newest, n, serial))}</pubDate>"
            f"<dc:creator>Reporter {rng.randint(1, 40)}</dc:creator>"
            f"<category>{rng.choice(WORDS)}</category>"
            f"<description>{escape('<p>' + summary + '</p>')}</description>{content}</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Farm feed {index}</title><link>http://{host}:{port}/</link>"
        f"<description>Synthetic news feed {index}</description><language>en</language>"
        f"<ttl>15</ttl><lastBuildDate>{format_datetime(newest)}</lastBuildDate>"
        + "".join(items)
        + "</channel></rss>\n"
    ).encode()


def _published(config: FarmConfig, newest: datetime, n: int, serial: int) -> datetime:
    """An item's date: 37 minutes apart; with a `step`, fixed per item across generations."""
    if config.step:
        return EPOCH + timedelta(minutes=10 * serial)
    return newest - timedelta(minutes=37 * n)


@dataclass
class _Doc:
    plain: bytes
    gzipped: bytes
    etag: str
    last_modified: str


class _Farm:
    """The server side: documents per generation, counters, request routing."""

    def __init__(self, config: FarmConfig, port: int) -> None:
        self.config = config
        self.port = port
        self.generation = 0
        self.docs: list[_Doc] = []
        self.counts = {"requests": 0, "ok": 0, "not_modified": 0, "not_found": 0}
        self.served: dict[int, set[int]] = {}  # feed → the generations it was sent in full
        self.load = _Load()
        self.render()

    def render(self) -> None:
        c, g = self.config, self.generation
        modified = format_datetime(EPOCH + timedelta(hours=g), usegmt=True)
        self.docs = []
        for i in range(c.feeds):
            plain = render_feed(c, i, g, self.port)
            packed = gzip.compress(plain, 6) if c.gzip else plain
            self.docs.append(_Doc(plain, packed, f'"f{i}-g{g}"', modified))

    def answer(self, target: str, headers: dict[str, str]) -> bytes:
        self.counts["requests"] += 1
        path = target.split("?", 1)[0]
        if path.startswith("/feeds/") and path.endswith(".xml"):
            number = path[7:-4]
            if number.isdigit() and int(number) < len(self.docs):
                answer = self._feed(self.docs[int(number)], headers)
                if answer.startswith(b"HTTP/1.1 200"):
                    self.served.setdefault(int(number), set()).add(self.generation)
                return answer
        if path.startswith("/articles/") and path.endswith(".html"):
            index, _, serial = path[10:-5].partition("/")
            if index.isdigit() and serial.isdigit():
                self.counts["ok"] += 1
                page = render_article(self.config, int(index), int(serial))
                return _response(200, page, {"Content-Type": "text/html; charset=utf-8"})
        if path == "/_farm/stats":
            body = json.dumps({**self.counts, "generation": self.generation}).encode()
            return _response(200, body, {"Content-Type": "application/json"})
        if path == "/_farm/load":
            return _response(200, self.load.json(), {"Content-Type": "application/json"})
        if path == "/_farm/reset_load":
            self.load.reset()
            return _response(200, b"ok", {})
        if path == "/_farm/served":
            served = {str(k): sorted(v) for k, v in self.served.items()}
            return _response(200, json.dumps(served).encode(), {"Content-Type": "application/json"})
        if path == "/_farm/bump":
            self.generation += 1
            self.render()
            return _response(200, b"ok", {})
        self.counts["not_found"] += 1
        return _response(404, b"not found", {})

    def _feed(self, doc: _Doc, headers: dict[str, str]) -> bytes:
        validators = {"ETag": doc.etag, "Last-Modified": doc.last_modified}
        inm, ims = headers.get("if-none-match"), headers.get("if-modified-since")
        if (inm is not None and doc.etag in inm) or (inm is None and ims == doc.last_modified):
            self.counts["not_modified"] += 1
            return _response(304, b"", validators)
        self.counts["ok"] += 1
        head = {"Content-Type": "application/rss+xml; charset=utf-8", **validators}
        if self.config.gzip and "gzip" in headers.get("accept-encoding", ""):
            return _response(200, doc.gzipped, {**head, "Content-Encoding": "gzip"})
        return _response(200, doc.plain, head)


class _Load:
    """What the clients asked at once: requests in flight per host and per feed, open
    connections per host, and which client address asked for feeds how often."""

    def __init__(self) -> None:
        self.in_flight_host: Counter[str] = Counter()
        self.in_flight_feed: Counter[str] = Counter()
        self.connections: Counter[str] = Counter()
        self.reset()

    def reset(self) -> None:
        self.peak_host: Counter[str] = Counter()
        self.peak_feed: Counter[str] = Counter()
        self.peak_connections: Counter[str] = Counter()
        self.overlaps = 0  # feed requests that arrived while one for the same feed was in flight
        self.clients: Counter[str] = Counter()
        self.feed_requests = 0

    def connected(self, host: str, change: int) -> None:
        self.connections[host] += change

    def begin(self, host: str, client: str, feed: str | None) -> None:
        """A request arrived (its connection's peak is taken now: not a control connection)."""
        self.peak_connections[host] = max(self.peak_connections[host], self.connections[host])
        self.in_flight_host[host] += 1
        self.peak_host[host] = max(self.peak_host[host], self.in_flight_host[host])
        if feed is not None:
            self.feed_requests += 1
            self.clients[client] += 1
            if self.in_flight_feed[feed]:
                self.overlaps += 1
            self.in_flight_feed[feed] += 1
            self.peak_feed[feed] = max(self.peak_feed[feed], self.in_flight_feed[feed])

    def end(self, host: str, feed: str | None) -> None:
        self.in_flight_host[host] -= 1
        if feed is not None:
            self.in_flight_feed[feed] -= 1

    def json(self) -> bytes:
        return json.dumps(
            {
                "max_in_flight_per_host": max(self.peak_host.values(), default=0),
                "max_in_flight_per_feed": max(self.peak_feed.values(), default=0),
                "max_connections_per_host": max(self.peak_connections.values(), default=0),
                "feed_overlaps": self.overlaps,
                "feed_requests": self.feed_requests,
                "clients": dict(self.clients),
            }
        ).encode()


def _response(status: int, body: bytes, headers: dict[str, str]) -> bytes:
    reason = {200: "OK", 304: "Not Modified", 404: "Not Found", 400: "Bad Request"}[status]
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _HTTP(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and pipelining; GET without request bodies only."""

    def __init__(self, farm: _Farm) -> None:
        self.farm = farm
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.host = self.client = ""
        self.counted = False  # among the host's connections (a control connection is not)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.host = str(transport.get_extra_info("sockname")[0])
        self.client = str(transport.get_extra_info("peername")[0])
        self.farm.load.connected(self.host, 1)
        self.counted = True

    def connection_lost(self, exc: Exception | None) -> None:
        if self.counted:
            self.farm.load.connected(self.host, -1)
            self.counted = False

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) != 3:
                self.transport.write(_response(400, b"bad request", {"Connection": "close"}))
                self.transport.close()
                return
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            target = parts[1].split("?", 1)[0]
            control = target.startswith("/_farm/")
            if control and self.counted:
                self.farm.load.connected(self.host, -1)
                self.counted = False
            feed = target if target.startswith("/feeds/") else None
            if not control:
                self.farm.load.begin(self.host, self.client, feed)
            answer = self.farm.answer(parts[1], headers)
            close = headers.get("connection", "").lower() == "close" or parts[2] == "HTTP/1.0"
            if self.farm.config.latency > 0:
                loop = asyncio.get_running_loop()
                loop.call_later(self.farm.config.latency, self._send, answer, close, feed, control)
            else:
                self._send(answer, close, feed, control)
            if close:
                return

    def _send(self, answer: bytes, close: bool, feed: str | None, control: bool) -> None:
        assert self.transport is not None
        if not control:
            self.farm.load.end(self.host, feed)
        if self.transport.is_closing():
            return
        self.transport.write(answer)
        if close:
            self.transport.close()


def _free_port(hosts: list[str]) -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((hosts[0], 0))
            port = int(probe.getsockname()[1])
        try:
            for host in hosts:
                with socket.socket() as sock:
                    sock.bind((host, port))
        except OSError:
            continue
        return port
    raise RuntimeError("no port free on every farm host")


async def _serve(config: FarmConfig) -> None:
    """Serve until standard input closes (the parent going away); print the port first."""
    loop = asyncio.get_running_loop()
    hosts = config.host_names()
    port = config.port or _free_port(hosts)
    farm = _Farm(config, port)
    server = await loop.create_server(lambda: _HTTP(farm), host=hosts, port=port, backlog=1024)
    print(f"PORT {port}", flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


class FeedFarm:
    """Context manager: the farm server runs in a child interpreter while the block runs."""

    def __init__(
        self,
        feeds: int = 2000,
        hosts: int = 50,
        items: int = 20,
        gzip: bool = True,
        full_content: bool = True,
        latency: float = 0.0,
        step: int = 0,
        start: int = 0,
        addresses: tuple[str, ...] | list[str] = (),
    ) -> None:
        self.config = FarmConfig(
            feeds,
            hosts,
            items,
            gzip,
            full_content,
            latency,
            step=step,
            start=start,
            addresses=tuple(addresses),
        )
        self.port = 0
        self.process: subprocess.Popen[str] | None = None

    @property
    def urls(self) -> list[str]:
        c = self.config
        return [f"http://{c.host(i)}:{self.port}/feeds/{i}.xml" for i in range(c.feeds)]

    def __enter__(self) -> FeedFarm:
        c = self.config
        command = [sys.executable, __file__, "--child", f"--feeds={c.feeds}", f"--hosts={c.hosts}"]
        command += [f"--items={c.items}"]
        command += [] if c.gzip else ["--no-gzip"]
        command += [] if c.full_content else ["--summaries-only"]
        command += [f"--latency={c.latency}", f"--step={c.step}", f"--start={c.start}"]
        command += [f"--addresses={','.join(c.addresses)}"] if c.addresses else []
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.__exit__(None, None, None)
            raise RuntimeError(f"the feed farm did not start (said {line!r})")
        self.port = int(line.split()[1])
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is None:
            return
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.process.stdout.close()
        self.process = None

    def _control(self, path: str) -> bytes:
        with socket.create_connection((self.config.host(0), self.port), timeout=120) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: farm\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        return data.split(b"\r\n\r\n", 1)[1]

    def stats(self) -> dict[str, int]:
        return dict(json.loads(self._control("/_farm/stats")))

    def load(self) -> dict[str, Any]:
        """Peaks since the start or the last reset_load(): `max_in_flight_per_host`,
        `max_in_flight_per_feed`, `max_connections_per_host`, `feed_overlaps` (a feed asked
        again while its answer was pending), `feed_requests`, `clients` (address → requests)."""
        return dict(json.loads(self._control("/_farm/load")))

    def reset_load(self) -> None:
        self._control("/_farm/reset_load")

    def served(self) -> dict[int, list[int]]:
        """Feed → the generations whose document it was sent (200, not 304), so far."""
        return {int(k): v for k, v in json.loads(self._control("/_farm/served")).items()}

    def linked(self, index: int, generation: int) -> list[str]:
        """The article links of feed *index*'s document at *generation*."""
        c = self.config
        host = c.host(index)
        return [
            f"http://{host}:{self.port}/articles/{index}/{serial}.html"
            for serial in c.serials(generation)
        ]

    def bump(self) -> None:
        """New items in every feed (new validators), for another cold cycle."""
        self._control("/_farm/bump")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--no-gzip", action="store_true")
    parser.add_argument("--summaries-only", action="store_true", help="no content:encoded")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    parser.add_argument("--step", type=int, default=0, help="new items per bump (0: all)")
    parser.add_argument("--start", type=int, default=0, help="items at first, with --step")
    parser.add_argument("--addresses", default="", help="comma-separated addresses to serve on")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    config = FarmConfig(
        args.feeds,
        args.hosts,
        args.items,
        not args.no_gzip,
        not args.summaries_only,
        args.latency,
        step=args.step,
        start=args.start,
        addresses=tuple(a for a in args.addresses.split(",") if a),
    )
    if args.child:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(config))
        return
    c = config
    with FeedFarm(
        c.feeds, c.hosts, c.items, c.gzip, c.full_content, c.latency, c.step, c.start, c.addresses
    ) as farm:
        print(f"{args.feeds} feeds on port {farm.port}, e.g. {farm.urls[0]}; Ctrl-D ends")
        with contextlib.suppress(KeyboardInterrupt):
            sys.stdin.read()


if __name__ == "__main__":
    main()
