"""Real SQLite faults for tests: per-connection pragmas that make the database full or quick to lock."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from monitor.store import Store


def on_connect(store: Store, pragma: Callable[[sqlite3.Connection], None]) -> None:
    """Run *pragma* on every new connection of the store (after its own), from now on."""

    def listener(dbapi_conn: Any, _record: Any) -> None:
        pragma(dbapi_conn)

    sa.event.listen(store.engine, "connect", listener)
    store.engine.dispose()  # the pooled connections predate the listener


def no_room(conn: sqlite3.Connection) -> None:
    """The database may not grow by one page: SQLite's "database or disk is full"."""
    (pages,) = conn.execute("PRAGMA page_count").fetchone()
    conn.execute(f"PRAGMA max_page_count={pages}")


def short_busy_timeout(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA busy_timeout=200")
