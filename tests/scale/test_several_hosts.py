"""Three workers on three hosts share one PostgreSQL database (issue 15): every article is
stored once, no source is polled twice at once, and the per-host limit holds across them.

The hosts are network namespaces on a bridge (bench/multihost.py, which bench/scale.py reuses):
the database (a PostgreSQL of the test's own) and the feed farm listen on the bridge's
198.18.X addresses, and each worker runs in its namespace under a host name of its own. The
farm holds each answer back 0.3 s, so that two polls of one feed at once would be seen
overlapping there, and so would more requests to one host than `fetch.per_host_limit` (1
here: each worker alone would send two, its `--concurrency`).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import multihost  # noqa: E402
from feedfarm import FeedFarm  # noqa: E402

HOSTS = 3
FEEDS = 24
ITEMS = 5


def test_three_hosts_store_every_article_once_and_poll_no_source_twice_at_once(
    tmp_path: Path,
) -> None:
    reason = multihost.skip_reason() or multihost.postgres_skip_reason()
    if reason:
        pytest.skip(reason)
    net = multihost.Network(hosts=HOSTS, farm_addresses=6)
    pg = multihost.Postgres(listen=net.bridge_address, durable=False)
    workers: list[subprocess.Popen[bytes]] = []
    logs = [tmp_path / f"worker{n}.log" for n in range(HOSTS)]
    with net, pg, FeedFarm(FEEDS, items=ITEMS, latency=0.3, addresses=net.farm_addresses) as farm:
        url = pg.create_database("nm")
        engine = sa.create_engine(url)
        config = multihost.write_config(
            tmp_path / "feeds.yaml", farm.urls, url, concurrency=2, per_host=1
        )
        try:
            for n, log in enumerate(logs):  # at once, on a database no worker has migrated yet
                argv = multihost.worker_argv(config, 2, "worker")
                workers.append(
                    multihost.start_worker(argv, log, prefix=net.prefix(n), hostname=f"w{n}")
                )
            # the first cycle begins when the first worker has synced the sources (they are
            # due at once), on the hosts that are up by then
            multihost.wait_cycle(engine, datetime(2000, 1, 1), FEEDS, workers, timeout=60)
            multihost.wait_for_logs(logs, multihost.READY["worker"], workers)
            first = farm.load()
            farm.reset_load()
            farm.bump()  # new items in every feed, for a second cold cycle on every host
            since = multihost.make_due(engine)
            _, failed = multihost.wait_cycle(engine, since, FEEDS, workers, timeout=60)
            second = farm.load()
            stored = multihost.count_articles(engine)
            running = [w.poll() is None for w in workers]
        finally:
            multihost.stop_workers(workers)
            engine.dispose()
    text = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')}" for p in logs)
    assert running == [True] * HOSTS, text
    assert failed == 0, text
    assert stored == (2 * FEEDS * ITEMS, 2 * FEEDS * ITEMS), text  # every article, once
    for load in (first, second):  # each feed asked once a cycle, never while it was pending
        assert load["feed_requests"] == FEEDS, load
        assert load["feed_overlaps"] == 0 and load["max_in_flight_per_feed"] == 1, load
        assert load["max_in_flight_per_host"] == 1, load  # per_host_limit, across the cluster
    assert set(second["clients"]) == set(net.host_addresses), second  # every host polled
    assert "Traceback" not in text
    assert not net.exists() and pg.root is None  # namespaces, veths, bridge, database: gone
