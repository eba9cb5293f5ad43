"""Three `news-monitor worker` processes on one fresh PostgreSQL database and a loopback farm
(docs/scale.md's guarantees): no source polled twice at once (1), the per-host limit held
across the cluster (2), every article stored once; a worker on SQLite is a clear error."""

from __future__ import annotations

import json
from pathlib import Path

from cluster import (
    Farm,
    Workers,
    all_served_stored,
    cluster_config,
    farm_servers,
    fresh_database,
    scalar,
    wait_for,
)
from console import news_monitor
from demosite import write_config

WORKERS = 3
HOSTS = ["127.0.0.1", "127.0.0.2"]
FEEDS_PER_HOST = 8
PER_HOST = 2


def test_worker_on_a_sqlite_config_is_an_error_with_a_hint(tmp_path: Path) -> None:
    config = write_config(tmp_path, "- {url: 'http://127.0.0.1:9/f.rss', name: F}\n")
    done = news_monitor("--config", str(config), "worker")
    assert done.returncode == 1, done.stderr
    assert "needs a PostgreSQL database" in done.stderr
    assert "hint: set settings.database_url" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "state").exists()  # refused before opening any store


def test_three_workers_poll_each_source_once_at_a_time_within_the_per_host_limit(
    tmp_path: Path,
) -> None:
    farm = Farm(delay=0.3, per_poll=2)
    with fresh_database() as db, farm_servers(farm, HOSTS, FEEDS_PER_HOST) as feeds:
        config = cluster_config(tmp_path, db, feeds)
        cluster = Workers(config)
        for _ in range(WORKERS):
            cluster.start("--concurrency", "8")
        try:
            wait_for(
                lambda: min(farm.requests[f"h{h}f{n}"] for h in range(2) for n in range(8)) >= 3,
                60,
                "three polls of every feed",
                cluster,
            )
            assert cluster.running(), cluster.text()
            all_served_stored(farm, db, 30, cluster)
            status = news_monitor("--config", str(config), "status", "--json")
        finally:
            codes = cluster.stop()
        text = cluster.text()
        assert codes == [0] * WORKERS, text  # SIGTERM: jobs in hand finished, exit 0
        stored = scalar(db, "SELECT count(*) FROM articles")
        distinct = scalar(db, "SELECT count(DISTINCT canonical_url) FROM articles")
        failed = scalar(db, "SELECT count(*) FROM sources WHERE last_error IS NOT NULL")
    served = farm.served_links()
    # guarantee 1: never two polls of one feed at once, across the three workers
    per_feed = {k: v for k, v in farm.most.items() if k.startswith("feed:")}
    assert len(per_feed) == len(HOSTS) * FEEDS_PER_HOST
    assert max(per_feed.values()) == 1, per_feed
    # guarantee 2: per host, never more than per_host_limit requests at once in the cluster
    # (and the limit was reached: the farm kept the cluster busy enough to exceed it)
    per_host = {h: farm.most[f"host:{h}"] for h in HOSTS}
    assert max(per_host.values()) == PER_HOST, per_host
    # every article stored once
    assert stored == distinct == len(served), (stored, distinct, len(served))
    assert failed == 0, text
    assert "Traceback" not in text and "unexpected error" not in text
    # the work was shared: each worker polled
    polls = [log.read_text().count("stage=store entries=") for log in cluster.logs]
    assert all(n > 0 for n in polls), polls
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert [w["state"] for w in report["workers"]] == ["running"] * WORKERS
    assert set(report["queue"]) >= {"due", "running", "failed", "oldest_waiting"}
