"""CPU of a worker's poll-job claim (`store/sources.claim_due` with `ids=`) on PostgreSQL, with
--sources configured: by id with the names checked in Python (now) against the query as it
was before, the `IN` list of every configured name plus the id (baseline), interleaved in
the same run on a database of its own (created and dropped).

    .venv/bin/python bench/claim.py [--sources 2000] [--claims 300] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from monitor.clock import utcnow
from monitor.store import Store
from monitor.store import sources as source_store
from monitor.store.schema import sources

PG_URL = os.environ.get("MONITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
LEASE = timedelta(seconds=600)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=int, default=2000)
    ap.add_argument("--claims", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    name = f"nm_bench_claim_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        return run(url, args.sources, args.claims, args.rounds)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(url: str, count: int, claims: int, rounds: int) -> int:
    store = Store.open(Path("."), url)
    names = [f"feed{i:05d}" for i in range(count)]
    with store.begin() as conn:
        configured = [(n, f"http://127.0.0.1/{n}.xml", "rss") for n in names]
        source_store.sync(conn, configured, utcnow())
    with store.connect() as conn:
        ids = list(conn.execute(sa.select(sources.c.id)).scalars())[:claims]

    def now(source_id: int) -> int:
        with store.begin() as conn:
            got = source_store.claim_due(
                conn, names, utcnow(), 1, LEASE, force=True, ids=[source_id]
            )
            source_store.release(conn, [source_id])
        return len(got)

    def baseline(source_id: int) -> int:  # the claim's query before: every name, and the id
        with store.begin() as conn:
            query = (
                sa.select(sources.c.id)
                .where(sources.c.name.in_(names))
                .where(sources.c.disabled.is_(False))
                .where(source_store._free(conn, utcnow()))
                .where(sources.c.id.in_([source_id]))
                .order_by(sources.c.next_check_at)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            got = list(conn.execute(query).scalars())
            conn.execute(
                sa.update(sources)
                .where(sources.c.id.in_(got))
                .values(claimed_until=utcnow() + LEASE, claimed_by="bench")
            )
            source_store.release(conn, [source_id])
        return len(got)

    best: dict[str, float] = {}
    ways: list[tuple[str, Callable[[int], int]]] = [("baseline", baseline), ("now", now)]
    print(f"{count} sources configured, {len(ids)} claims a round, load {os.getloadavg()[0]:.2f}")
    for _ in range(rounds):
        for label, claim in ways:
            cpu, wall = time.process_time(), time.perf_counter()
            assert all(claim(i) == 1 for i in ids)
            per_cpu = 1000 * (time.process_time() - cpu) / len(ids)
            per_wall = 1000 * (time.perf_counter() - wall) / len(ids)
            best[label] = min(best.get(label, per_cpu), per_cpu)
            print(f"  {label:8} {per_cpu:6.2f} ms CPU  {per_wall:6.2f} ms wall  a claim")
    print(f"best CPU a claim: baseline {best['baseline']:.2f} ms, now {best['now']:.2f} ms "
          f"({best['baseline'] / best['now']:.1f}x less)")  # fmt: skip
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
