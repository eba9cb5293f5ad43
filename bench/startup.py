"""Benchmark: how long the installed `news-monitor` takes to answer, against `python -c pass`.

    .venv/bin/python bench/startup.py [--runs 10]

Runs `--help`, `check`, `status` and `feeds list` on the shipped config/feeds.yaml with a
scratch state (MONITOR_STATE_DIR), each --runs times, interleaved with the interpreter's own
start-up measured in the same run, and prints min and median wall seconds and the ratio of
medians. `status` creates the scratch database in an uncounted warm-up run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("news-monitor")
COMMANDS: dict[str, tuple[list[str], float]] = {  # label → (argv, target seconds)
    "python -c pass": ([sys.executable, "-c", "pass"], 0.0),
    "--help": ([str(SCRIPT), "--help"], 0.2),
    "check": ([str(SCRIPT), "check"], 0.2),
    "status": ([str(SCRIPT), "status"], 0.6),
    "feeds list": ([str(SCRIPT), "feeds", "list"], 0.6),
}


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        env = {
            **os.environ,
            "MONITOR_CONFIG": str(ROOT / "config" / "feeds.yaml"),
            "MONITOR_STATE_DIR": state,
        }
        for argv, _ in COMMANDS.values():
            timed(argv, env)  # warm-up: the page cache, the scratch database
        times: dict[str, list[float]] = {label: [] for label in COMMANDS}
        for _ in range(args.runs):
            for label, (argv, _) in COMMANDS.items():
                times[label].append(timed(argv, env))
    base = statistics.median(times["python -c pass"])
    print(f"{args.runs} runs each, interleaved; wall seconds")
    print(f"{'command':<16} {'min':>7} {'median':>7} {'× pass':>7} {'target':>7}")
    for label, (_, target) in COMMANDS.items():
        median = statistics.median(times[label])
        goal = f"{target:.1f}" if target else "-"
        print(f"{label:<16} {min(times[label]):7.3f} {median:7.3f} {median / base:7.1f} {goal:>7}")


if __name__ == "__main__":
    main()
