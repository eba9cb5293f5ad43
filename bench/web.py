"""Latency of the web app with 100 k articles and 20 k stories stored: p50/p99 of the stories
page (`/`) and of `/api/v1/stories` at concurrency 1 and 16, and of `/metrics`, against the
app's floor measured in the same run (`/healthz`: the same server, no store work), and against
a baseline checkout served side by side (`--baseline SRC`, e.g. main at the branch point:
`git archive COMMIT src | tar -x -C /tmp/base`).

The state is filled directly (bulk inserts into a store migrated by the code under test:
sources, stories, articles with text, topic matches on a tenth of them, two digests × channels that covered
every article, a month of their messages), then
`news-monitor web` serves it in a subprocess on loopback and an httpx loop drives it; with a
baseline, each measurement runs on both servers in turn (base, then this code), each server
on its own copy of the state.

Two kinds of request: "same" asks one URL again and again (what a dashboard or a reloading
user does: the app may keep its answer while the store does not change), "spread" asks a
different page each time (`/?page=N`, `/api/v1/stories?offset=25N`: nothing kept helps).
`--commit-every S` commits a change to the state every S seconds during the run (as a polling
daemon does), so kept answers are dropped that often. Each row gives the load average and the
server's own CPU per request (psutil), which the other users of the machine do not inflate.

    .venv/bin/python bench/web.py [--articles 100000] [--stories 20000] [--requests 400]
        [--baseline /tmp/base/src] [--commit-every 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
import psutil

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


def fill(state: Path, n_articles: int, n_stories: int, src: str | None = None) -> None:
    """The state in *state*, created and migrated by the code under test (or that of *src*)."""
    if src is None:
        Store.open(state).close()  # created and migrated as news-monitor does
    else:
        code = f"from pathlib import Path; from monitor.store.db import Store; Store.open(Path({str(state)!r})).close()"
        subprocess.run([sys.executable, "-c", code], check=True, env=_env(src))
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
    # two digests × channels that delivered a message a day and covered every other article
    pairs = [("daily", "analysts"), ("hourly", "team-slack")]
    outbox, seen = [], []
    for d, (digest, channel) in enumerate(pairs):
        db.execute("INSERT INTO delivery_state (digest, channel, watermark, last_run, "
                   "last_delivery) VALUES (?, ?, ?, ?, ?)", (digest, channel, at(1), at(1), at(1)))  # fmt: skip
        for day in range(30):
            outbox.append((digest, channel, f"<{digest}.{day}@bench>", "delivered", "Digest",
                           "[]", 25, "{}", at(24 * day), at(24 * day)))  # fmt: skip
        seen += [(digest, channel, i, i % 4 != 0, 1 + d * 30 + (i % 30), at(1))
                 for i in range(1 + d, n_articles + 1, 2)]  # fmt: skip
    db.executemany(
        "INSERT INTO delivery_outbox (digest, channel, message_id, status, subject, payload, "
        "stories, articles, created_at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        outbox,
    )
    db.executemany("INSERT INTO delivery_seen VALUES (?, ?, ?, ?, ?, ?)", seen)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def _env(src: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src
    return env


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


class Server:
    """`news-monitor web` over its own filled state, by this code or a baseline's (*src*)."""

    def __init__(self, tmp: Path, label: str, src: str | None, args: argparse.Namespace) -> None:
        self.label = label
        home = tmp / label
        home.mkdir()
        started = time.perf_counter()
        fill(home / "state", args.articles, args.stories, src)
        print(f"{label}: filled {args.articles:,} articles, {args.stories:,} stories "
              f"in {time.perf_counter() - started:.1f}s")  # fmt: skip
        self.db = home / "state" / "monitor.db"
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        path = config(home, port)
        command = [sys.executable, "-m", "monitor", "--config", str(path), "web"]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=_env(src))
        self.ps = psutil.Process(self.proc.pid)
        for _ in range(300):
            try:
                httpx.get(self.base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)

    def cpu(self) -> float:
        t = self.ps.cpu_times()
        return float(t.user + t.system)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


async def measure(base: str, paths: list[str], concurrency: int, requests: int) -> list[float]:
    times: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for path in paths[:5]:  # warm the server (and whatever it keeps)
            (await client.get(path)).raise_for_status()
        left = requests

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                path = paths[left % len(paths)]
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


class Committer:
    """A change committed to each server's state every *every* seconds, as a daemon's polls do."""

    def __init__(self, servers: list[Server], every: float) -> None:
        import threading

        self.servers, self.every = servers, every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.commits = 0
        if every > 0:
            self.thread.start()

    def run(self) -> None:
        dbs = [sqlite3.connect(s.db, isolation_level=None, timeout=30) for s in self.servers]
        for db in dbs:
            db.execute("PRAGMA journal_mode=WAL")
        while not self.stop.wait(self.every):
            for db in dbs:
                db.execute("UPDATE sources SET items_seen = items_seen + 1 WHERE id = 1")
            self.commits += 1
        for db in dbs:
            db.close()

    def close(self) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(10)


TARGETS = {  # (row label, paths): "same" asks one URL; "spread" a different page each time
    "/ same": ["/"],
    "/ spread": [f"/?page={n}" for n in range(1, 401)],
    "/api/v1/stories same": ["/api/v1/stories"],
    "/api/v1/stories spread": [f"/api/v1/stories?offset={25 * n}" for n in range(400)],
    "/metrics": ["/metrics"],
    "/healthz": ["/healthz"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--stories", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=400, help="per measurement")
    parser.add_argument("--baseline", metavar="SRC", help="a checkout's src/ to compare with")
    parser.add_argument("--commit-every", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        servers = []
        try:
            if args.baseline:
                servers.append(Server(Path(tmp), "base", args.baseline, args))
            servers.append(Server(Path(tmp), "now", None, args))
            committer = Committer(servers, args.commit_every)
            print(f"\n{'path':<24} {'conc':>4} {'code':>4} {'p50 ms':>8} {'p99 ms':>8} "
                  f"{'req/s':>6} {'cpu ms/req':>10} {'load':>5} {'p50 now/base':>12}")  # fmt: skip
            for conc in args.concurrency:
                for label, paths in TARGETS.items():
                    p50s = {}
                    for server in servers:
                        cpu, t0 = server.cpu(), time.perf_counter()
                        times = asyncio.run(measure(server.base, paths, conc, args.requests))
                        rate = len(times) / (time.perf_counter() - t0)
                        per = (server.cpu() - cpu) * 1000 / (len(times) + 5)
                        p50s[server.label] = p50 = pct(times, 50)
                        ratio = (f"{p50 / p50s['base']:.2f}x"
                                 if server.label == "now" and "base" in p50s else "")  # fmt: skip
                        print(f"{label:<24} {conc:>4} {server.label:>4} {p50:>8.1f} "
                              f"{pct(times, 99):>8.1f} {rate:>6.0f} {per:>10.2f} "
                              f"{os.getloadavg()[0]:>5.2f} {ratio:>12}", flush=True)  # fmt: skip
            committer.close()
            if args.commit_every:
                print(f"{committer.commits} commits, one every {args.commit_every}s")
        finally:
            for server in servers:
                server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
