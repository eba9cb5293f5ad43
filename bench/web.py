"""Latency of the web app with 100 k articles and 20 k stories stored: p50/p99 of the stories
page (`/`) and of `/api/v1/stories` at concurrency 1 and 16, and of `/metrics`, against the
app's floor measured in the same run (`/healthz`: the same server, no store work).

The state is filled directly (bulk inserts into a migrated SQLite store: sources, stories,
articles with text, topic matches on a tenth of them, a few delivered digests), then
`news-monitor web` serves it in a subprocess on loopback and an httpx loop drives it.

    .venv/bin/python bench/web.py [--articles 100000] [--stories 20000] [--requests 400]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from monitor.store.db import Store

CLI = Path(sys.executable).with_name("news-monitor")
NOW = datetime.now(UTC).replace(tzinfo=None)
FMT = "%Y-%m-%d %H:%M:%S.%f"
SOURCES = [f"Outlet {i}" for i in range(200)]
TOPICS = ["Legion", "Belgorod", "Energy", "Elections", "Climate"]
WORDS = [
    "legion",
    "belgorod",
    "border",
    "raid",
    "village",
    "council",
    "energy",
    "grid",
    "vote",
    "climate",
    "storm",
]


def at(hours: float) -> str:
    return (NOW - timedelta(hours=hours)).strftime(FMT)


def fill(state: Path, n_articles: int, n_stories: int) -> None:
    Store.open(state).close()  # created and migrated as news-monitor does
    db = sqlite3.connect(state / "monitor.db", isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("BEGIN")
    rng = random.Random(16)
    db.executemany(
        "INSERT INTO sources (id, name, url, type, error_count, disabled, items_seen, "
        "articles_stored, created_at, items_skipped, empty_polls, health, last_success, "
        "next_check_at) VALUES (?, ?, ?, 'feed', 0, 0, 0, 0, ?, 0, 0, 'ok', ?, ?)",
        [(i + 1, s, f"http://127.0.0.1:9/{i}.rss", at(1000), at(0.1), at(-0.2))
         for i, s in enumerate(SOURCES)],
    )  # fmt: skip
    span = 30 * 24  # hours the stories spread over
    db.executemany(
        "INSERT INTO stories (id, title, first_seen, last_seen, size, centroid) "
        "VALUES (?, ?, ?, ?, ?, x'')",
        [(i, f"Story {i}: {' '.join(rng.sample(WORDS, 6))}", at(span * i / n_stories + 5),
          at(span * (n_stories - i) / n_stories), n_articles // n_stories)
         for i in range(1, n_stories + 1)],
    )  # fmt: skip
    rows, matches = [], []
    for i in range(1, n_articles + 1):
        story = 1 + (i * 7919) % n_stories
        body = " ".join(rng.choices(WORDS, k=120))
        rows.append(
            (i, f"http://127.0.0.1:9/a/{i}", f"http://127.0.0.1:9/a/{i}", f"Article {i} {body[:60]}",
             body, at(span * (n_stories - story) / n_stories + rng.random()), at(1), at(1), "en",
             rng.choice(SOURCES), i - 1 if i % 10 == 0 else None, story)
        )  # fmt: skip
        if i % 10 == 1:
            hits = json.dumps([{"term": "legion", "field": "text", "positions": [3]}])
            matches.append((i, rng.choice(TOPICS), rng.random() * 3, hits, body[:200], at(1)))
    db.executemany(
        "INSERT INTO articles (id, url, canonical_url, title, text, published, fetched, "
        "stored_at, language, source, duplicate_of, story_id) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.executemany("INSERT INTO topic_matches VALUES (?, ?, ?, ?, ?, ?)", matches)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def config(tmp: Path, port: int) -> Path:
    feeds = "".join(f"  - {{url: 'http://127.0.0.1:9/{i}.rss', name: '{s}'}}\n"
                    for i, s in enumerate(SOURCES))  # fmt: skip
    topics = "".join(f"  - {{name: {t}, query: {t.lower()}}}\n" for t in TOPICS)
    path = tmp / "feeds.yaml"
    path.write_text(
        textwrap.dedent(f"""\
            settings:
              state_dir: state
              web: {{listen: 127.0.0.1:{port}}}
            """)
        + "feeds:\n" + feeds + "topics:\n" + topics
    )  # fmt: skip
    return path


async def measure(base: str, path: str, concurrency: int, requests: int) -> list[float]:
    times: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for _ in range(5):  # warm the server and its caches
            (await client.get(path)).raise_for_status()
        left = requests

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                start = time.perf_counter()
                r = await client.get(path)
                times.append(time.perf_counter() - start)
                r.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return times


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--stories", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=400, help="per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        fill(Path(tmp) / "state", args.articles, args.stories)
        print(f"filled {args.articles:,} articles, {args.stories:,} stories "
              f"in {time.perf_counter() - started:.1f}s")  # fmt: skip
        port = free_port()
        path = config(Path(tmp), port)
        server = subprocess.Popen([str(CLI), "--config", str(path), "web"],
                                  stdout=subprocess.DEVNULL)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(base + "/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            print(
                f"{'path':<22} {'conc':>4} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>7} {'p50/floor':>9}"
            )
            for conc in (1, 16):
                floor = None
                for target in ("/healthz", "/", "/api/v1/stories", "/metrics"):
                    t0 = time.perf_counter()
                    times = asyncio.run(measure(base, target, conc, args.requests))
                    rate = len(times) / (time.perf_counter() - t0)
                    p50 = pct(times, 50)
                    floor = floor or p50
                    print(f"{target:<22} {conc:>4} {p50:>8.1f} {pct(times, 99):>8.1f} "
                          f"{rate:>7.0f} {p50 / floor:>8.1f}x")  # fmt: skip
        finally:
            server.terminate()
            server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
