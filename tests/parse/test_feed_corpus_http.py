"""Every file of ../shared/data/feeds served over loopback HTTP goes through fetch + parse safely."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

import pytest

from httpserver import Exchange, Handler, LocalServer
from monitor.errors import MonitorError, ParseError
from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings
from monitor.parse.feeds import parse_feed
from shared import SHARED_DATA

HEADER_LINE = re.compile(rb"^\s*Header:\s*([^:\r\n]+):[ \t]*(.*?)\s*$", re.M)
FEEDS = SHARED_DATA / "feeds"


def serve(body: bytes) -> Handler:
    """Send the file with the HTTP headers its leading `Header:` comment lines simulate."""
    headers = {"Content-Type": "application/octet-stream"}
    for name, value in HEADER_LINE.findall(body[:2048]):
        headers[name.decode().strip().title()] = value.decode("latin-1")
    headers.pop("Content-Length", None)
    headers.pop("Content-Encoding", None)

    def handle(ex: Exchange) -> None:
        ex.send(200, body, headers)

    return handle


def test_every_corpus_file_is_fetched_and_parsed_without_an_escaping_exception() -> None:
    if not FEEDS.is_dir():
        pytest.skip(f"{FEEDS} is absent (the shared test data lives beside the repository)")
    files = sorted(p for p in FEEDS.rglob("*") if p.is_file() and p.name != "LICENSE")
    routes = {f"/{i}/{p.name}": serve(p.read_bytes()) for i, p in enumerate(files)}
    outcome: Counter[str] = Counter()

    async def one(fetcher: Fetcher, url: str) -> None:
        try:
            result = await fetcher.fetch(url)
            feed = parse_feed(result.body, result.url, result.headers)
        except ParseError as exc:
            assert exc.message and exc.hint
            outcome["recorded parse error"] += 1
            return
        except MonitorError as exc:  # any other recorded error (fetch)
            assert exc.message
            outcome["recorded fetch error"] += 1
            return
        outcome["entries" if feed.entries else "no entries"] += 1
        outcome["salvaged"] += bool(feed.malformed)

    async def run_all(server: LocalServer) -> None:
        settings = FetchSettings(per_host_limit=16, global_limit=16, total_timeout=20)
        async with Fetcher(settings) as fetcher:
            await asyncio.gather(*(one(fetcher, server.url(path)) for path in routes))

    with LocalServer(routes) as server:
        asyncio.run(run_all(server))
    total = sum(
        outcome[k]
        for k in ("entries", "no entries", "recorded parse error", "recorded fetch error")
    )
    assert total == len(files) > 2000
    assert outcome["recorded fetch error"] == 0
    assert outcome["entries"] > 0.5 * len(files), outcome
