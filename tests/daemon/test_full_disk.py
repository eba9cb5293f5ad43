"""A real full disk under `news-monitor run`: the state lives on a small tmpfs that a filler file
fills. The poll in hand rolls back, the daemon says so once and goes on serving, and when the
filler goes it stores everything by itself, with no restart.

Mounting a tmpfs needs root (CAP_SYS_ADMIN); elsewhere the test skips and says why. The
in-process test with SQLite's `PRAGMA max_page_count` (tests/ingest/test_full_store.py) runs
everywhere.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from console import SCRIPT, clean_env, news_monitor
from demosite import big_feed, conditional, write_config
from httpserver import LocalServer

SMALL = b"""<rss version='2.0'><channel><title>Seed</title><item><title>Seed story</title>
<link>http://127.0.0.1:9/seed</link><guid>seed-1</guid><description>A seed.</description>
</item></channel></rss>"""
FULL = "the state database is full"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """tmp_path/state on its own 4 MiB tmpfs, unmounted afterwards."""
    state = tmp_path / "state"
    state.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs for a real full disk needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(state)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}): no real full disk")
    try:
        yield state
    finally:
        subprocess.run(["umount", "-l", str(state)], check=False)


def fill(directory: Path, leave: int) -> Path:
    """A filler file that leaves *leave* bytes free on the file system of *directory*."""
    filler = directory / "filler"
    stat = os.statvfs(directory)
    with filler.open("wb") as out:
        out.truncate(0)
        out.write(b"\0" * max(0, stat.f_bavail * stat.f_frsize - leave))
    return filler


def wait_for(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def test_a_full_disk_rolls_back_is_told_once_and_the_daemon_resumes_by_itself(
    tmp_path: Path, small_disk: Path
) -> None:
    routes = {
        "/seed.rss": conditional(SMALL, "application/rss+xml"),
        "/big.rss": conditional(big_feed(), "application/rss+xml"),
    }
    with LocalServer(routes) as server:
        seed = f"- {{url: '{server.url('/seed.rss')}', name: Seed, full_text: never}}\n"
        big = f"- {{url: '{server.url('/big.rss')}', name: Big, full_text: never, interval: 30s}}\n"
        config = write_config(tmp_path, seed)
        log_path = tmp_path / "daemon.log"

        def status() -> dict[str, dict[str, object]]:
            done = news_monitor("--config", str(config), "status", "--json")
            assert done.returncode == 0, done.stderr  # read-only: works on a full disk
            return {s["name"]: s for s in json.loads(done.stdout)["sources"]}

        with log_path.open("w") as log:
            daemon = subprocess.Popen(
                [str(SCRIPT), "--config", str(config), "run"],
                stdout=log, stderr=subprocess.STDOUT, env=clean_env(),
            )  # fmt: skip
        try:
            wait_for(lambda: "daemon started" in log_path.read_text(), timeout=30)
            wait_for(lambda: status()["Seed"]["articles"] == 1, timeout=30)
            filler = fill(small_disk, leave=64 * 1024)
            write_config(tmp_path, seed + big)
            daemon.send_signal(signal.SIGHUP)  # the new source is due at once, on a full disk
            wait_for(lambda: FULL in log_path.read_text(), timeout=30)
            assert daemon.poll() is None  # it keeps going
            row = status()["Big"]
            assert row["articles"] == 0 and FULL in str(row["last_error"])  # nothing half-kept

            filler.unlink()  # space comes back
            wait_for(lambda: status()["Big"]["articles"] == 30, timeout=75)
            assert daemon.poll() is None
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)
        text = log_path.read_text()
        errors = [line for line in text.splitlines() if FULL in line and "ERROR" in line]
        assert len(errors) == 1, text  # told once, however often it failed
        assert "free space on the disk of" in errors[0]
        assert "works again" in text
        assert "Traceback" not in text
        assert status()["Seed"]["articles"] == 1
