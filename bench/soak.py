"""Memory soak: the installed `news-monitor run` on a feed farm whose feeds gain items every poll.

    .venv/bin/python bench/soak.py [--minutes 30] [--feeds 200] [--interval 60s] [--items 10] [--step 2]

Every feed of the farm (bench/feedfarm.py, summaries only, so every new item's page is fetched
and extracted by the pool's children) gains `--step` items each `--interval`, and the daemon
polls each feed every `--interval`. Every `--sample` seconds the RSS (VmRSS) of the daemon's main
process and of every process below it (the forkserver, the extraction workers, the resource
tracker) is read from /proc. Printed: one row a minute (main MB, largest child MB, articles
stored), then the verdicts of issue 17: main growth between minute 10 and the last minute
≤ 10 %, main ≤ 200 MB, no child > 250 MB. `--minutes` shorter than 30 compares minute
minutes/3 with the last. `--tracemalloc N` runs the daemon under `python -X tracemalloc=N`
with a thread that snapshots its heap after the warm-up (minute minutes/3) and every few
minutes after it, and writes the allocation sites that grew most since that first snapshot to
tracemalloc.txt in the state directory (`--keep` keeps it): the owner of any growth.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from feedfarm import FeedFarm
from monitor.config.values import parse_duration

SCRIPT = Path(sys.executable).with_name("news-monitor")
TARGET_GROWTH = 0.10
TARGET_MAIN_MB = 200.0
TARGET_CHILD_MB = 250.0
# the daemon's main under tracemalloc: `news-monitor ARGS` with a thread comparing snapshots
TRACED = """
import os, sys, threading, time, tracemalloc
def watch():
    time.sleep(float(os.environ["SOAK_TM_WARMUP"]))
    base = tracemalloc.take_snapshot()
    keep = [tracemalloc.Filter(False, tracemalloc.__file__)]
    base = base.filter_traces(keep)
    while True:
        time.sleep(float(os.environ["SOAK_TM_EVERY"]))
        snap = tracemalloc.take_snapshot().filter_traces(keep)
        with open(os.environ["SOAK_TM_OUT"], "a") as out:
            out.write(f"=== {time.strftime('%H:%M:%S')} traced {tracemalloc.get_traced_memory()}\\n")
            for stat in snap.compare_to(base, "lineno")[:25]:
                out.write(f"{stat}\\n")
            for stat in snap.compare_to(base, "traceback")[:3]:
                out.write(f"--- {stat.size_diff / 1e6:+.2f} MB {stat.count_diff:+d} blocks\\n")
                out.write("\\n".join(stat.traceback.format()) + "\\n")
