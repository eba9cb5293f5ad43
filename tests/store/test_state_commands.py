"""`state check`, `state backup` and damaged state files, through the installed console script."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from console import news_monitor
from demosite import write_config

FEEDS = "- {url: 'http://127.0.0.1:9/a.rss', name: Feed A}\n"


def made(tmp_path: Path) -> tuple[Path, Path]:
    """A config and its state database, created and synced by a writing command."""
    config = write_config(tmp_path, FEEDS)
    done = news_monitor("--config", str(config), "import", "/dev/null")
    assert done.returncode == 0, done.stderr
    return config, tmp_path / "state" / "monitor.db"


def damage(path: Path, kind: str) -> None:
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[16:18], "big")  # the page size, from the header
    if kind == "truncated":
        data = data[: len(data) // 3]
    elif kind == "garbage header":
        data[:16] = b"not a database!!"
    else:  # every other page after the first three overwritten
        for page in range(3, len(data) // size, 2):
            data[page * size : (page + 1) * size] = b"\xa5" * size
    path.write_bytes(bytes(data))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", ["truncated", "garbage header", "bad pages"])
def test_every_command_tells_a_damaged_state_and_never_writes_it(tmp_path: Path, kind: str) -> None:
    config, db = made(tmp_path)
    damage(db, kind)
    before = digest(db)
    for command in (["status"], ["poll"], ["stories"], ["export"], ["topics", "test", "Legion"]):
        done = news_monitor("--config", str(config), *command)
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert done.stderr.startswith(
            f"error: the state database {db} is damaged or is not a news-monitor database\n"
            "hint: `news-monitor state check` shows the damage; to restore,"
        ), (command, done.stderr)
        assert "Traceback" not in done.stderr
    checked = news_monitor("--config", str(config), "state", "check")
    assert checked.returncode == 1
    assert checked.stdout.startswith(f"{db}: damaged, 1 problem(s):\n")
    assert digest(db) == before  # never overwritten, never "repaired"
    assert sorted(p.name for p in db.parent.iterdir()) == ["monitor.db"]


def test_a_backup_is_consistent_beside_a_writer_and_restores(tmp_path: Path) -> None:
    """A second connection holds a write transaction (as the daemon mid-poll would), with a
    committed row still in the WAL: the backup has the committed row, not the open one."""
    config, db = made(tmp_path)
    writer = sqlite3.connect(db, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("UPDATE sources SET name = 'Committed' WHERE name = 'Feed A'")
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE sources SET name = 'Uncommitted' WHERE name = 'Committed'")
        done = news_monitor("--config", str(config), "state", "backup", str(tmp_path / "b.db"))
    finally:
        writer.close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"backed up {db} to {tmp_path / 'b.db'} (")
    copy = sqlite3.connect(tmp_path / "b.db")
    assert copy.execute("SELECT name FROM sources").fetchall() == [("Committed",)]
    copy.close()

    damage(db, "garbage header")  # restore as docs/cli.md says: move it away, copy the backup
    db.rename(tmp_path / "damaged.db")
    (tmp_path / "b.db").rename(db)
    checked = news_monitor("--config", str(config), "state", "check")
    assert (
        checked.returncode == 0
        and checked.stdout == f"{db}: ok (PRAGMA integrity_check found no damage)\n"
    )


def test_backup_refuses_to_write_over_the_state(tmp_path: Path) -> None:
    config, db = made(tmp_path)
    before = digest(db)
    done = news_monitor("--config", str(config), "state", "backup", str(db))
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {db} is the state database itself\n")
    assert digest(db) == before
