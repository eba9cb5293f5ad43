"""Story assignments and stored story state, recorded from one revision and checked against another.

A speed change to level 3 must not change any assignment: this replays the dev streams of
bench/stories.py (3 ECB+ shuffles, GVA in date order) into fresh SQLite stores, and the speed
run's 2,184 texts into a store preloaded with *--held* articles, and records every story id
assigned and a digest of each story table (rows in key order, blobs byte for byte).

    .venv/bin/python bench/story_equality.py --record /tmp/before.json   # on the old revision
    .venv/bin/python bench/story_equality.py --check /tmp/before.json    # on the new one
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from monitor.models import Article
from monitor.store import articles as store_articles
from monitor.store.db import Store
from monitor.store.schema import articles
from monitor.store.story_tables import (
    stories,
    story_articles,
    story_counters,
    story_postings,
    term_stats,
)
from monitor.stories import StoryEngine, StorySettings
from stories import BASE, DATA, load, preload, published, streams

TABLES = (stories, story_articles, story_counters, story_postings, term_stats)


def digest(conn: sa.Connection) -> dict[str, str]:
    """sha256 of each story table (and the articles' marks), rows in primary-key order."""
    out = {}
    for table in TABLES:
        keys = list(table.primary_key.columns)
        h = hashlib.sha256()
        for row in conn.execute(sa.select(table).order_by(*keys)):
            h.update(repr(tuple(row)).encode())
        out[table.name] = h.hexdigest()
    h = hashlib.sha256()
    marks = sa.select(articles.c.id, articles.c.story_id, articles.c.duplicate_of)
    for row in conn.execute(marks.order_by(articles.c.id)):
        h.update(repr(tuple(row)).encode())
    out["articles.marks"] = h.hexdigest()
    return out


def replay(rows: list[dict[str, str]], dated: bool, held: int) -> dict[str, Any]:
    settings = StorySettings()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp))
        if held:
            preload(store, rows, held, settings)
        engine = StoryEngine(settings)
        pred = []
        for i, r in enumerate(rows):
            url = f"https://bench.example/{i}"
            art = Article(url, url, r["title"], r["text"], "bench", published=published(r, dated))
            with store.begin() as conn:
                stored = store_articles.store(conn, art, BASE + timedelta(seconds=i))
                got = engine.process(conn, stored.article_id, art)
                pred.append([got.story_id, got.duplicate_of, got.new_story])
        with store.begin() as conn:
            state = digest(conn)
        store.engine.dispose()
    return {"assignments": pred, "state": state}


def run(held: int) -> dict[str, Any]:
    out = {}
    for name, rows, dated in streams():
        out[name] = replay(rows, dated, 0)
        print(f"{name}: {len(rows)} articles", flush=True)
    speed = load("gva.dev.jsonl") + load("ecbplus.dev.jsonl")
    out[f"held {held}"] = replay(speed, False, held)
    print(f"held {held}: {len(speed)} articles", flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--record", type=Path, help="write this revision's results here")
    mode.add_argument("--check", type=Path, help="compare this revision with a recorded file")
    ap.add_argument("--held", type=int, default=3000, help="articles preloaded for the held run")
    args = ap.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return 0
    if args.record:
        args.record.write_text(json.dumps(run(args.held)))
        print(f"recorded {args.record}")
        return 0
    want = json.loads(args.check.read_text())
    held = int(next(k for k in want if k.startswith("held ")).split()[1])
    got = run(held)
    bad = 0
    for name, ref in want.items():
        mine = got[name]
        diff = [
            i
            for i, (a, b) in enumerate(zip(ref["assignments"], mine["assignments"], strict=False))
            if a != b
        ]
        if len(ref["assignments"]) != len(mine["assignments"]):
            diff.append(-1)
        tables = [t for t in ref["state"] if ref["state"][t] != mine["state"].get(t)]
        bad += bool(diff or tables)
        status = "identical" if not diff and not tables else "DIFFERENT"
        print(f"{name}: assignments {len(diff)} differ, tables differ {tables}: {status}")
    print("EQUAL" if not bad else f"NOT EQUAL ({bad} runs differ)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
