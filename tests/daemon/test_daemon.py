"""`news-monitor run` as a real process: sd_notify, polling on ticks, SIGHUP reload, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from demosite import write_config
from httpserver import LocalServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    try:
        yield sock, path
    finally:
        sock.close()


def messages(sock: socket.socket) -> list[str]:
    found: list[str] = []
    while True:
        try:
            found.extend(sock.recv(4096).decode().split("\n"))
        except TimeoutError:
            return found


def wait_for(predicate: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def status(config: Path) -> dict[str, dict[str, object]]:
    out = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), "--json", "status"],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout  # fmt: skip
    return {s["name"]: s for s in json.loads(out)["sources"]}


def test_daemon_polls_reloads_and_stops_gracefully(
    tmp_path: Path, server: LocalServer, notify_socket: tuple[socket.socket, str]
) -> None:
    sock, sock_path = notify_socket
    config = write_config(tmp_path, f"- {{url: '{server.url('/world.rss')}', name: World}}\n")
    log = (tmp_path / "daemon.log").open("w")

    def log_text() -> str:
        return (tmp_path / "daemon.log").read_text()

    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), "run"],
        stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "NOTIFY_SOCKET": sock_path, "WATCHDOG_USEC": "2000000"},
    )  # fmt: skip
    try:
        seen: list[str] = []
        wait_for(lambda: seen.extend(messages(sock)) or "READY=1" in seen)
        wait_for(lambda: status(config)["World"]["articles"] == 3)
        wait_for(lambda: seen.extend(messages(sock)) or "WATCHDOG=1" in seen, timeout=5)

        good = config.read_text(encoding="utf-8")
        config.write_text(good + "  - url: [broken\n", encoding="utf-8")
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "keeping the running config" in (tmp_path / "daemon.log").read_text())
        assert proc.poll() is None

        # the tick is rescheduled at once; the HTTP client keeps its read timeout of 2 s
        slower = good.replace("read_timeout: 2s", "read_timeout: 3s").replace("200ms", "300ms")
        config.write_text(
            slower + f"  - {{url: '{server.url('/ukraine/')}', name: Section, type: page}}\n",
            encoding="utf-8",
        )
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: status(config).get("Section", {}).get("last_success") is not None)
        assert "(2 sources); restart to apply fetch.read_timeout (read" in log_text()

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert "STOPPING=1" in seen + messages(sock)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    text = (tmp_path / "daemon.log").read_text()
    assert "Traceback" not in text
    assert "source=World" in text and "daemon stopped" in text


def test_second_sigterm_stops_at_once(tmp_path: Path, server: LocalServer) -> None:
    from httpserver import Exchange

    def hang(ex: Exchange) -> None:
        ex.start(200, {"Content-Type": "application/rss+xml"})
        while ex.write(b" ") and ex.sleep(0.2):
            pass

    server.routes["/hang"] = hang
    config = write_config(tmp_path, f"- {{url: '{server.url('/hang')}', name: Hang}}\n")
    text = (
        config.read_text()
        .replace("total_timeout: 4s", "total_timeout: 60s")
        .replace("shutdown_grace: 5s", "shutdown_grace: 60s")
        .replace("read_timeout: 2s", "read_timeout: 60s")
    )
    config.write_text(text)
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), "run"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: "/hang" in server.paths())
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert proc.poll() is None  # still finishing the poll in hand
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
        _, stderr = proc.communicate()
    assert "Traceback" not in stderr, stderr
