"""Poll benchmark: 2,000 farm feeds, a cold and a warm (all-304) cycle, news-monitor vs baselines.

    .venv/bin/python bench/poll.py [--feeds 2000] [--feedparser-sample N] [--latency 0.1]

Rows: (a) news-monitor's poll path, (b) a sequential feedparser.parse(url) loop (rss2email),
(c) raw httpx GETs at the same limits, (d) the fetch stage alone (monitor.fetch.client.Fetcher);
cold only, (a0) the poll path without the per-article stages (fetch, parse, store).
Targets (issue 2): warm (a) ≥ 70 % of (c) feeds/s; cold (a) ≥ 20× (b) feeds/s.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
from collections import Counter
from pathlib import Path

from feedfarm import FeedFarm
from fetch_baselines import Measurement, Validators, measure_feedparser, measure_httpx, timed
from monitor.errors import FetchError
from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings

SETTINGS = FetchSettings()


def write_config(urls: list[str], state_dir: Path) -> Path:
    """A feeds.yaml with one source per farm URL, state in `state_dir`, default limits."""
    lines = [
        "settings:",
        f"  state_dir: {state_dir}",
        "  poll_interval: 1h",
        "  concurrency: 100",
        "topics:",
        "  - name: Markets",
        "    query: 'market* OR economy'",
        "  - name: Elections",
        "    query: '\"election\" -sport'",
        "feeds:",
    ]
    lines += [f"  - {{url: '{u}', name: feed{i}}}" for i, u in enumerate(urls)]
    path = state_dir / "feeds.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def measure_news_monitor(
    urls: list[str], state_dir: Path, stages: bool = True
) -> tuple[float, float] | None:
    """(a) every URL through news-monitor's poll path (fetch, parse, store, stages) → (s, cpu s).

    Called twice with the same `state_dir`: first on empty state (the cold cycle, everything
    new), then again (the warm cycle: stored validators, every feed answers 304). The extract
    pool is not used: the farm's feeds carry their full content (`full_text: auto`).
    *stages* False leaves out the per-article stages (dedup, stories, topics): what fetching,
    parsing and storing cost on their own.
    """
    from monitor.app import App
    from monitor.config import load_config

    app = App.open(load_config(write_config(urls, state_dir), {}))
    if not stages:
        app.stages = []
    try:
        outcomes, m = timed("(a)", len(urls), lambda: asyncio.run(app.poll(force=True)))
    finally:
        app.close()
    failed = [o for o in outcomes if not o.ok]
    print(
        f"    (a) polled {len(outcomes)}: {sum(o.new_articles for o in outcomes)} new articles, "
        f"{sum(o.not_modified for o in outcomes)} not modified, {len(failed)} failed"
        + (f" (first: {failed[0].error})" if failed else "")
    )
    return m.seconds, m.cpu


def idle_daemon_rss(state_dir: Path, settle: float = 8.0) -> float:
    """RSS (MB) of `news-monitor run` on the same 2,000 sources, idle (none due), with children."""
    import subprocess
    import time

    import psutil

    config = state_dir / "feeds.yaml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), "run"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(settle)
        ps = psutil.Process(proc.pid)
        return sum(p.memory_info().rss for p in [ps, *ps.children(recursive=True)]) / 2**20
    finally:
        proc.terminate()
        proc.wait(30)


def measure_fetcher(urls: list[str], validators: Validators | None = None) -> Measurement:
    """(d) monitor.fetch.client.Fetcher alone (no parsing), default settings, bodies kept."""
    validators = validators or {}

    async def run() -> tuple[Counter[int], Validators]:
        statuses: Counter[int] = Counter()
        seen: Validators = {}
        async with Fetcher(SETTINGS) as fetcher:

            async def one(url: str) -> None:
                etag, modified = validators.get(url, (None, None))
                try:
                    result = await fetcher.fetch(url, etag=etag, last_modified=modified)
                except FetchError:
                    statuses[-1] += 1
                    return
                statuses[result.status] += 1
                seen[url] = (result.etag, result.last_modified)

            await asyncio.gather(*(one(u) for u in urls))
        return statuses, seen

    (statuses, seen), m = timed(
        "(d) news-monitor fetch stage", len(urls), lambda: asyncio.run(run())
    )
    m.statuses, m.validators = statuses, seen
    return m


def _ratio(label: str, top: Measurement | None, bottom: Measurement, target: str = "") -> None:
    if top is None:
        print(f"  {label}: n/a (not measured)")
        return
    ratio = top.feeds_per_second / bottom.feeds_per_second
    cpu = bottom.cpu_per_feed / top.cpu_per_feed if top.cpu_per_feed else float("inf")
    print(f"  {label}: {ratio:.2f}× feeds/s, {cpu:.2f}× less CPU per feed {target}".rstrip())


def _news_monitor(urls: list[str], state: Path, label: str) -> Measurement | None:
    measured = measure_news_monitor(urls, state)
    if measured is None:
        return None
    seconds, cpu = measured
    return Measurement(f"(a) news-monitor poll path, {label}", len(urls), seconds, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument(
        "--feedparser-sample", type=int, default=0, help="run (b) on the first N feeds only"
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds the farm holds back each answer, like a real site (default 0: loopback)",
    )
    args = parser.parse_args()
    print(f"starting a farm of {args.feeds} feeds on 50 loopback hosts …", file=sys.stderr)
    with (
        FeedFarm(feeds=args.feeds, latency=args.latency) as farm,
        tempfile.TemporaryDirectory() as tmp,
    ):
        urls = farm.urls
        sample = urls[: args.feedparser_sample] if args.feedparser_sample else urls
        print(
            f"farm on port {farm.port}; limits: {SETTINGS.per_host_limit}/host, "
            f"{SETTINGS.global_limit} overall\n"
        )
        rows: dict[str, Measurement | None] = {}
        for cycle in ("cold", "warm"):
            print(f"{cycle} cycle")
            for key, measure, feeds in (
                ("c", measure_httpx, urls),
                ("d", measure_fetcher, urls),
                ("b", measure_feedparser, sample),
            ):
                cold = rows.get(f"{key}-cold")
                known = cold.validators if cycle == "warm" and cold is not None else None
                rows[f"{key}-{cycle}"] = m = measure(feeds, known)
                print("  " + m.line())
            rows[f"a-{cycle}"] = a = _news_monitor(urls, Path(tmp), cycle)
            print("  " + (a.line() if a else "(a) news-monitor poll path: not measured yet"))
            if cycle == "cold":
                with tempfile.TemporaryDirectory() as bare:
                    measured = measure_news_monitor(urls, Path(bare), stages=False)
                if measured is not None:
                    rows["a0-cold"] = a0 = Measurement(
                        "(a0) the same without the per-article stages", len(urls), *measured
                    )
                    print("  " + a0.line())
        c_warm, b_cold = rows["c-warm"], rows["b-cold"]
        assert c_warm is not None and b_cold is not None
        print("\nratios")
        _ratio("warm (a) vs (c)", rows["a-warm"], c_warm, "(target ≥ 0.70×)")
        _ratio("cold (a) vs (b)", rows["a-cold"], b_cold, "(target ≥ 20×)")
        _ratio("cold (a0) without the stages vs (b)", rows.get("a0-cold"), b_cold)
        _ratio("warm (d) fetch stage vs (c)", rows["d-warm"], c_warm)
        c_cold = rows["c-cold"]
        assert c_cold is not None
        _ratio("cold (d) fetch stage vs (c)", rows["d-cold"], c_cold)
        _ratio("cold (c) raw httpx vs (b)", c_cold, b_cold)
        print(f"\nfarm: {farm.stats()}")
        if rows["a-warm"] is not None:
            rss = idle_daemon_rss(Path(tmp))
            print(f"daemon idle with {len(urls)} sources: {rss:.0f} MB RSS (target ≤ 200 MB)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bench process peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
