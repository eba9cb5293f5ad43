"""A state this user may not write: writing commands refuse clearly, reading ones still work.

Tests run as root here, and root ignores file permissions (CAP_DAC_OVERRIDE). So the commands
run with CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER dropped from the capability
bounding set in the child's preexec_fn (prctl PR_CAPBSET_DROP; an exec'd program keeps only
what the bounding set holds), over a state directory of mode 0555 with its database 0444: the
kernel then refuses the writes as it refuses any user's on a read-only state.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from console import SCRIPT, clean_env, news_monitor
from demosite import email_digest, write_config

FEEDS = "- {url: 'http://127.0.0.1:9/a.rss', name: Feed A}\n"
READERS = (["status"], ["stories"], ["export"], ["topics", "test", "Legion"])
PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER = 1, 2, 3


def without_override(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run the console script as this user, but bound by file permissions like anyone else."""
    libc = ctypes.CDLL(None, use_errno=True)

    def drop() -> None:
        for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
            if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    return subprocess.run(
        [str(SCRIPT), *argv], capture_output=True, text=True, timeout=60,
        env=clean_env(), preexec_fn=drop,
    )  # fmt: skip


def read_only_state(tmp_path: Path) -> tuple[Path, Path]:
    """A config and its synced state, then the state directory and database made read-only."""
    config = write_config(tmp_path, FEEDS, email_digest(9))  # port 9: it is never reached
    assert news_monitor("--config", str(config), "import", "/dev/null").returncode == 0
    db = tmp_path / "state" / "monitor.db"
    db.chmod(0o444)
    db.parent.chmod(0o555)
    return config, db


def files(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_writing_commands_name_the_path_and_the_user(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the capabilities dropped here are root's")
    config, db = read_only_state(tmp_path)
    for command in (
        ["poll"],
        ["run", "--once"],
        ["import", "/dev/null"],
        ["digest", "send", "legion-daily"],
    ):
        done = without_override("--config", str(config), *command)
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert done.stderr.splitlines() == [
            f"error: the state database {db} is read-only",
            f"hint: make {db}, its -wal and -shm files and the directory {db.parent} writable "
            "by user root (uid 0), the user news-monitor runs as (or remount its file system "
            "read-write); commands that only read (status, stories, export) work meanwhile",
        ], command
    daemon = without_override("--config", str(config), "run")  # it cannot even take its lock
    assert daemon.returncode == 1
    assert daemon.stderr.splitlines() == [
        f"error: cannot create the daemon lock {db.parent / 'daemon.lock'}: Permission denied",
        f"hint: make {db.parent} writable by user root (uid 0), the user news-monitor runs as",
    ]


def test_reading_commands_work_and_never_write(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the capabilities dropped here are root's")
    config, db = read_only_state(tmp_path)
    before = files(db.parent)
    assert sorted(before) == ["monitor.db"]  # no -wal and -shm after a clean close
    for command in READERS:
        done = without_override("--config", str(config), *command)
        assert done.returncode == 0, (command, done.stderr)
        assert files(db.parent) == before, command
    db.parent.chmod(0o755)  # a directory that could take a -wal and -shm: none is created
    for command in READERS:
        done = news_monitor("--config", str(config), *command)
        assert done.returncode == 0, (command, done.stderr)
        assert files(db.parent) == before, command  # nothing written, no -wal or -shm created
    shown = without_override("--config", str(config), "status")
    assert "Feed A" in shown.stdout
