"""Real database faults leave the store as a StoreError with a hint: full, locked, connection lost."""

from __future__ import annotations

import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from demosite import write_config
from faults import no_room, on_connect, short_busy_timeout
from monitor.errors import StoreError
from monitor.store import Store
from monitor.store import sources as source_store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MANY = [(f"Source {i}", f"http://127.0.0.1:9/{i}.rss", "feed") for i in range(2000)]


@contextmanager
def write_locked(path: Path) -> Iterator[None]:
    """Another process's view: a second connection holding the write lock."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
    finally:
        other.close()


def test_a_full_database_is_a_store_error_with_a_hint(sqlite_store: Store) -> None:
    on_connect(sqlite_store, no_room)
    with pytest.raises(StoreError) as info, sqlite_store.begin() as conn:
        source_store.sync(conn, MANY, NOW)
    assert info.value.message == "the state database is full"
    assert "free space" in (info.value.hint or "") and sqlite_store.where in (info.value.hint or "")
    assert isinstance(info.value.__cause__, sa.exc.OperationalError)  # the chain is kept
    with sqlite_store.connect() as conn:
        assert source_store.all_sources(conn) == []  # rolled back


def test_a_database_locked_by_another_process_is_a_store_error(sqlite_store: Store) -> None:
    on_connect(sqlite_store, short_busy_timeout)
    started = time.monotonic()
    with write_locked(Path(sqlite_store.where)):
        with pytest.raises(StoreError) as info, sqlite_store.begin() as conn:
            source_store.sync(conn, MANY[:1], NOW)
        with sqlite_store.connect() as conn:  # WAL: reading goes on beside the writer
            assert source_store.all_sources(conn) == []
    assert time.monotonic() - started < 10
    assert info.value.message == "the database is locked by another process"
    assert "write lock" in (info.value.hint or "")
    with sqlite_store.begin() as conn:  # the lock is gone: the store works again
        source_store.sync(conn, MANY[:1], NOW)


def test_errors_of_our_own_sql_are_not_dressed_up(sqlite_store: Store) -> None:
    with pytest.raises(sa.exc.IntegrityError), sqlite_store.begin() as conn:
        source_store.sync(conn, MANY[:1], NOW)
        conn.execute(
            sa.text("INSERT INTO sources (id, name, url) SELECT id, name, url FROM sources")
        )


def test_a_lost_postgresql_connection_is_a_store_error(pg_url: str) -> None:
    store = Store(pg_url)
    admin = sa.create_engine(pg_url)
    try:
        with pytest.raises(StoreError) as info, store.begin() as conn:
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            with admin.begin() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            source_store.sync(conn, MANY[:1], NOW)
        assert info.value.message == "lost the connection to PostgreSQL"
        assert "running and reachable" in (info.value.hint or "")
        assert "postgres@127.0.0.1" in (info.value.hint or "")
        assert isinstance(info.value.__cause__, sa.exc.DBAPIError)
        with store.begin() as conn:  # the pool lets the dead connection go and takes a new one
            source_store.sync(conn, MANY[:1], NOW)
    finally:
        store.close()
        admin.dispose()


def test_a_postgresql_table_locked_past_lock_timeout_is_a_store_error(pg_url: str) -> None:
    store = Store(pg_url + "%20-clock_timeout%3D200")
    admin = sa.create_engine(pg_url)
    try:
        with admin.begin() as other:
            other.execute(sa.text("LOCK TABLE sources IN ACCESS EXCLUSIVE MODE"))
            with pytest.raises(StoreError) as info, store.begin() as conn:
                source_store.sync(conn, MANY[:1], NOW)
        assert info.value.message == "the database is locked by another session"
        assert "pg_stat_activity" in (info.value.hint or "")
    finally:
        store.close()
        admin.dispose()


def test_the_cli_tells_a_failing_disk_without_a_traceback(tmp_path: Path) -> None:
    """`import` (a writing command: it syncs the 400 sources) over a store whose file may not
    grow (RLIMIT_FSIZE: the kernel refuses the write)."""
    feeds = "".join(
        f"- {{url: 'http://127.0.0.1:9/{i}.rss', name: Feed {i}}}\n" for i in range(400)
    )
    config = write_config(tmp_path, feeds)
    Store.open(tmp_path / "state").close()  # migrated; the sync of 400 sources is yet to write

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, not kills
        resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))

    argv = [sys.executable, "-m", "monitor", "--config", str(config), "import", "-"]
    failed = subprocess.run(
        argv, capture_output=True, text=True, timeout=60, preexec_fn=small_files, input=""
    )
    assert failed.returncode == 1, failed.stderr
    assert failed.stderr.splitlines() == [
        "error: the disk could not read or write the database (I/O error)",
        f"hint: check the disk and file system of {tmp_path / 'state' / 'monitor.db'}: free space, "
        "a file size limit, a network mount that went away, the kernel log",
    ]
    again = subprocess.run(argv, capture_output=True, text=True, timeout=60, input="")
    assert again.returncode == 0, again.stderr
    status = subprocess.run([*argv[:-2], "status"], capture_output=True, text=True, timeout=60)
    assert "Feed 399" in status.stdout  # nothing was left half-written
