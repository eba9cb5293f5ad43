"""Scrape cost: `news-monitor run`'s cold cycle over the feed farm with its web app
(settings.web.listen) scraped at /metrics every 5 s, against the same daemon with the web app
not scraped and without the web app, interleaved in one run (the order turns each round).

Each trial: an empty state, the daemon started on the farm's feeds (all due at once), the
trial over when every source has been polled. The cycle is read off the state: from the
first poll's start (last_success − last_poll_seconds) to the last poll's end; throughput is
feeds per second of it. The daemon's CPU seconds (with its children, psutil) for the trial
are given beside it, which the machine's other users do not inflate.

    .venv/bin/python bench/scrape.py [--feeds 1000] [--rounds 3] [--every 5]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import psutil

from feedfarm import FeedFarm
from poll import write_config

VARIANTS = ("no web", "web", "web+scrape")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Scraper:
    """GET /metrics every *every* seconds until stopped; counts the scrapes and their time."""

    def __init__(self, base: str, every: float) -> None:
        self.base, self.every = base, every
        self.stop = threading.Event()
        self.times: list[float] = []
        self.failed = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self.stop.wait(self.every):
                start = time.perf_counter()
                try:
                    client.get("/metrics").raise_for_status()
                    self.times.append(time.perf_counter() - start)
                except httpx.HTTPError:
                    self.failed += 1

    def close(self) -> None:
        self.stop.set()
        self.thread.join(30)


def _polled(db: Path) -> tuple[int, float | None]:
    """(sources polled, cycle seconds: first poll's start to last poll's end)."""
    if not db.exists():
        return 0, None
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute(
            "SELECT last_success, last_poll_seconds FROM sources WHERE last_success IS NOT NULL"
        ).fetchall()
    except sqlite3.OperationalError:
        return 0, None
    finally:
        conn.close()
    if not rows:
        return 0, None
    ends = [datetime.fromisoformat(r[0]) for r in rows]
    starts = [e - timedelta(seconds=r[1] or 0) for e, r in zip(ends, rows, strict=True)]
    return len(rows), (max(ends) - min(starts)).total_seconds()


def scrape_cpu(config: Path, db: Path, scrapes: int = 30) -> float:
    """CPU ms of one /metrics scrape that finds the state changed (nothing kept), measured in
    `news-monitor web` over a trial's state, a commit before each scrape."""
    port = free_port()
    command = [sys.executable, "-m", "monitor", "--config", str(config), "web",
               "--listen", f"127.0.0.1:{port}"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    writer = sqlite3.connect(db, isolation_level=None, timeout=30)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(300):
                try:
                    client.get("/metrics").raise_for_status()
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            ps = psutil.Process(proc.pid)
            before = sum(ps.cpu_times()[:2])
            for _ in range(scrapes):
                writer.execute("UPDATE sources SET items_seen = items_seen + 1 WHERE id = 1")
                time.sleep(0.15)  # past the app's recheck of the data version
                client.get("/metrics").raise_for_status()
            return (sum(ps.cpu_times()[:2]) - before) * 1000 / scrapes
    finally:
        writer.close()
        proc.terminate()
        proc.wait(30)


def trial(farm: FeedFarm, tmp: Path, variant: str, every: float) -> dict[str, float]:
    state = Path(tempfile.mkdtemp(dir=tmp))
    config = write_config(farm.urls, state)
    base = None
    if variant != "no web":
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        text = config.read_text().replace(
            "settings:\n", f"settings:\n  web: {{listen: '127.0.0.1:{port}'}}\n", 1
        )
        config.write_text(text)
    command = [sys.executable, "-m", "monitor", "--config", str(config), "run"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ps = psutil.Process(proc.pid)
    cpu = 0.0
    scraper = None
    try:
        if base is not None and variant == "web+scrape":
            scraper = Scraper(base, every)
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            time.sleep(0.5)
            try:
                cpu = sum(
                    t.user + t.system
                    for t in (p.cpu_times() for p in [ps, *ps.children(recursive=True)])
                )
            except psutil.Error:
                pass
            done, _ = _polled(state / "monitor.db")
            if done >= len(farm.urls) or proc.poll() is not None:
                break
        if scraper is not None:
            scraper.close()
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    done, seconds = _polled(state / "monitor.db")
    if done < len(farm.urls) or not seconds:
        raise RuntimeError(f"{variant}: polled {done} of {len(farm.urls)} sources")
    scrapes = scraper.times if scraper else []
    per_scrape = scrape_cpu(config, state / "monitor.db") if variant == "web+scrape" else 0.0
    return {
        "scrape_cpu_ms": per_scrape,
        "feeds_s": done / seconds,
        "seconds": seconds,
        "cpu": cpu,
        "scrapes": len(scrapes),
        "scrape_ms": statistics.median(scrapes) * 1000 if scrapes else 0.0,
        "failed": scraper.failed if scraper else 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between scrapes")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
    print(f"{'round':>5} {'variant':<11} {'feeds/s':>8} {'cycle s':>8} {'cpu s':>7} "
          f"{'scrapes':>7} {'scrape ms':>9} {'load':>5}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, FeedFarm(feeds=args.feeds) as farm:
        for r in range(args.rounds):
            order = VARIANTS[r % 3 :] + VARIANTS[: r % 3]
            for variant in order:
                found = trial(farm, Path(tmp), variant, args.every)
                results[variant].append(found)
                print(f"{r + 1:>5} {variant:<11} {found['feeds_s']:>8.1f} "
                      f"{found['seconds']:>8.2f} {found['cpu']:>7.2f} {found['scrapes']:>7.0f} "
                      f"{found['scrape_ms']:>9.1f} {os.getloadavg()[0]:>5.2f}", flush=True)  # fmt: skip
    print()
    median = {v: statistics.median(x["feeds_s"] for x in results[v]) for v in VARIANTS}
    cpu = {v: statistics.median(x["cpu"] for x in results[v]) for v in VARIANTS}
    for v in VARIANTS:
        print(f"median {v:<11} {median[v]:>8.1f} feeds/s, daemon cpu {cpu[v]:.2f} s")
    scraped, idle = median["web+scrape"], median["web"]
    print(f"throughput, scraped every {args.every:g}s vs web not scraped: "
          f"{scraped / idle:.3f} ({(1 - scraped / idle) * 100:+.1f} % cost; target < 2 %)")  # fmt: skip
    print(f"throughput, scraped vs no web app: {scraped / median['no web']:.3f}")
    print(f"daemon cpu, scraped vs not: {cpu['web+scrape'] / cpu['web']:.3f}")
    one = statistics.median(x["scrape_cpu_ms"] for x in results["web+scrape"])
    seconds = statistics.median(x["seconds"] for x in results["web+scrape"])
    share = one / 1000 / args.every / (cpu["web"] / statistics.median(
        x["seconds"] for x in results["web"]))  # fmt: skip
    print(
        f"one scrape with nothing kept: {one:.2f} ms CPU; every {args.every:g}s over a "
        f"{seconds:.0f}s cycle that is {share * 100:.3f} % of the daemon's CPU per second"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
