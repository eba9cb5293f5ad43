"""`news-monitor run` on a PostgreSQL config is a worker, with the web app when
settings.web.listen is set: sd_notify READY / WATCHDOG / STOPPING, /readyz ready while it takes
jobs, the queue's gauge in /metrics, SIGHUP reloads, SIGTERM exits 0."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cluster import Farm, Workers, cluster_config, farm_servers, fresh_database, scalar, wait_for
from peers import free_port


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.05)
    try:
        yield sock, path
    finally:
        sock.close()


def messages(sock: socket.socket, into: list[str]) -> list[str]:
    while True:
        try:
            into.extend(sock.recv(4096).decode().split("\n"))
        except TimeoutError:
            return into


def test_run_on_postgresql_is_a_worker_with_its_web_app(
    tmp_path: Path, notify_socket: tuple[socket.socket, str]
) -> None:
    sock, sock_path = notify_socket
    farm = Farm(delay=0.05, per_poll=1)
    port = free_port()
    with fresh_database() as db, farm_servers(farm, ["127.0.0.1"], 2) as feeds:
        config = cluster_config(
            tmp_path, db, feeds, settings=f"  web: {{listen: '127.0.0.1:{port}'}}\n"
        )
        cluster = Workers(config)
        proc = cluster.start(
            command="run", env={"NOTIFY_SOCKET": sock_path, "WATCHDOG_USEC": "2000000"}
        )
        seen: list[str] = []
        base = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            try:
                return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        try:
            wait_for(lambda: "READY=1" in messages(sock, seen), 30, "READY=1", cluster)
            wait_for(ready, 30, "/readyz ready", cluster)
            checks = httpx.get(f"{base}/readyz", timeout=2).json()["checks"]
            assert checks == {"store": "ok", "scheduler": "ok"}
            wait_for(lambda: scalar(db, "SELECT count(*) FROM articles") >= 4, 30, "polls", cluster)
            wait_for(lambda: "WATCHDOG=1" in messages(sock, seen), 10, "WATCHDOG=1", cluster)
            metrics = httpx.get(f"{base}/metrics", timeout=5).text
            assert 'news_monitor_queue_jobs{status="running"}' in metrics
            assert "news_monitor_polls_in_flight" in metrics
            assert 'news_monitor_polls_total{result="ok"}' in metrics

            config.write_text(config.read_text().replace("tick: 1s", "tick: 2s"))
            proc.send_signal(signal.SIGHUP)
            wait_for(lambda: "reload: " in cluster.text(), 20, "the reload", cluster)
            before = scalar(db, "SELECT count(*) FROM articles")
            wait_for(
                lambda: scalar(db, "SELECT count(*) FROM articles") > before + 1,
                30,
                "polls after the reload",
                cluster,
            )
            assert ready()
        finally:
            codes = cluster.stop()
        messages(sock, seen)
    log = cluster.text()
    assert codes == [0], log
    assert "STOPPING=1" in seen
    assert log.count("daemon started") == 1 and "daemon stopped" in log
    assert "reload: " in log and "Traceback" not in log
