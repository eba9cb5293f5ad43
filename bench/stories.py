"""Story clustering quality: BCubed and pairwise P/R/F1 on ../shared/data/stories, and speed.

Articles go one at a time through the daemon's code path (store → StoryEngine.process, one
transaction each) over a real SQLite store, in date order (GVA) or a fixed shuffle (ECB+, mean of
3 seeds). Baseline in the same run: TF-IDF centroid cosine with incremental IDF, tuned threshold.

    .venv/bin/python bench/stories.py [--quick]
    .venv/bin/python bench/stories.py --speed-only --held 100000 --repeat 2 --speed-baseline 75c1e48
        # level 3's speed, and the same bench run on the source of another revision (`git
        # archive` of its src/ first on PYTHONPATH, same interpreter), interleaved: the ratio
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
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
from monitor.stories.model import ArticleVectors, Centroid, featurize

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "stories"
BASE = datetime(2020, 1, 1, tzinfo=UTC)


def published(row: dict[str, str], dated: bool) -> datetime | None:
    """A dev row's published time (noon of its date) when the file is fed dated, else None."""
    if not dated:
        return None
    return datetime.fromisoformat(row["date"][:10]).replace(tzinfo=UTC) + timedelta(hours=12)


def load(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def streams() -> list[tuple[str, list[dict[str, str]], bool]]:
    ecb = load("ecbplus.dev.jsonl")
    out = []
    for seed in (1, 2, 3):
        rows = ecb[:]
        random.Random(seed).shuffle(rows)
        out.append((f"ecbplus.dev seed {seed}", rows, False))
    gva = sorted(load("gva.dev.jsonl"), key=lambda r: r["date"])
    out.append(("gva.dev", gva, True))
    return out


def scores(gold: list[str], pred: list[int]) -> dict[str, float]:
    joint = Counter(zip(gold, pred, strict=True))
    g, p, n = Counter(gold), Counter(pred), len(gold)
    bp = sum(joint[(a, b)] / p[b] for a, b in zip(gold, pred, strict=True)) / n
    br = sum(joint[(a, b)] / g[a] for a, b in zip(gold, pred, strict=True)) / n
    tp = sum(c * (c - 1) / 2 for c in joint.values())
    pp = sum(c * (c - 1) / 2 for c in p.values()) or 1
    gp = sum(c * (c - 1) / 2 for c in g.values()) or 1
    f = lambda a, b: 2 * a * b / (a + b) if a + b else 0.0  # noqa: E731
    return {
        "P": bp,
        "R": br,
        "F1": f(bp, br),
        "pP": tp / pp,
        "pR": tp / gp,
        "pF1": f(tp / pp, tp / gp),
    }


def run_engine(rows: list[dict[str, str]], dated: bool, settings: StorySettings) -> list[int]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp))
        engine = StoryEngine(settings)
        ids = []
        for i, r in enumerate(rows):
            seen = published(r, dated)
            url = f"https://bench.example/{i}"
            art = Article(
                url=url,
                canonical_url=url,
                title=r["title"],
                text=r["text"],
                source="bench",
                published=seen,
            )
            with store.begin() as conn:
                stored = store_articles.store(conn, art, BASE + timedelta(seconds=i))
                engine.process(conn, stored.article_id, art)
                ids.append(stored.article_id)
        with store.begin() as conn:  # where each article ended up (a story may have been split)
            final = {
                r[0]: r[1] for r in conn.execute(sa.select(articles.c.id, articles.c.story_id))
            }
        store.engine.dispose()
        return [final[i] for i in ids]


