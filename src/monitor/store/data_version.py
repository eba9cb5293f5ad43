"""The state's data version: a value that changes whenever a transaction commits a change to
the database, from this process or any other, so that a reader may keep what it computed for as
long as the value stays the same (the web app's answers, /metrics' totals).

SQLite: `PRAGMA data_version` on a connection of its own, which changes when any other
connection commits. PostgreSQL: the server's current WAL position, which moves with every
committed write (of any database on the server: it changes more often than needed, never less).
None when the version cannot be read: keep nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from monitor.store.db import Store


def data_version(store: Store) -> Callable[[], object | None]:
    """A probe of *store*'s data version (cheap: one statement, no table read)."""
    if store.dialect == "sqlite":
        return _SqliteVersion(store)
    return _PostgresVersion(store)


class _SqliteVersion:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()
        self.conn: Any = None

    def __call__(self) -> object | None:
        with self.lock:
            try:
                if self.conn is None:
                    raw = self.store.engine.raw_connection()
                    raw.detach()  # its own: never handed to a query, so every commit is another's
                    self.conn = raw
                cursor = self.conn.cursor()
                try:
                    cursor.execute("PRAGMA data_version")
                    return int(cursor.fetchone()[0])
                finally:
                    cursor.close()
            except Exception:  # noqa: BLE001 - a version that cannot be read keeps nothing
                self.close()
                return None

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # noqa: BLE001, S110 - closing a broken connection
                pass
            self.conn = None


class _PostgresVersion:
    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self) -> object | None:
        try:
            with self.store.engine.connect() as conn:
                return str(conn.execute(sa.text("SELECT pg_current_wal_lsn()")).scalar_one())
        except sa.exc.SQLAlchemyError:
            return None
