"""A write lock held for minutes by another process: a bounded wait, the holder named."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
from pathlib import Path

from console import SCRIPT, clean_env, news_monitor
from demosite import write_config

FEEDS = "- {url: 'http://127.0.0.1:9/a.rss', name: Feed A}\n"
SHORT = "settings:\n  lock_timeout: 300ms\n"


def test_a_long_write_lock_fails_a_writing_command_in_bounded_time_naming_the_daemon(
    tmp_path: Path,
) -> None:
    """The daemon runs (it holds state/daemon.lock); a second connection holds the database's
    write lock, as a stuck writer or an sqlite3 shell would. `import` waits lock_timeout, then
    fails with a hint that names the running daemon's pid."""
    config = write_config(tmp_path, FEEDS)
    config.write_text(config.read_text().replace("settings:\n", SHORT, 1))
    assert news_monitor("--config", str(config), "import", "/dev/null").returncode == 0
    daemon = subprocess.Popen(
        [str(SCRIPT), "--config", str(config), "run"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=clean_env(),
    )  # fmt: skip
    lock = tmp_path / "state" / "daemon.lock"
    try:
        # the daemon takes its lock, then opens and syncs the store: hold the write lock only
        # once it has started, or its own start-up sync is what the lock stops (and it exits)
        assert daemon.stderr is not None
        for line in daemon.stderr:
            if "daemon started" in line:
                break
        assert daemon.poll() is None and lock.read_text().startswith(f"{daemon.pid} ")
        started = lock.read_text().split()[1]
        config.write_text(config.read_text().replace("Feed A", "Feed B"))  # a sync to write
        holder = sqlite3.connect(tmp_path / "state" / "monitor.db", isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            done = news_monitor("--config", str(config), "import", "/dev/null")  # it ends
        finally:
            holder.close()
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.communicate(timeout=30)
    assert done.returncode == 1
    db = tmp_path / "state" / "monitor.db"
    assert done.stderr.splitlines() == [
        "error: the database is locked by another process",
        f"hint: another process held a write lock on {db} for longer than 0.3 s; the daemon "
        f"(pid {daemon.pid}, started {started}) runs on this state and may hold it; a second "
        "command, a backup or an sqlite3 shell may too. Let it finish or stop it "
        f"(`fuser {db}` lists who has it open), and run one daemon per state directory",
    ]