def run_baseline(rows: list[dict[str, str]], dated: bool, threshold: float) -> list[int]:
    """Plain TF-IDF centroid cosine, incremental IDF, scan of the stories of the last 7 days."""
    df: Counter[int] = Counter()
    cents: list[tuple[dict[int, float], datetime | None]] = []
    pred = []
    for n, r in enumerate(rows):
        words = featurize(r["title"], r["text"], 1.0).words
        vec = {
            t: (1 + math.log(x)) * (math.log((n + 1) / (df[t] + 1)) + 1) for t, x in words.items()
        }
        when = datetime.fromisoformat(r["date"][:10]) if dated else None
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        best, bs = -1, 0.0
        for sid, (c, last) in enumerate(cents):
            if when and last and (when - last).days > 7:
                continue
            cn = math.sqrt(sum(v * v for v in c.values())) or 1.0
            s = sum(v * c.get(t, 0.0) for t, v in vec.items()) / (norm * cn)
            if s > bs:
                best, bs = sid, s
        if best < 0 or bs < threshold:
            best = len(cents)
            cents.append(({}, when))
        c, last = cents[best]
        for t, v in vec.items():
            c[t] = c.get(t, 0.0) + v / norm
        cents[best] = (c, max(last, when) if last and when else when)
        pred.append(best)
        for t in words:
            df[t] += 1
    return pred


def preload(store: Store, rows: list[dict[str, str]], held: int, settings: StorySettings) -> None:
    """Fill a store as if *held* articles had been clustered: stories of 3 members, built from
    the dev texts' vectors (so retrieval meets realistic posting lists), with scaled DFs."""
    df: Counter[int] = Counter()
    docs = [featurize(r["title"], r["text"], settings.title_weight) for r in rows]
    for d in docs:
        df.update(set(d.words) | set(d.ents))
    scale = held / len(docs)
    scaled = {k: max(1, round(v * scale)) for k, v in df.items()}
    vecs = [ArticleVectors.build(d, scaled, held, settings.rare_df) for d in docs]
    rng = random.Random(7)
    with store.begin() as conn:
        conn.execute(sa.insert(term_stats), [{"term": k, "df": v} for k, v in scaled.items()])
        conn.execute(sa.insert(story_counters).values(name="articles", value=held))
        members, posts = [], []
        for sid in range(1, held // 3 + 1):
            vec = vecs[rng.randrange(len(vecs))]
            last = BASE - timedelta(days=rng.uniform(0, 60))
            cent = Centroid.empty().add(vec).add(vec).add(vec)
            conn.execute(
                sa.insert(stories).values(
                    id=sid, title="", first_seen=last, last_seen=last, size=3, centroid=cent.pack()
                )
            )
            blob = vec.member_blob()
            members += [
                {"article_id": -(3 * sid + j), "story_id": sid, "seen": last, "vector": blob}
                for j in range(3)
            ]
            posts += [
                {"term": k, "story_id": sid, "last_seen": last}
                for k in dict.fromkeys(vec.top_terms(settings.candidate_terms))
            ]
        conn.execute(sa.insert(story_articles), members)
        conn.execute(sa.insert(story_postings), posts)


def throughput(held: int, settings: StorySettings) -> dict[str, float]:
    """Articles/s with *held* articles already in the store: level 3 alone, and all of process()
    (levels 2 and 3) with the per-article transaction commit; wall clock and this process's CPU
    time (the store is in-process SQLite, so CPU time is what a loaded machine does not skew)."""
    rows = load("gva.dev.jsonl") + load("ecbplus.dev.jsonl")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp))
        t = time.perf_counter()
        preload(store, rows, held, settings)
        loaded = time.perf_counter() - t
        engine = StoryEngine(settings)
        spent = [0.0, 0.0]  # wall, CPU (this process) inside level 3
        cluster = engine._cluster

        def timed(*args: Any) -> Any:
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return cluster(*args)
            finally:
                spent[0] += time.perf_counter() - t0
                spent[1] += time.process_time() - c0

        engine._cluster = timed  # type: ignore[method-assign]
        t, c = time.perf_counter(), time.process_time()
        for i, r in enumerate(rows):
            url = f"https://bench.example/{i}"
            art = Article(url, url, r["title"], r["text"], "bench")
            with store.begin() as conn:
                stored = store_articles.store(conn, art, BASE + timedelta(seconds=i))
                engine.process(conn, stored.article_id, art)
        total, cpu = time.perf_counter() - t, time.process_time() - c
        store.engine.dispose()
    n = len(rows)
    return {
        "preload_s": loaded,
        "level3/s": n / spent[0],
        "level3_cpu/s": n / spent[1],
        "process/s": n / total,
        "process_cpu/s": n / cpu,
    }


