"""`state check` and `state backup`: SQLite's integrity check, and its online backup API.

Both read the state read-only (the same `mode=ro` open as the reading commands), so a damaged
file is never written to; the backup holds one read transaction for the whole copy, so it is a
consistent snapshot even while the daemon writes.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import StoreError
from monitor.store.db import read_only_uri
from monitor.store.faults import sqlite_fault
from monitor.store.statelock import writable_by

DB_NAME = "monitor.db"
MAX_PROBLEMS = 100  # integrity_check's own default: the first 100 problems


@dataclass(frozen=True)
class Integrity:
    """What `PRAGMA integrity_check` said about the state database at `path`."""

    path: Path
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Backup:
    """A finished backup: where it went and how large it is."""

    source: Path
    target: Path
    size: int


def sqlite_only(database_url: str | None, what: str, tool: str) -> None:
    if database_url:
        raise StoreError(
            f"`state {what}` works on a SQLite state; this one is PostgreSQL",
            f"use PostgreSQL's own tools: {tool}",
        )


def _database(state_dir: Path) -> Path:
    path = state_dir / DB_NAME
    if not path.is_file():
        raise StoreError(
            f"there is no state database at {path}",
            "check settings.state_dir (or MONITOR_STATE_DIR); a first `news-monitor poll` "
            "creates it",
        )
    return path


def _open(path: Path, lock_timeout: float) -> sqlite3.Connection:
    return sqlite3.connect(read_only_uri(path), uri=True, timeout=lock_timeout)


def check(state_dir: Path, lock_timeout: float = 15.0) -> Integrity:
    """Run `PRAGMA integrity_check` over the state; a file that is no database is a problem."""
    path = _database(state_dir)
    try:
        conn = _open(path, lock_timeout)
        try:
            rows = conn.execute(f"PRAGMA integrity_check({MAX_PROBLEMS})").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:  # not a database, or damaged past reading
        return Integrity(path, (str(exc),))
    found = tuple(str(r[0]) for r in rows)
    return Integrity(path, () if found == ("ok",) else found)


def backup(state_dir: Path, target: Path, lock_timeout: float = 15.0) -> Backup:
    """Copy the state to *target* (replaced as a whole once the copy is complete)."""
    path = _database(state_dir)
    forbidden = {path.resolve(), Path(f"{path}-wal").resolve(), Path(f"{path}-shm").resolve()}
    if target.resolve() in forbidden:
        raise StoreError(
            f"{target} is the state database itself", "name a backup file outside the state"
        )
    partial = target.with_name(target.name + ".partial")
    try:
        copy = sqlite3.connect(partial)
    except sqlite3.Error as exc:
        raise StoreError(
            f"cannot write the backup {target}: {exc}", f"choose a place {writable_by()}"
        ) from exc
    try:
        source = _open(path, lock_timeout)
        try:
            source.backup(copy)  # all pages in one step: one read transaction, one snapshot
        finally:
            source.close()
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    except sqlite3.Error as exc:
        copy.close()
        partial.unlink(missing_ok=True)
        fault = sqlite_fault(exc, str(path), lock_timeout)
        raise StoreError(f"cannot back up {path}: {fault.message}", fault.hint) from exc
    copy.close()
    os.replace(partial, target)
    return Backup(path, target, target.stat().st_size)
