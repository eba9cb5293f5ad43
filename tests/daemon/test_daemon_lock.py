"""One daemon per SQLite state: a second `run` refuses, naming the first; kill -9 frees the lock."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from console import SCRIPT, clean_env
from demosite import write_config


def start(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(SCRIPT), "--config", str(config), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )


def started_up(daemon: subprocess.Popen[str]) -> None:
    """Wait for the daemon's "daemon started" line (its signal handlers are installed by then)."""
    assert daemon.stderr is not None
    for line in daemon.stderr:
        if "daemon started" in line:
            return
    raise AssertionError(f"the daemon ended before it started (exit {daemon.wait()})")


def running_on(lock: Path, daemon: subprocess.Popen[str], timeout: float = 30.0) -> str:
    """The lock file's text once *daemon* has written its pid there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert daemon.poll() is None, daemon.communicate()[1]
        text = lock.read_text() if lock.exists() else ""
        if text.startswith(f"{daemon.pid} "):
            return text
        time.sleep(0.05)
    raise AssertionError("the daemon did not take the lock in time")


@pytest.fixture
def daemons() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def test_a_second_daemon_refuses_and_kill_9_leaves_no_stale_lock(
    tmp_path: Path, daemons: list[subprocess.Popen[str]]
) -> None:
    config = write_config(tmp_path, "[]\n")
    lock = tmp_path / "state" / "daemon.lock"
    first = start(config)
    daemons.append(first)
    started = running_on(lock, first).split()[1]

    second = subprocess.run(
        [str(SCRIPT), "--config", str(config), "run"],
        capture_output=True, text=True, timeout=60, env=clean_env(),
    )  # fmt: skip
    assert second.returncode == 1
    assert second.stderr.splitlines() == [
        f"error: another daemon is running on the state {tmp_path / 'state'} "
        f"(pid {first.pid}, started {started})",
        f"hint: run one daemon per state directory: stop the other one (kill {first.pid}, "
        "or `systemctl stop` its unit) or give this one its own settings.state_dir",
    ]
    assert first.poll() is None  # the first one runs on

    os.kill(first.pid, signal.SIGKILL)  # no chance to clean up: the kernel drops the flock
    first.communicate(timeout=30)
    assert lock.exists()
    third = start(config)
    daemons.append(third)
    running_on(lock, third)
    started_up(third)  # its lock comes before its signal handlers: SIGTERM only once it runs
    third.send_signal(signal.SIGTERM)
    _, err = third.communicate(timeout=30)
    assert third.returncode == 0, err
    assert "daemon stopped" in err