threading.Thread(target=watch, daemon=True).start()
sys.argv = ["news-monitor", *sys.argv[1:]]
from monitor.cli import main
sys.exit(main())
"""


def rss_mb(pid: int) -> float | None:
    """VmRSS of a process in MB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def descendants(pid: int) -> list[int]:
    """Every process below *pid* (children of each of its threads, recursively)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = list(Path(f"/proc/{parent}/task").iterdir())
        except (FileNotFoundError, PermissionError):
            continue
        for task in tasks:
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except (FileNotFoundError, PermissionError, ProcessLookupError):
                continue
            found += kids
            todo += kids
    return found


@dataclass
class Sample:
    seconds: float
    main: float
    children: dict[int, float] = field(default_factory=dict)

    @property
    def max_child(self) -> float:
        return max(self.children.values(), default=0.0)


def sample(pid: int, started: float) -> Sample | None:
    main = rss_mb(pid)
    if main is None:
        return None
    kids = {k: mb for k in descendants(pid) if (mb := rss_mb(k)) is not None}
    return Sample(time.monotonic() - started, main, kids)


def write_config(directory: Path, urls: list[str], interval: float) -> Path:
    seconds = f"{int(interval)}s"
    lines = [
        "settings:",
        f"  state_dir: {directory / 'state'}",
        f"  poll_interval: {seconds}",
        f"  min_interval: {seconds}",
        "  concurrency: 20",
        "  tick: 2s",
        "  shutdown_grace: 10s",
        "  fetch: {connect_timeout: 5s, read_timeout: 10s, total_timeout: 20s}",
        "topics:",
        "  - name: Markets",
        "    query: 'market* OR inflation OR shares'",
        "  - name: Conflict",
        "    query: '(troops OR drone OR attack) -festival'",
        "feeds:",
    ]
    lines += [f"  - {{url: '{u}', name: feed{i}, full_text: always}}" for i, u in enumerate(urls)]
    path = directory / "feeds.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return -1


def minute_rows(samples: list[Sample]) -> list[tuple[int, float, float]]:
    """(minute, median main MB, max child MB) for each minute that has samples."""
    rows: dict[int, list[Sample]] = {}
    for s in samples:
        rows.setdefault(int(s.seconds // 60) + 1, []).append(s)
    return [
        (m, statistics.median(x.main for x in group), max(x.max_child for x in group))
        for m, group in sorted(rows.items())
    ]


def verdicts(samples: list[Sample], minutes: int) -> list[tuple[str, bool]]:
    rows = {m: main for m, main, _ in minute_rows(samples)}
    first = max(1, round(minutes / 3))
    last = max(rows) if rows else 0
    growth = (rows[last] / rows[first] - 1) if first in rows and last > first else float("nan")
    main_max = max((s.main for s in samples), default=0.0)
    child_max = max((s.max_child for s in samples), default=0.0)
    return [
        (
            f"main growth minute {first} → {last}: {growth:+.1%} (target ≤ +10 %)",
            growth <= TARGET_GROWTH,
        ),
        (
            f"main max {main_max:.0f} MB (target ≤ {TARGET_MAIN_MB:.0f} MB)",
            main_max <= TARGET_MAIN_MB,
        ),
        (
            f"largest child {child_max:.0f} MB (target ≤ {TARGET_CHILD_MB:.0f} MB)",
            child_max <= TARGET_CHILD_MB,
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--interval", default="60s", help="poll interval and farm bump period")
    parser.add_argument("--items", type=int, default=10, help="items in each feed")
    parser.add_argument("--step", type=int, default=2, help="new items per feed per interval")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--tracemalloc", type=int, default=0, help="frames: find what grows")
    parser.add_argument("--keep", action="store_true", help="keep the state directory")
    args = parser.parse_args()
    interval = parse_duration(args.interval)
    directory = Path(tempfile.mkdtemp(prefix="soak-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    print(f"soak: {args.feeds} feeds, every {interval:.0f}s, +{args.step} items/feed/poll, "
          f"{args.minutes:g} min, state {directory}", flush=True)  # fmt: skip
    samples: list[Sample] = []
    with FeedFarm(feeds=args.feeds, items=args.items, full_content=False, step=args.step) as farm:
        config = write_config(directory, farm.urls, interval)
        log = (directory / "daemon.log").open("w")
        command = [str(SCRIPT)]
        if args.tracemalloc:
            command = [sys.executable, "-X", f"tracemalloc={args.tracemalloc}", "-c", TRACED]
            env.update(
                SOAK_TM_WARMUP=str(args.minutes * 60 / 3),
                SOAK_TM_EVERY=str(max(60.0, args.minutes * 60 / 6)),
                SOAK_TM_OUT=str(directory / "tracemalloc.txt"),
            )
        daemon = subprocess.Popen(
            [*command, "run", "--config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        started = time.monotonic()
        next_bump = started + interval
        end = started + args.minutes * 60
        reported = 0
        try:
            while time.monotonic() < end and daemon.poll() is None:
                s = sample(daemon.pid, started)
                if s is not None:
                    samples.append(s)
                rows = minute_rows(samples)
                for minute, main_mb, child_mb in rows[:-1][reported:]:
                    print(f"minute {minute:3d}  main {main_mb:6.1f} MB  max child "
                          f"{child_mb:6.1f} MB  articles {stored(directory / 'state' / 'monitor.db')}",
                          flush=True)  # fmt: skip
                    reported += 1
                now = time.monotonic()
                if now >= next_bump:
                    farm.bump()
                    next_bump += interval
                time.sleep(max(0.0, min(args.sample, next_bump - now, end - now)))
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(30)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
            log.close()
        stats = farm.stats()
    if daemon.returncode not in (0, -signal.SIGTERM):
        print(f"the daemon exited with {daemon.returncode}; see {directory / 'daemon.log'}")
    for minute, main_mb, child_mb in minute_rows(samples)[reported:]:
        print(f"minute {minute:3d}  main {main_mb:6.1f} MB  max child {child_mb:6.1f} MB")
    count = stored(directory / "state" / "monitor.db")
    print(f"articles stored {count}; farm requests {stats['requests']} (pages and feeds)")
    ok = True
    for text, passed in verdicts(samples, round(args.minutes)):
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
        ok = ok and passed
    if not args.keep:
        for path in sorted(directory.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        directory.rmdir()
    else:
        print(f"state and daemon.log kept in {directory}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
