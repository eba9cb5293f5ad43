"""`bench/scale.py --profile DIR`: what a cycle costs, where. For the warm cycle, each worker is
sampled by py-spy (`pip install py-spy`; its folded stacks in DIR, and the top functions by own
and total samples in DIR/*-top.txt), and PostgreSQL's statements are counted by
pg_stat_statements (loaded in the bench's own server): calls a poll and time, in
DIR/*-statements.txt. Profiling costs CPU: the figures of a profiled run are not speed figures."""

from __future__ import annotations

import collections
import contextlib
import shutil
import signal
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import sqlalchemy as sa

SETTINGS = ("shared_preload_libraries = 'pg_stat_statements'", "pg_stat_statements.max = 2000")
STATEMENTS = """
SELECT calls, round(total_exec_time::numeric, 1) AS ms, rows,
       regexp_replace(query, '\\s+', ' ', 'g') AS query
FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY total_exec_time DESC LIMIT 40
"""


def py_spy() -> str | None:
    return shutil.which("py-spy") or (
        str(Path(__file__).parent.parent / ".venv/bin/py-spy")
        if (Path(__file__).parent.parent / ".venv/bin/py-spy").exists()
        else None
    )


@contextlib.contextmanager
def profiled(
    out: Path | None, label: str, pids: Sequence[int], engine: sa.Engine, polls: int
) -> Iterator[None]:
    """Sample *pids* and count statements while the body runs (nothing when *out* is None)."""
    if out is None:
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
        conn.execute(sa.text("SELECT pg_stat_statements_reset()"))
    spy = py_spy()
    samplers = []
    for n, pid in enumerate(pids):
        if spy is None:
            break
        argv = [spy, "record", "-p", str(pid), "-f", "raw", "-r", "50", "--nonblocking"]
        argv += ["-o", str(out / f"{label}-w{n}.folded")]
        samplers.append(
            subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
    try:
        yield
    finally:
        for sampler in samplers:
            sampler.send_signal(signal.SIGINT)
        for sampler in samplers:
            try:
                sampler.wait(30)
            except subprocess.TimeoutExpired:
                sampler.kill()
                sampler.wait()
        write_statements(out / f"{label}-statements.txt", engine, polls)
        write_top(out / f"{label}-top.txt", sorted(out.glob(f"{label}-w*.folded")))


def write_statements(path: Path, engine: sa.Engine, polls: int) -> None:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(STATEMENTS)).all()
    lines = [f"{polls} polls; calls, calls a poll, ms, ms a poll, rows, query"]
    for calls, ms, nrows, query in rows:
        lines.append(
            f"{calls:8} {calls / polls:7.2f} {float(ms):10.1f} {float(ms) / polls:7.3f}"
            f" {nrows:8} {query[:220]}"
        )
    path.write_text("\n".join(lines) + "\n")


def write_top(path: Path, folded: Sequence[Path], limit: int = 45) -> None:
    """Own and total samples by function, over every worker's folded stacks."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for file in folded:
        for raw in file.read_text(errors="replace").splitlines():
            stack, _, count = raw.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            samples += n
            frames = stack.split(";")
            own[frames[-1]] += n
            for frame in set(frames):
                total[frame] += n
    lines = [f"{samples} samples over {len(folded)} workers", "", "own:"]
    lines += [f"{n:7} {n / max(samples, 1):6.1%} {f}" for f, n in own.most_common(limit)]
    lines += ["", "total:"]
    lines += [f"{n:7} {n / max(samples, 1):6.1%} {f}" for f, n in total.most_common(limit)]
    path.write_text("\n".join(lines) + "\n")
