"""`news-monitor import` end to end through the installed CLI: articles/s, now and before issue 19.

The dev story files (../shared/data/stories: GVA in date order, then ECB+, 2,184 articles) are
replayed to --lines articles (default 100,000) as one JSON-lines file. Replay r > 0 of an article
has its own URL, every third word changed (so it is no copy of the first: about a third of
its 3-word shingles survive, well under the copy threshold, and it may join the first one's
story, as a rewrite would), and its date moved r × 800 days on (past `max_age`, so each replay
is an era of its own, as in a long archive). Topics: the two of bench/poll.py.

Rows, in the same run, each into an empty state directory:
  (now)      this checkout's `news-monitor import FILE` (the venv's console script), all --lines;
  (now, M)   the same on the first --baseline-lines lines (M);
  (baseline) the same command on the same M lines, run from the source of --baseline-rev
             (default ffee8de, the commit before issue 19's work), extracted with `git archive`
             into a temporary directory and put first on PYTHONPATH, with the same interpreter and
             dependencies: only the project's own code differs.
Prints wall-clock articles/s and the child's CPU articles/s (what a loaded machine skews
least), and the ratio now / baseline at M lines.

    .venv/bin/python bench/import.py [--lines 100000] [--baseline-lines 10000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "stories"
SCRIPT = Path(sys.executable).with_name("news-monitor")
_WORD = re.compile(r"[^\W\d_]{3,}")

CONFIG = """\
settings:
  state_dir: {state}
topics:
  - name: Markets
    query: 'market* OR economy'
  - name: Elections
    query: '"election" -sport'
feeds: []
"""


def dev_rows() -> list[dict[str, str]]:
    def load(name: str) -> list[dict[str, str]]:
        with open(DATA / name, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh]

    return sorted(load("gva.dev.jsonl"), key=lambda r: r["date"]) + load("ecbplus.dev.jsonl")


def _reword(text: str, r: int) -> str:
    """Every third word of 3+ letters gets replay r's mark (letters only: still a word)."""
    mark = "".join("abcdefghij"[int(d)] for d in str(r))
    count = 0

    def sub(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return m.group(0) + "q" + mark if count % 3 == 0 else m.group(0)

    return _WORD.sub(sub, text)


def write_archive(path: Path, lines: int) -> None:
    rows = dev_rows()
    with path.open("w", encoding="utf-8") as fh:
        for n in range(lines):
            r, row = divmod(n, len(rows))
            base = rows[row]
            out = {"url": f"https://replay{r}.example/{row}", "source": f"dev{r % 50}"}
            out["title"] = base["title"] if r == 0 else _reword(base["title"], r)
            out["text"] = base["text"] if r == 0 else _reword(base["text"], r)
            if base.get("date"):
                when = datetime.fromisoformat(base["date"][:10]) + timedelta(days=800 * r)
                out["published"] = when.strftime("%Y-%m-%dT12:00:00Z")
            fh.write(json.dumps(out) + "\n")


def run_import(file: Path, pythonpath: Path | None) -> tuple[float, float, str]:
    """One `news-monitor import FILE` into a fresh state: (wall s, child CPU s, its summary)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "feeds.yaml"
        config.write_text(CONFIG.format(state=Path(tmp) / "state"), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        cmd = [str(SCRIPT), "--config", str(config), "import", str(file)]
        if pythonpath is not None:  # the old source: same interpreter, its own package
            env["PYTHONPATH"] = str(pythonpath)
            cmd = [sys.executable, "-m", "monitor", *cmd[1:]]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        done = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"import failed ({done.returncode}): {done.stderr[-2000:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu, done.stdout.strip()


def baseline_source(rev: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "src"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def show(name: str, lines: int, wall: float, cpu: float, summary: str) -> float:
    print(
        f"{name:<12} {lines:>7} articles  {wall:8.1f} s  {lines / wall:7.1f} art/s  "
        f"CPU {lines / cpu:7.1f} art/s   ({summary})",
        flush=True,
    )
    return lines / cpu


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=100_000, help="articles imported by (now)")
    ap.add_argument("--baseline-lines", type=int, default=10_000, help="M: both codes, M lines")
    ap.add_argument("--baseline-rev", default="ffee8de", help="the code measured as the baseline")
    ap.add_argument("--quick", action="store_true", help="--lines 10000 --baseline-lines 3000")
    args = ap.parse_args()
    if args.quick:
        args.lines, args.baseline_lines = 10_000, 3_000
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return 0
    m = min(args.baseline_lines, args.lines)
    with tempfile.TemporaryDirectory() as tmp:
        full, part = Path(tmp) / "all.jsonl", Path(tmp) / "part.jsonl"
        write_archive(full, args.lines)
        write_archive(part, m)
        old = baseline_source(args.baseline_rev, Path(tmp))
        print(f"baseline: {args.baseline_rev}; dev files replayed to {args.lines} articles")
        now_m = show("now", m, *run_import(part, None))
        base_m = show("baseline", m, *run_import(part, old))
        if args.lines > m:
            show("now", args.lines, *run_import(full, None))
    print(f"ratio now / baseline at {m} articles (CPU art/s): {now_m / base_m:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
