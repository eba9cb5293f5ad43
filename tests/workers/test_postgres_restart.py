"""PostgreSQL restarted under load (issue 15, guarantee 5): the workers reconnect with backoff,
tell the outage once (not once per job) and its end, and go on; nothing is lost or stored
twice. The server is one of the test's own (bench/multihost.py's `Postgres`, initdb in a
temporary directory on loopback), since the machine's shared server must not be restarted."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from cluster import Farm, Workers, all_served_stored, cluster_config, farm_servers, scalar, wait_for

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import multihost  # noqa: E402

OUTAGE = 3.0  # seconds the server stays down


def _skip_reason() -> str | None:
    if not (multihost.PG_BIN / "initdb").exists():
        return f"no PostgreSQL server binaries at {multihost.PG_BIN} (initdb) to run one's own"
    return None


def _pg_ctl(pg: multihost.Postgres, action: str, *options: str) -> None:
    assert pg.root is not None
    argv = [str(multihost.PG_BIN / "pg_ctl"), action, "-D", str(pg.root / "data"), *options]
    done = subprocess.run(pg._as_owner([*argv, "-w", "-t", "60"]), capture_output=True)
    assert done.returncode == 0, done.stderr.decode(errors="replace") + pg.log()


def test_workers_go_on_when_postgresql_restarts(tmp_path: Path) -> None:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    farm = Farm(delay=0.1, per_poll=1)
    with multihost.Postgres(trust=("127.0.0.1/32",), durable=False) as pg:
        db = pg.create_database("nm_restart")
        with farm_servers(farm, ["127.0.0.1"], 4) as feeds:
            config = cluster_config(tmp_path, db, feeds)
            cluster = Workers(config)
            for _ in range(2):
                cluster.start()
            try:
                wait_for(lambda: min(farm.requests.values(), default=0) >= 2, 60, "polls", cluster)
                _pg_ctl(pg, "stop", "-m", "fast")  # every connection goes, jobs in hand fail
                time.sleep(OUTAGE)
                _pg_ctl(pg, "start", "-l", str(pg.root / "server.log"))
                before = dict(farm.requests)
                wait_for(
                    lambda: all(farm.requests[k] > before[k] + 1 for k in before),
                    60,
                    "polls going on after the restart",
                    cluster,
                )
                assert cluster.running(), cluster.text()
                all_served_stored(farm, db, 60, cluster)
            finally:
                codes = cluster.stop()
            stored = scalar(db, "SELECT count(*) FROM articles")
            distinct = scalar(db, "SELECT count(DISTINCT canonical_url) FROM articles")
    log = cluster.text()
    assert codes == [0, 0], log
    assert stored == distinct == len(farm.served_links()), (stored, distinct)
    told = 0
    for path in cluster.logs:
        text = path.read_text()
        lost = text.count("unreachable")
        assert lost <= 2, text  # once per part (the queue, the per-host slots), not per job
        assert lost == text.count("reachable again"), text
        assert "Traceback" not in text
        told += lost
    assert told >= 1, log  # the outage was seen, and told
