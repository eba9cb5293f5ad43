"""Crash trials: kill -9 `news-monitor run` at random moments, then count what was lost or doubled.

    .venv/bin/python bench/crash.py [--trials 100] [--seed S] [--feeds 16] [--bump 10] [--keep]

Each trial starts the installed `news-monitor run -v` on a feed farm whose feeds gain an item
every `--bump` seconds, with a realtime digest to a local SMTP sink and a local Slack webhook sink,
picks one phase (poll, extract, store, send) uniformly, waits for the daemon's line that starts
it, waits a random part of that phase's usual length and kills the daemon's process group with
SIGKILL (bench/crashfarm.py). After the last trial the feeds stop moving, `poll --all` reads
every feed once and the daemon runs until every delivery is done. Printed: the trials per
phase (aimed at, and in progress at the kill), then articles lost, stored twice, content
delivered twice under different messages, same-message redeliveries (allowed), and matched
articles never delivered (bench/crashreport.py). Exit 1 when anything was lost or doubled.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from crashfarm import CrashRig
from crashreport import PHASES, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: by time)")
    parser.add_argument("--feeds", type=int, default=16)
    parser.add_argument("--bump", type=float, default=10.0, help="seconds between new items")
    parser.add_argument("--keep", action="store_true", help="keep the state and daemon.log")
    parser.add_argument("--json", action="store_true", help="print the report as JSON too")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    directory = Path(tempfile.mkdtemp(prefix="crash-"))
    print(
        f"crash trials: {args.trials}, seed {seed}, {args.feeds} feeds, in {directory}", flush=True
    )
    started = time.monotonic()
    with CrashRig(directory, feeds=args.feeds, bump=args.bump) as rig:
        for n in range(1, args.trials + 1):
            t = rig.trial(rng)
            inside = ",".join(sorted(t.inside)) or "-"
            print(f"trial {n:3d}: aimed at {t.phase:7s} {'reached' if t.reached else 'TIMEOUT'}"
                  f"  in progress: {inside:24s} killed after {t.seconds:5.1f}s", flush=True)  # fmt: skip
        report = rig.settle()
    elapsed = time.monotonic() - started
    aimed = Counter(t.phase for t in rig.trials)
    reached = Counter(t.phase for t in rig.trials if t.reached)
    inside = Counter(p for t in rig.trials for p in t.inside)
    landed = Counter(t.phase for t in rig.trials if t.phase in t.inside)
    print(f"\n{len(rig.trials)} trials in {elapsed:.0f}s (seed {seed})")
    print("phase     aimed  reached  killed inside it  (any phase in progress at the kill)")
    for phase in PHASES:
        print(f"{phase:8s} {aimed[phase]:6d} {reached[phase]:8d} {landed[phase]:17d}"
              f"  ({inside[phase]})")  # fmt: skip
    print(f"articles linked in feeds sent to the daemon {report['linked']}, stored "
          f"{report['stored']}, lost {report['lost']}, stored twice {report['stored_twice']}, "
          f"matched {report['matched']}; integrity {report['integrity']}")  # fmt: skip
    for channel in ("mail", "slack"):
        c = report[channel]
        print(f"{channel:5s}: {c['messages']} messages of {c['digests']} digests; double content "
              f"{c['double_content']}; same-message redeliveries {c['redeliveries']}; "
              f"undelivered {c['undelivered']}; unknown {c['unknown']}")  # fmt: skip
    print(f"final poll exit {report['final_poll']}, final run exit {report['final_run']}")
    if args.json:
        print(json.dumps(report, indent=2))
    found = problems(report)
    for problem in found:
        print(f"FAIL  {problem}")
    if not found:
        print("PASS  0 lost, 0 stored twice, 0 double content, 0 undelivered")
    if args.keep or found:
        print(f"state and daemon.log kept in {directory}")
    else:
        shutil.rmtree(directory)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
