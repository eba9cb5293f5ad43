"""Faults in a cluster of three workers: one killed with SIGKILL mid-poll (its job goes to
another worker, its half-done poll left nothing behind, nothing is stored or delivered twice),
and PostgreSQL dropping every worker's connections (they reconnect, say so once, go on)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cluster import (
    Farm,
    Workers,
    all_served_stored,
    cluster_config,
    committing_worker,
    farm_servers,
    fetching_worker,
    fresh_database,
    scalar,
    wait_for,
)
from console import news_monitor
from peers import SmtpPeer, smtp_server

WORKERS = 3


@pytest.fixture
def smtp() -> Iterator[SmtpPeer]:
    with smtp_server() as peer:
        yield peer


def realtime_digest(smtp_port: int) -> str:
    return f"""\
digests:
  - name: legion
    topics: [Legion]
    schedule: realtime
    max_stories: 200
    channels: [analysts]
channels:
  analysts:
    type: email
    to: [analyst@example.com]
    from: news-monitor@example.org
    smtp: {{host: 127.0.0.1, port: {smtp_port}, timeout: 5s}}
"""


def outbox_rows(db: str) -> list[sa.Row[tuple[str, str, str]]]:
    engine = sa.create_engine(db)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    sa.text("SELECT message_id, status, articles FROM delivery_outbox ORDER BY id")
                )
            )
    finally:
        engine.dispose()


def test_a_worker_killed_mid_poll_loses_nothing_and_nothing_is_done_twice(
    tmp_path: Path, smtp: SmtpPeer
) -> None:
    farm = Farm(delay=0.1, per_poll=2, article_delay=1.5)
    with fresh_database() as db, farm_servers(farm, ["127.0.0.1"], 6) as feeds:
        config = cluster_config(
            tmp_path,
            db,
            feeds,
            settings="  fetch: {connect_timeout: 3s, read_timeout: 5s, total_timeout: 10s, "
            "per_host_limit: 12}\n  realtime_debounce: 1s\n",
            extra=realtime_digest(smtp.port),
        )
        text = config.read_text()
        first = text.index("  fetch:")  # the cluster's own fetch line gives way to ours
        config.write_text(text[:first] + text[text.index("\n", first) + 1 :])
        cluster = Workers(config)
        for _ in range(WORKERS):
            cluster.start()
        try:
            found: list[int] = []

            def someone_fetching() -> bool:
                index = fetching_worker(farm, cluster.procs)
                if index is not None:
                    found.append(index)
                return index is not None

            wait_for(lambda: bool(smtp.received), 60, "a first digest", cluster)
            wait_for(someone_fetching, 60, "a worker fetching an article page", cluster)
            victim = cluster.procs[found[-1]]
            cluster.kill(victim)  # SIGKILL, its poll mid-way (the page not back yet)
            killed_at = time.monotonic()
            wait_for(
                lambda: "goes back to the queue" in cluster.text(),
                30,
                "the killed worker's job retried by another",
                cluster,
            )
            retried_after = time.monotonic() - killed_at
            time.sleep(3)  # more polls and digests after the kill
            all_served_stored(farm, db, 30, cluster)
            matched = scalar(db, "SELECT count(DISTINCT article_id) FROM topic_matches")

            def all_delivered() -> bool:
                rows = outbox_rows(db)
                covered = {  # distinct: a story's update shows its earlier articles again
                    a
                    for r in rows
                    if r.status == "delivered"
                    for a in json.loads(r.articles)["shown"]
                }
                return len(covered) >= matched and all(r.status == "delivered" for r in rows)

            wait_for(all_delivered, 30, "every matched article delivered", cluster)
            status = news_monitor("--config", str(config), "status", "--json")
        finally:
            codes = cluster.stop()
        log = cluster.text()
        stored = scalar(db, "SELECT count(*) FROM articles")
        distinct = scalar(db, "SELECT count(DISTINCT canonical_url) FROM articles")
        teasers = scalar(
            db, "SELECT count(*) FROM articles WHERE text NOT LIKE '%crossed the border%'"
        )
        rows = outbox_rows(db)
    assert codes[found[-1]] == -9 and sorted(codes) == [-9, 0, 0], log
    served = farm.served_links()
    assert stored == distinct == len(served), (stored, distinct, len(served))
    assert teasers == 0  # every article with its page's text: the killed poll was done again
    assert retried_after < 15, retried_after  # stalled_after 2s, tick 1s
    # each digest delivered exactly once: one email per outbox row, every row delivered, every
    # matched article in one of them (a story's update shows its earlier articles again)
    ids = [m.message["Message-ID"] for m in smtp.received]
    assert len(ids) == len(set(ids)) == len(rows) > 1, (ids, [r.message_id for r in rows])
    assert {f"<{r.message_id}@" for r in rows} == {i.partition("@")[0] + "@" for i in ids}
    assert {r.status for r in rows} == {"delivered"}
    shown = {a for r in rows for a in json.loads(r.articles)["shown"]}
    assert len(shown) == matched
    report = json.loads(status.stdout)
    states = {w["pid"]: w["state"] for w in report["workers"]}
    assert states[victim.pid] == "gone"
    assert sorted(states.values()) == ["gone", "running", "running"]
    assert "Traceback" not in log


def test_a_worker_killed_inside_its_commit_leaves_nothing_half_written(tmp_path: Path) -> None:
    """SIGKILL while the worker's poll holds the stages lock (its transaction half done): the
    transaction is rolled back with the connection, another worker polls the source again, and
    every article is stored once, with its story and its topic match."""
    farm = Farm(delay=0.05, per_poll=60)  # 60 new items a poll: a commit of some length
    with fresh_database() as db, farm_servers(farm, ["127.0.0.1"], 4, full_text="never") as feeds:
        config = cluster_config(tmp_path, db, feeds)
        cluster = Workers(config)
        for _ in range(WORKERS):
            cluster.start()
        try:
            found: list[int] = []

            def someone_committing() -> bool:
                index = committing_worker(db, cluster.procs)
                if index is not None:
                    found.append(index)
                return index is not None

            wait_for(someone_committing, 60, "a worker inside its commit", cluster)
            victim = cluster.procs[found[-1]]
            cluster.kill(victim)
            wait_for(lambda: min(farm.requests.values()) >= 3, 60, "more polls", cluster)
            all_served_stored(farm, db, 60, cluster)
        finally:
            codes = cluster.stop()
        log = cluster.text()
        stored = scalar(db, "SELECT count(*) FROM articles")
        distinct = scalar(db, "SELECT count(DISTINCT canonical_url) FROM articles")
        storyless = scalar(db, "SELECT count(*) FROM articles WHERE story_id IS NULL")
        matched = scalar(db, "SELECT count(DISTINCT article_id) FROM topic_matches")
    assert sorted(codes) == [-9, 0, 0], log
    assert stored == distinct == len(farm.served_links()) == matched, (stored, distinct, matched)
    assert storyless == 0
    assert "Traceback" not in log


def test_workers_reconnect_when_postgresql_drops_their_connections(tmp_path: Path) -> None:
    farm = Farm(delay=0.1, per_poll=1)
    with fresh_database() as db, farm_servers(farm, ["127.0.0.1"], 4) as feeds:
        config = cluster_config(tmp_path, db, feeds)
        cluster = Workers(config)
        for _ in range(2):
            cluster.start()
        name = sa.make_url(db).database
        admin = sa.create_engine(db.replace(f"/{name}", "/postgres"), isolation_level="AUTOCOMMIT")
        try:
            wait_for(lambda: min(farm.requests.values(), default=0) >= 2, 60, "polls", cluster)
            for _ in range(2):  # two outages
                with admin.connect() as conn:
                    conn.execute(
                        sa.text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = :db AND pid <> pg_backend_pid()"
                        ),
                        {"db": name},
                    )
                before = dict(farm.requests)
                wait_for(
                    lambda b=before: all(farm.requests[k] > b[k] + 1 for k in b),  # type: ignore[misc]
                    60,
                    "polls going on after the outage",
                    cluster,
                )
            assert cluster.running(), cluster.text()
        finally:
            codes = cluster.stop()
            admin.dispose()
        log = cluster.text()
    assert codes == [0, 0], log
    # an outage is told once per worker and part (queue, per-host slots), not once per job or
    # request; and its end
    for path in cluster.logs:
        text = path.read_text()
        lost = text.count("unreachable")
        assert lost <= 2 * 2, text
        assert lost == text.count("reachable again"), text
        assert "Traceback" not in text
