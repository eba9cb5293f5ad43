"""What a failing database means to the user: SQLAlchemy and driver errors as StoreError + hint.

The store's boundary (`Store.begin`, `Store.connect`, `Store.translated`) turns an operational
failure — a lock held too long, a full disk, a lost PostgreSQL connection — into a `StoreError`
that says what happened and what to do, chained to the original. Errors that mean a bug in our
SQL (IntegrityError, ProgrammingError, DataError, NotSupportedError) are left as they are: they
deserve a traceback, not a hint.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from monitor.errors import StoreError
from monitor.store.statelock import holder, writable_by

# SQLite primary result codes (https://www.sqlite.org/rescode.html)
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR = 5, 6, 8, 10
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 11, 13, 14, 26

# SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html)
PG_LOST = ("57P01", "57P02", "57P03")  # admin/crash shutdown, cannot connect now
PG_CONFLICT = ("40001", "40P01")  # serialization failure, deadlock


@dataclass(frozen=True)
class Fault:
    """One database failure in plain words, and what to do about it."""

    message: str
    hint: str


def _locked(where: str, wait: float) -> Fault:
    running = holder(Path(where).parent)
    who = (
        f"the daemon ({running}) runs on this state and may hold it; "
        if running and running.pid != os.getpid()
        else ""
    )
    return Fault(
        "the database is locked by another process",
        f"another process held a write lock on {where} for longer than {wait:g} s; {who}"
        f"a second command, a backup or an sqlite3 shell may too. Let it finish or stop it "
        f"(`fuser {where}` lists who has it open), and run one daemon per state directory",
    )


def _sqlite(code: int | None, where: str, wait: float) -> Fault | None:
    primary = None if code is None else code & 0xFF
    folder = Path(where).parent
    if primary in (SQLITE_BUSY, SQLITE_LOCKED):
        return _locked(where, wait)
    if primary == SQLITE_FULL:
        return Fault(
            "the state database is full",
            f"free space on the disk of {where} or raise its quota or size limit; nothing of "
            f"the failed write was kept, and the daemon goes on by itself once there is room",
        )
    if primary == SQLITE_READONLY:
        return Fault(
            f"the state database {where} is read-only",
            f"make {where}, its -wal and -shm files and the directory {folder} "
            f"{writable_by()} (or remount its file system read-write); commands that only "
            f"read (status, stories, export) work meanwhile",
        )
    if primary == SQLITE_IOERR:
        return Fault(
            "the disk could not read or write the database (I/O error)",
            f"check the disk and file system of {where}: free space, a file size limit, a "
            f"network mount that went away, the kernel log",
        )
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return Fault(
            f"the state database {where} is damaged or is not a news-monitor database",
            "`news-monitor state check` shows the damage; to restore, stop the daemon, move "
            "the file and its -wal and -shm away, and copy a backup made by `news-monitor "
            "state backup` in its place (or start afresh without it)",
        )
    if primary == SQLITE_CANTOPEN:
        return Fault(
            f"cannot open the state database {where}",
            f"check that {folder} exists and is {writable_by()}",
        )
    return None


def sqlite_fault(exc: sqlite3.Error, where: str, wait: float = 15.0) -> Fault:
    """A raw sqlite3 error (the backup API, `state check`) in plain words."""
    detail = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    known = _sqlite(getattr(exc, "sqlite_errorcode", None), where, wait)
    return known or Fault(f"the database failed: {detail}", f"check the database at {where}")


def _postgresql(exc: sa.exc.DBAPIError, state: str | None, where: str) -> Fault | None:
    if exc.connection_invalidated or state in PG_LOST:
        return Fault(
            "lost the connection to PostgreSQL",
            f"check that the server at {where} is running and reachable; work that failed "
            f"is tried again on its next turn",
        )
    if state is None or state.startswith("08"):
        return Fault(
            "cannot connect to PostgreSQL",
            f"check that the server at {where} is running, reachable and accepts this user",
        )
    if state.startswith("28"):
        return Fault("PostgreSQL refused the login", f"check the user and password in {where}")
    if state == "53100":
        return Fault("the PostgreSQL server's disk is full", "free space on the database server")
    if state == "53300":
        return Fault(
            "PostgreSQL refuses more connections",
            "raise max_connections on the server, or run fewer news-monitor processes",
        )
    if state == "55P03":
        return Fault(
            "the database is locked by another session",
            f"another session holds a lock on the tables at {where} past lock_timeout; let it "
            f"finish or end it (pg_stat_activity shows who)",
        )
    if state in PG_CONFLICT:
        return Fault(
            "the write collided with another session (deadlock or serialization failure)",
            "it is tried again on its next turn; if it keeps happening, please report it",
        )
    if state == "25006":
        return Fault(
            "the database is read-only (a standby server?)",
            f"point settings.database_url at the primary server, not {where}",
        )
    return None


def describe(exc: sa.exc.SQLAlchemyError, where: str, wait: float = 15.0) -> Fault | None:
    """The fault *exc* means, at *where* (a path or a password-masked URL); None for our bugs.

    *wait*: the seconds a statement waits for a lock (settings.lock_timeout)."""
    if isinstance(exc, sa.exc.DBAPIError):
        if (
            isinstance(
                exc,
                sa.exc.IntegrityError
                | sa.exc.ProgrammingError
                | sa.exc.DataError
                | sa.exc.NotSupportedError,
            )
            and not exc.connection_invalidated
        ):
            return None
        orig = exc.orig
        if isinstance(orig, sqlite3.Error):
            known = _sqlite(getattr(orig, "sqlite_errorcode", None), where, wait)
        else:
            known = _postgresql(exc, getattr(orig, "sqlstate", None), where)
        detail = str(orig).splitlines()[0] if str(orig) else orig.__class__.__name__
        return known or Fault(f"the database failed: {detail}", f"check the database at {where}")
    if isinstance(exc, sa.exc.TimeoutError):
        return Fault(
            "no database connection came free in time",
            "too much runs at once for the connection pool; lower settings.concurrency",
        )
    if isinstance(exc, sa.exc.DisconnectionError):
        return Fault("lost the connection to the database", f"check the database at {where}")
    return None


class Outage:
    """A store fault told once: the first failure of its kind is logged as an error, repeats
    (every source, every tick, while the disk stays full) only at debug level, and the first
    commit after it says that the store works again."""

    def __init__(self) -> None:
        self._fault: str | None = None
        self._lock = threading.Lock()

    def first(self, exc: StoreError) -> bool:
        """Whether *exc* starts a new outage (log it as an error) or repeats the current one."""
        with self._lock:
            new = self._fault != exc.message
            self._fault = exc.message
            return new

    def ended(self) -> str | None:
        """After a commit: the fault that just ended, once; None when there was none."""
        with self._lock:
            fault, self._fault = self._fault, None
            return fault


@contextmanager
def translated(where: str, wait: float = 15.0) -> Iterator[None]:
    """Inside: operational database errors leave as a StoreError chained to the original."""
    try:
        yield
    except sa.exc.SQLAlchemyError as exc:
        fault = describe(exc, where, wait)
        if fault is None:
            raise
        raise StoreError(fault.message, fault.hint) from exc