def baseline_speed(src: Path, held: int) -> dict[str, float]:
    """One speed run of this bench on the source tree *src* (another revision's src/)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, __file__, "--speed-only", "--json", "--held", str(held)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def compare_speed(held: int, settings: StorySettings, repeat: int, rev: str) -> int:
    """Speed of this code and of *rev*'s, runs interleaved (this, rev, this, rev, …)."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", rev, "src"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        now, base = [], []
        for i in range(repeat):
            now.append(throughput(held, settings))
            base.append(baseline_speed(Path(tmp) / "src", held))
            load = os.getloadavg()[0]
            print(
                f"run {i + 1}: level3/s this {now[-1]['level3/s']:.1f} "
                f"{rev} {base[-1]['level3/s']:.1f} (load {load:.2f})",
                flush=True,
            )
    for name, runs in (("this", now), (rev, base)):
        best = max(runs, key=lambda r: r["level3/s"])
        print(f"== speed, {held} held, {name} (best of {repeat}): ", end="")
        print(" ".join(f"{k} {v:.1f}" for k, v in best.items()))
    ratio = max(r["level3/s"] for r in now) / max(r["level3/s"] for r in base)
    cpu = max(r["level3_cpu/s"] for r in now) / max(r["level3_cpu/s"] for r in base)
    print(f"== level 3 ratio this / {rev}: {ratio:.3f} (by CPU time {cpu:.3f})")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the baseline")
    ap.add_argument("--threshold", type=float, default=None)
    ap.add_argument("--held", type=int, default=100_000, help="articles held for the speed run")
    ap.add_argument("--speed-only", action="store_true")
    ap.add_argument("--only", default="ecbplus,gva", help="files to run (name prefixes)")
    ap.add_argument("--repeat", type=int, default=1, help="speed runs (best is printed)")
    ap.add_argument(
        "--no-split", action="store_true", help="without re-examining stories (story_split)"
    )
    ap.add_argument(
        "--speed-baseline",
        metavar="REV",
        help="speed runs interleaved with the same on REV's source (git archive); prints the ratio",
    )
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one speed run, JSON
    args = ap.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return 0
    settings = StorySettings(
        threshold=StorySettings().threshold if args.threshold is None else args.threshold,
        split_max_size=0 if args.no_split else StorySettings().split_max_size,
    )
    print(f"threshold {settings.threshold}")
    totals: dict[str, list[dict[str, float]]] = defaultdict(list)
    chosen = [x for x in streams() if x[0].startswith(tuple(args.only.split(",")))]
    for name, rows, dated in [] if args.speed_only else chosen:
        gold = [r["cluster"] for r in rows]
        t = time.perf_counter()
        res = scores(gold, run_engine(rows, dated, settings))
        res["s"] = time.perf_counter() - t
        res["art/s"] = len(rows) / res["s"]
        if not args.quick:
            res["base_F1"] = scores(gold, run_baseline(rows, dated, 0.3))["F1"]
        key = name.split(" ")[0]
        totals[key].append(res)
        print(name, " ".join(f"{k} {v:.3f}" for k, v in res.items()), flush=True)
    for key, runs in totals.items():
        mean = {k: sum(r[k] for r in runs) / len(runs) for k in runs[0]}
        line = " ".join(f"{k} {v:.3f}" for k, v in mean.items())
        ratio = f" F1/baseline {mean['F1'] / mean['base_F1']:.3f}" if "base_F1" in mean else ""
        print(f"== {key} (mean of {len(runs)}): {line}{ratio}")
    if args.json:
        print(json.dumps(throughput(args.held, settings)))
        return 0
    if args.held and args.speed_baseline:
        return compare_speed(args.held, settings, args.repeat, args.speed_baseline)
    if args.held:
        best = max(
            (throughput(args.held, settings) for _ in range(args.repeat)),
            key=lambda r: r["level3/s"],
        )
        print(f"== speed, {args.held} articles held (best of {args.repeat}): ", end="")
        print(" ".join(f"{k} {v:.1f}" for k, v in best.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
