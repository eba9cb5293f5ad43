"""Per-article cost of dedup levels 1–2 and of level 3 with N articles stored, on SQLite.

For each size the store is filled *directly* (bulk executemany in one transaction, indexes built
after, journal off): articles with realistic texts and stored times spread over a year, their
sources, MinHash fingerprints and LSH bands, and story state (stories of three articles with
centroids, member vectors, postings and term statistics from a pool of featurized texts). The
filler bypasses the pipeline because 1 M real `process` calls would take hours; what is measured
is then real: levels 1–2 (canonical URL, identity insert through `store_articles.store`, MinHash,
LSH lookup and insert, `StoryEngine.copy_of`) and level 3 (`StoryEngine.process`) on new articles,
each in its own transaction. Baselines in the same run: the copy lookup by scanning every stored
fingerprint, and story candidates by scanning every reachable story's centroid. Then `prune`
(30 / 180 days) and VACUUM, with the database size before and after. CPUs may be shared, so
latencies are the best of --repeat runs of the probes (p50/p95 per run).

    .venv/bin/python bench/dedup.py --sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psutil
import sqlalchemy as sa

from monitor.models import Article
from monitor.store import articles as store_articles
from monitor.store.db import Store
from monitor.stories import StoryEngine, prune
from monitor.stories.copies import jaccard
from monitor.stories.model import ArticleVectors, Centroid, featurize
from monitor.urls import canonical_url

NOW = datetime(2026, 1, 1, tzinfo=UTC)
VOCAB = [f"w{i}" for i in range(30000)]
NAMES = [f"Name{i}" for i in range(5000)]
POOL = 1500  # featurized texts the story state is made of
FMT = "%Y-%m-%d %H:%M:%S.%f"


def text(rng: random.Random) -> str:
    words = rng.choices(VOCAB, k=rng.randint(250, 700))
    for i in rng.sample(range(len(words)), 15):
        words[i] = rng.choice(NAMES)
    return " ".join(words)


def stored_at(i: int, n: int) -> str:
    return (NOW - timedelta(days=365) * (1 - i / n)).replace(tzinfo=None).strftime(FMT)


def fill(path: Path, n: int) -> None:
    """Articles 1..n with fingerprints, bands and story state, bulk-inserted (see module doc).
    Runs in a child process, so its arrays do not count in the measured process's memory."""
    pool = [text(random.Random(10**6 + k)) for k in range(POOL)]
    s, rng = StoryEngine().settings, np.random.default_rng(n)
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000"):
        db.execute(f"PRAGMA {pragma}")
    idx_sql = [
        r[0]
        for r in db.execute(
            "SELECT sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND "
            "tbl_name IN ('minhash_bands', 'story_postings', 'story_articles')"
        )
    ]
    for name in db.execute(
        "SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND "
        "tbl_name IN ('minhash_bands', 'story_postings', 'story_articles')"
    ).fetchall():
        db.execute(f"DROP INDEX {name[0]}")
    db.execute("BEGIN")
    docs = [featurize("", t, s.title_weight) for t in pool]
    vecs = [ArticleVectors.build(d, {}, 1, s.rare_df) for d in docs]
    keys = [v.top_terms(s.candidate_terms) for v in vecs]
    blobs = [v.member_blob() for v in vecs]
    cents = [Centroid.empty().add(vecs[k]).add(vecs[(k + 1) % POOL]).pack() for k in range(POOL)]
    df: dict[int, int] = {}
    for d in docs:
        for t in set(d.words) | set(d.ents):
            df[t] = df.get(t, 0) + max(1, n // POOL)
    db.executemany("INSERT INTO term_stats VALUES (?, ?)", df.items())
    db.execute("INSERT INTO story_counters VALUES ('articles', ?)", (n,))
    step = 50000
    for lo in range(1, n + 1, step):
        ids = range(lo, min(n, lo + step - 1) + 1)
        times = {i: stored_at(i, n) for i in ids}
        db.executemany(
            "INSERT INTO articles (id, url, canonical_url, title, text, published, stored_at, "
            "source, story_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (i, f"https://news.example/{i:09d}", f"https://news.example/{i:09d}")
                + ("A headline", pool[i % POOL], times[i], times[i], f"src{i % 300}")
                + ((i - 1) // 3 + 1,)
                for i in ids
            ),
        )
        db.executemany(
            "INSERT INTO article_sources VALUES (?, ?, ?, ?)",
            ((i, f"src{i % 300}", f"guid-{i}", times[i]) for i in ids),
        )
        sigs = rng.integers(0, 2**32, size=(len(ids), s.dedup.num_perm), dtype=np.uint32)
        db.executemany(
            "INSERT INTO fingerprints VALUES (?, ?, ?)",
            ((i, sig.astype("<u4").tobytes(), times[i]) for i, sig in zip(ids, sigs, strict=True)),
        )
        db.executemany(
            "INSERT INTO story_articles VALUES (?, ?, ?, NULL, ?)",
            ((i, (i - 1) // 3 + 1, times[i], blobs[((i - 1) // 3) % POOL]) for i in ids),
        )
        first = [i for i in ids if (i - 1) % 3 == 0]
        db.executemany(
            "INSERT INTO stories (id, title, title_article_id, title_centrality, first_seen, "
            "last_seen, size, centroid) VALUES (?, 'A headline', ?, 1.0, ?, ?, 3, ?)",
            (
                ((i - 1) // 3 + 1, i, times[i], times[i], cents[((i - 1) // 3) % POOL])
                for i in first
            ),
        )
    # bands and postings in primary-key order, so their B-trees are appended to, not shuffled
    hashes = rng.integers(0, 2**32, size=(n, s.dedup.bands), dtype=np.int64)
    keys_ = (hashes | (np.arange(s.dedup.bands, dtype=np.int64) << 32)).ravel()  # band << 32 | h
    aid = np.repeat(np.arange(1, n + 1, dtype=np.int64), s.dedup.bands)
    order = np.lexsort((aid, keys_))
    for lo in range(0, len(order), 2_000_000):
        o = order[lo : lo + 2_000_000]
        db.executemany(
            "INSERT INTO minhash_bands VALUES (?, ?)",
            zip(keys_[o].tolist(), aid[o].tolist(), strict=True),
        )
    del hashes, keys_, aid, order
    story_ids = np.arange(1, (n + 2) // 3 + 1, dtype=np.int64)
    posts = sorted(
        (term, int(sid)) for sid in story_ids for term in set(keys[(int(sid) - 1) % POOL])
    )
    db.executemany(
        "INSERT INTO story_postings VALUES (?, ?, ?)",
        ((t, sid, stored_at(min(3 * sid, n), n)) for t, sid in posts),
    )
    for sql in idx_sql:
        db.execute(sql)
    db.execute("COMMIT")
    db.close()


def db_size(tmp: Path) -> float:
    return sum(p.stat().st_size for p in tmp.glob("monitor.db*")) / 2**20


def probe(
    store: Store, engine: StoryEngine, n: int, k: int, level3: bool, seed: int
) -> tuple[float, float]:
    """One new article through levels 1–2 (or level 3); wall and CPU milliseconds."""
    rng = random.Random(seed)
    body = text(rng)
    url = f"https://Example.com/l{int(level3)}/{seed}?utm_source=x#y"
    when = NOW + timedelta(seconds=seed)
    t, cpu = time.perf_counter(), time.process_time()
    with store.begin() as conn:
        art = Article(url, canonical_url(url), "New headline", body, "probe", published=when)
        stored = store_articles.store(conn, art, when)
        if level3:
            t, cpu = (
                time.perf_counter(),
                time.process_time(),
            )  # level 3 alone: process() (its own copy lookup included)
            engine.process(conn, stored.article_id, art)
        else:
            sig = engine.copies.fingerprint(body)
            assert sig is not None
            engine.copy_of(conn, stored.article_id, sig, when)
    return (time.perf_counter() - t) * 1000, (time.process_time() - cpu) * 1000


def best(
    store: Store, engine: StoryEngine, n: int, args: argparse.Namespace, l3: bool
) -> list[tuple[float, float]]:
    runs = []
    for r in range(args.repeat):
        base = (r + 1) * 100000 + int(l3) * 50000
        runs.append([probe(store, engine, n, k, l3, base + k) for k in range(args.probes)])
    return min(runs, key=lambda lat: float(np.percentile([w for w, _ in lat], 50)))


def scan_baselines(store: Store, engine: StoryEngine) -> tuple[float, float]:
    """Copy lookup scanning all fingerprints; story candidates scanning all reachable stories."""
    sig = engine.copies.fingerprint(text(random.Random(5)))
    assert sig is not None
    from monitor.store.story_tables import fingerprints, stories

    with store.begin() as conn:
        t = time.perf_counter()
        for _, blob in conn.execute(sa.select(fingerprints.c.article_id, fingerprints.c.signature)):
            jaccard(sig, np.frombuffer(blob, dtype="<u4"))
        copy_ms = (time.perf_counter() - t) * 1000
        doc = featurize("", text(random.Random(6)), engine.settings.title_weight)
        vec = ArticleVectors.build(doc, {}, 1, engine.settings.rare_df)
        t = time.perf_counter()
        cutoff = NOW - engine.settings.max_age
        for _, blob in conn.execute(
            sa.select(stories.c.id, stories.c.centroid).where(stories.c.last_seen >= cutoff)
        ):
            Centroid.unpack(blob).cosine(vec.words_k, vec.words_v)
        story_ms = (time.perf_counter() - t) * 1000
    return copy_ms, story_ms


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000, 1000000])
    ap.add_argument("--probes", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--prune-max", type=int, default=10**9, help="largest size to prune")
    args = ap.parse_args()
    engine = StoryEngine()
    first: dict[str, float] = {}
    p50s: dict[int, float] = {}
    q50s: dict[int, float] = {}
    proc = psutil.Process()
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            Store.open(Path(tmp)).engine.dispose()  # migrated, empty
            t = time.perf_counter()
            child = multiprocessing.get_context("spawn").Process(
                target=fill, args=(Path(tmp) / "monitor.db", n)
            )
            child.start()
            child.join()
            assert child.exitcode == 0
            fill_s = time.perf_counter() - t
            store = Store.open(Path(tmp))
            l12_runs = best(store, engine, n, args, False)
            l3_runs = best(store, engine, n, args, True)
            l12, l3 = [w for w, _ in l12_runs], [w for w, _ in l3_runs]
            cpu12 = float(np.percentile([c for _, c in l12_runs], 50))
            rss = proc.memory_info().rss / 2**20
            copy_scan, story_scan = scan_baselines(store, engine)
            maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            p50, p95 = np.percentile(l12, [50, 95])
            q50, q95 = np.percentile(l3, [50, 95])
            first.setdefault("l12", float(p50))
            p50s[n], q50s[n] = float(p50), float(q50)
            first.setdefault("l3", float(q50))
            print(
                f"n={n:>9,}: levels 1-2 p50 {p50:.2f} ms p95 {p95:.2f} ms (CPU p50 {cpu12:.2f} ms) "
                f"(x{p50 / first['l12']:.2f} vs {args.sizes[0]:,}); scan-all copy lookup "
                f"{copy_scan:.0f} ms (x{copy_scan / p50:.0f} the indexed p50)\n"
                f"             level 3 process p50 {q50:.2f} ms p95 {q95:.2f} ms = "
                f"{1000 / float(np.mean(l3)):.0f} articles/s (x{q50 / first['l3']:.2f}); scan-all "
                f"story candidates {story_scan:.0f} ms (x{story_scan / q50:.0f} the indexed p50)\n"
                f"             rss {rss:.0f} MB (max {maxrss:.0f} MB); fill {fill_s:.0f}s",
                flush=True,
            )
            if n > args.prune_max:
                print(f"             prune skipped (n > --prune-max {args.prune_max:,})")
                store.engine.dispose()
                continue
            with store.begin() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            before = db_size(Path(tmp))
            t, cpu = time.perf_counter(), time.process_time()
            report = prune(store.engine, NOW, timedelta(days=30), timedelta(days=180))
            prune_s, prune_cpu = time.perf_counter() - t, time.process_time() - cpu
            with store.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                pruned = db_size(Path(tmp))
                t = time.perf_counter()
                conn.exec_driver_sql("VACUUM")
                # VACUUM writes the new file through the WAL: count it once checkpointed
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            vacuum_s = time.perf_counter() - t
            after = db_size(Path(tmp))
            store.engine.dispose()
            print(
                f"             db {before:.0f} MB -> {pruned:.0f} MB after prune -> {after:.0f} MB "
                f"after VACUUM ({report.texts:,} texts, {report.fingerprints:,} fingerprints, "
                f"{report.stories:,} stories pruned; prune {prune_s:.0f}s wall {prune_cpu:.0f}s "
                f"CPU, VACUUM {vacuum_s:.0f}s)",
                flush=True,
            )
    if len(p50s) > 1:
        lo, hi = min(p50s), max(p50s)
        print(
            f"growth levels 1-2 p50 {hi:,} / {lo:,}: x{p50s[hi] / p50s[lo]:.2f}; "
            f"level 3 x{q50s[hi] / q50s[lo]:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
