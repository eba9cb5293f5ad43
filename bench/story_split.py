"""What re-examining a story costs (`StoryEngine._reexamine`, docs/stories.md).

A story of N members, built from the dev texts of ../shared/data/stories in a real SQLite store,
is re-examined through the engine's own method (members read, featurized again, document
frequencies read, the cut and its scores; the split threshold set out of reach so the story
stays as it is and every run does the same work), first by a new engine (every member
featurized again), then by the same engine again (members found in its featurize memo, as a
story's recent members are in the daemon). Prints, per size it is checked at, the
milliseconds of one re-examination and the cost it adds per article to a story that grows to
that size (the sum of the measured re-examinations up to it, divided by the size); beside it, the time of one level-3 assignment
measured in the same run (the story's last member clustered again), as the baseline.

    .venv/bin/python bench/story_split.py [--max 200]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from monitor.models import Article  # noqa: E402
from monitor.store import articles as store_articles  # noqa: E402
from monitor.store.db import Store  # noqa: E402
from monitor.store.story_tables import (  # noqa: E402
    stories,
    story_articles,
    story_counters,
    term_stats,  # noqa: E402
)
from monitor.stories import StoryEngine, StorySettings  # noqa: E402
from monitor.stories.model import featurize  # noqa: E402
from monitor.stories.split import check_sizes  # noqa: E402
from stories import BASE, DATA, load  # noqa: E402


def build(store: Store, rows: list[dict[str, str]], size: int, settings: StorySettings) -> int:
    """One story of *size* stored articles (the first *size* dev texts); returns its id."""
    df: Counter[int] = Counter()
    with store.begin() as conn:
        sid = conn.execute(
            sa.insert(stories).values(
                title="", first_seen=BASE, last_seen=BASE, size=size, centroid=b""
            )
        ).inserted_primary_key[0]
        for i, r in enumerate(rows[:size]):
            url = f"https://bench.example/{size}/{i}"
            seen = BASE + timedelta(minutes=i)
            art = Article(url, url, r["title"], r["text"], "bench", published=seen)
            stored = store_articles.store(conn, art, seen)
            conn.execute(
                sa.insert(story_articles).values(
                    article_id=stored.article_id, story_id=sid, seen=seen
                )
            )
            doc = featurize(r["title"], r["text"], settings.title_weight)
            df.update(set(doc.words) | set(doc.ents))
        conn.execute(sa.delete(term_stats))
        conn.execute(sa.delete(story_counters))
        conn.execute(sa.insert(term_stats), [{"term": k, "df": v} for k, v in df.items()])
        conn.execute(sa.insert(story_counters).values(name="articles", value=size))
    return int(sid)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max", type=int, default=200, help="largest story (split_max_size)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per size (best is printed)")
    args = ap.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return 0
    rows = load("gva.dev.jsonl")
    settings = dataclasses.replace(StorySettings(), split_threshold=-1e9)
    engine = StoryEngine(settings)
    checks = sorted(check_sizes())
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp))
        cost: dict[int, tuple[float, float]] = {}
        for size in [c for c in checks if c <= args.max]:
            sid = build(store, rows, size, settings)
            best = [float("inf"), float("inf")]  # a new engine (nothing memoised), then again
            for _ in range(args.repeat):
                engine = StoryEngine(settings)
                for k in (0, 1):
                    with store.begin() as conn:
                        t = time.perf_counter()
                        moved, _ = engine._reexamine(conn, sid)
                        best[k] = min(best[k], time.perf_counter() - t)
                    assert not moved
            cost[size] = (best[0], best[1])
        # the baseline: one level-3 assignment in the same store (a dev text not yet stored)
        base = float("inf")
        for i in range(20):
            r = rows[-1 - i]
            url = f"https://bench.example/base/{i}"
            art = Article(url, url, r["title"], r["text"], "bench", published=BASE)
            with store.begin() as conn:
                stored = store_articles.store(conn, art, BASE)
                t = time.perf_counter()
                engine._cluster(conn, stored.article_id, art, BASE)
                base = min(base, time.perf_counter() - t)
        store.engine.dispose()
    print(f"one level-3 assignment (baseline, best of 20): {base * 1000:.2f} ms")
    total = [0.0, 0.0]
    for size, spent in cost.items():
        line = f"size {size:4d}:"
        for k, label in ((0, "members featurized again"), (1, "members memoised")):
            total[k] += spent[k]  # a story grown to *size* was re-examined at each check to it
            per = total[k] / size
            line += (
                f" | {label}: {spent[k] * 1000:7.2f} ms, per article of the story "
                f"{per * 1000:5.2f} ms ({per / base:.2f}× an assignment)"
            )
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
