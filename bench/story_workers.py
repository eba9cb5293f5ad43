"""Story assignment by three workers against one process on the same stream (docs/scale.md,
guarantee 3), and the time each took.

The stream: the first --limit articles of ../shared/data/stories/gva.dev.jsonl in date order
(dated, with their full text in the feed: no page is fetched), spread over --feeds RSS feeds
on a loopback server. Each run is a fresh PostgreSQL database (on MONITOR_TEST_PG_URL's
server) polled by `news-monitor worker` processes until every article is stored:

- `1 worker` (the reference: one process), `1 worker again` (how much one process differs from
  itself: which feed is polled first is not fixed), and `N workers`;
- each clustering is scored with BCubed (precision, recall, F1) against the reference and
  against the data's gold clusters.

    .venv/bin/python bench/story_workers.py [--limit 480] [--feeds 12] [--workers 3]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import sqlalchemy as sa

from monitor.store import Store

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "stories" / "gva.dev.jsonl"
SCRIPT = Path(sys.executable).with_name("news-monitor")
PG_URL = os.environ.get("MONITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def bcubed(gold: list[str], pred: list[str]) -> tuple[float, float, float]:
    joint = Counter(zip(gold, pred, strict=True))
    g, p, n = Counter(gold), Counter(pred), len(gold)
    bp = sum(joint[(a, b)] / p[b] for a, b in zip(gold, pred, strict=True)) / n
    br = sum(joint[(a, b)] / g[a] for a, b in zip(gold, pred, strict=True)) / n
    return bp, br, (2 * bp * br / (bp + br) if bp + br else 0.0)


def feed_of_row(i: int, count: int, chunk: int) -> int:
    """Row *i*'s feed: rows go to the feeds in turn, *chunk* at a time."""
    return (i // chunk) % count


def feeds_of(
    rows: list[dict[str, Any]], count: int, base: str, chunk: int, released: int
) -> dict[str, bytes]:
    """The feeds' bodies with the first *released* rows."""
    bodies = {}
    for k in range(count):
        items = []
        for i in range(released):
            if feed_of_row(i, count, chunk) != k:
                continue
            r = rows[i]
            when = datetime.fromisoformat(r["date"][:10]).replace(tzinfo=UTC) + timedelta(hours=12)
            items.append(
                f"<item><title>{escape(r['title'])}</title><link>{base}/a/{i}</link>"
                f"<guid>a{i}</guid><pubDate>{format_datetime(when)}</pubDate>"
                f"<description>{escape(r['text'])}</description></item>"
            )
        bodies[f"/f{k}.rss"] = (
            "<rss version='2.0'><channel><title>f</title>" + "".join(items) + "</channel></rss>"
        ).encode()
    return bodies


class Farm:
    """The feeds, serving the rows released so far."""

    def __init__(self, rows: list[dict[str, Any]], count: int, chunk: int) -> None:
        self.rows, self.count, self.chunk = rows, count, chunk
        self.base = ""
        self.bodies: dict[str, bytes] = {}

    def release(self, upto: int) -> None:
        self.bodies = feeds_of(self.rows, self.count, self.base, self.chunk, upto)


@contextmanager
def serve(farm: Farm) -> Iterator[Farm]:

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = farm.bodies.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    farm.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield farm
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def database() -> Iterator[str]:
    name = f"nm_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def one_run(farm: Farm, workers: int, serial: bool, tmp: Path) -> tuple[dict[str, str], float]:
    """url → story id after *workers* workers stored every article; and the seconds it took.
    *serial*: one chunk of the stream at a time, the next once it is stored (the order of the
    commits is then the stream's, whatever the number of workers); else all at once."""
    base, count, total = farm.base, farm.count, len(farm.rows)
    released = farm.chunk if serial else total
    farm.release(released)
    with database() as db:
        config = tmp / f"feeds-{uuid.uuid4().hex[:6]}.yaml"
        feeds = "".join(
            f"  - {{url: '{base}/f{k}.rss', name: f{k}, full_text: never}}\n" for k in range(count)
        )
        config.write_text(
            "settings:\n"
            f"  state_dir: {tmp / 'state'}\n"
            f"  database_url: '{db}'\n"
            "  tick: 1s\n  poll_interval: 1s\n  min_interval: 1s\n  extract_workers: 1\n"
            "  log_level: WARNING\n"
            "  workers: {heartbeat: 1s, stalled_after: 5s}\n"
            "feeds:\n" + feeds
        )
        Store(db).close()  # the schema first (one migrating process): the clock times the polls
        engine = sa.create_engine(db)
        started = time.monotonic()
        procs = [
            subprocess.Popen(
                [str(SCRIPT), "--config", str(config), "worker"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            for _ in range(workers)
        ]
        try:
            while True:
                time.sleep(0.25)
                try:
                    with engine.connect() as conn:
                        stored = conn.execute(sa.text("SELECT count(*) FROM articles")).scalar_one()
                except sa.exc.ProgrammingError:
                    continue
                if stored >= total:
                    break
                if stored >= released:
                    released = min(released + farm.chunk, total)
                    farm.release(released)
                if time.monotonic() - started > 900:
                    raise SystemExit(f"timed out: {stored} of {total} stored")
            took = time.monotonic() - started
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.text("SELECT url, story_id, duplicate_of FROM articles")
                ).all()
                story = {r.url: str(r.story_id) for r in rows}  # a copy: its original's story
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                p.wait(timeout=60)
            engine.dispose()
    return story, took


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=480)
    ap.add_argument("--feeds", type=int, default=12)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument(
        "--serial",
        type=int,
        metavar="CHUNK",
        default=0,
        help="release the stream CHUNK articles at a time, each once the last is stored",
    )
    args = ap.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return 0
    with open(DATA, encoding="utf-8") as fh:
        rows = sorted((json.loads(line) for line in fh), key=lambda r: r["date"])[: args.limit]
    print(f"load: {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} CPUs", flush=True)
    chunk = args.serial or max(1, -(-len(rows) // args.feeds))
    with serve(Farm(rows, args.feeds, chunk)) as farm, tempfile.TemporaryDirectory() as tmp:
        urls = [f"{farm.base}/a/{i}" for i in range(len(rows))]
        gold = [str(r["cluster"]) for r in rows]
        runs = [("1 worker", 1), ("1 worker again", 1), (f"{args.workers} workers", args.workers)]
        results = {}
        for name, n in runs:
            story, took = one_run(farm, n, bool(args.serial), Path(tmp))
            results[name] = ([story[u] for u in urls], took)
            print(f"{name}: {len(rows)} articles stored in {took:.1f} s", flush=True)
    ref = results["1 worker"][0]
    how = f"released {args.serial} at a time" if args.serial else "all at once"
    print(f"\n{len(rows)} articles of gva.dev in date order, {args.feeds} feeds, {how}")
    print("run              | vs 1 worker: B³ P / R / F1 | vs gold: B³ P / R / F1 | stories | s")
    for name, (labels, took) in results.items():
        p, r, f = bcubed(ref, labels)
        gp, gr, gf = bcubed(gold, labels)
        print(
            f"{name:16} | {p:.3f} / {r:.3f} / {f:.3f}      | {gp:.3f} / {gr:.3f} / {gf:.3f}   "
            f"| {len(set(labels)):7} | {took:.1f}"
        )
    same = sum(a == b for a, b in zip(ref, results[f"{args.workers} workers"][0], strict=True))
    print(f"story ids equal, {args.workers} workers vs 1 worker: {same} of {len(ref)}")
    one, many = results["1 worker"][1], results[f"{args.workers} workers"][1]
    print(f"time ratio {args.workers} workers / 1 worker: {many / one:.2f}")
    print(f"load: {os.getloadavg()[0]:.1f} (1 min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
