"""Levels 1–2 cost: per-article latency (canonical URL + MinHash + LSH lookup + insert) and RSS
with N synthetic articles' fingerprints already stored (bulk-inserted), on SQLite.

    .venv/bin/python bench/dedup.py --sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from monitor.dedup import CopyIndex
from monitor.store.db import Store
from monitor.store.story_tables import fingerprints, minhash_bands
from monitor.urls import canonical_url

VOCAB = [f"w{i}" for i in range(30000)]


def text(rng: random.Random) -> str:
    return " ".join(rng.choices(VOCAB, k=rng.randint(250, 700)))


def fill(conn: sa.Connection, n: int, rng: np.random.Generator, bands: int) -> None:
    when = datetime(2020, 1, 1, tzinfo=UTC)
    for start in range(0, n, 20000):
        ids = range(start + 1, min(n, start + 20000) + 1)
        sigs = rng.integers(0, 2**32, size=(len(ids), 128), dtype=np.uint32)
        conn.execute(
            sa.insert(fingerprints),
            [
                {"article_id": i, "signature": s.tobytes(), "seen": when}
                for i, s in zip(ids, sigs, strict=True)
            ],
        )
        hashes = rng.integers(0, 2**32, size=(len(ids), bands), dtype=np.int64)
        conn.execute(
            sa.insert(minhash_bands),
            [
                {"band": b, "hash": int(h[b]), "article_id": i}
                for i, h in zip(ids, hashes, strict=True)
                for b in range(bands)
            ],
        )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    ap.add_argument("--probes", type=int, default=300)
    args = ap.parse_args()
    index = CopyIndex()
    base = None
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            store = Store.open(Path(tmp))
            t = time.perf_counter()
            with store.begin() as conn:
                fill(conn, n, np.random.default_rng(n), index.settings.bands)
            fill_s = time.perf_counter() - t
            rng = random.Random(1)
            lat = []
            for k in range(args.probes):
                body = text(rng)
                t = time.perf_counter()
                with store.begin() as conn:
                    canonical_url(f"https://Example.com/a/{k}?utm_source=x#y")
                    sig = index.fingerprint(body)
                    assert sig is not None
                    index.find_original(conn, sig)
                    index.add(conn, n + k + 1, sig, datetime(2020, 1, 2, tzinfo=UTC))
                lat.append((time.perf_counter() - t) * 1000)
            size = (Path(tmp) / "monitor.db").stat().st_size + sum(
                p.stat().st_size for p in Path(tmp).glob("monitor.db-wal")
            )
            store.engine.dispose()
        p50, p95 = np.percentile(lat, [50, 95])
        base = base or p50
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"n={n}: p50 {p50:.2f} ms p95 {p95:.2f} ms (x{p50 / base:.2f} vs first size) "
            f"maxrss {rss:.0f} MB db {size / 2**20:.0f} MB fill {fill_s:.0f}s",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
