"""Opens the state database (SQLite WAL by default, PostgreSQL by URL) and migrates it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from monitor.errors import StoreError
from monitor.store import migrate
from monitor.store.faults import describe, translated

# UPSERT … RETURNING (document frequencies, counters) needs SQLite 3.35 (2021); CPython links
# the system's library, so an old distribution's Python can be below it.
SQLITE_MIN = (3, 35, 0)


def check_sqlite(version: tuple[int, ...] = sqlite3.sqlite_version_info) -> None:
    """A clear error where the SQLite library Python links is too old for the store."""
    if version < SQLITE_MIN:
        raise StoreError(
            f"SQLite {'.'.join(map(str, version))} is too old for the state database "
            f"(needs {'.'.join(map(str, SQLITE_MIN))} or newer)",
            "use a Python built with a newer SQLite, or PostgreSQL via settings.database_url",
        )


def sqlite_url(state_dir: Path) -> str:
    return f"sqlite:///{state_dir / 'monitor.db'}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    if not isinstance(dbapi_conn, sqlite3.Connection):
        return
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; WAL keeps it consistent
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    # 64 MiB page cache (default 2 MiB): the LSH band and posting indexes are read at random
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


class Store:
    """The state database: an engine plus transactions. Queries live in the sibling modules."""

    def __init__(self, url: str, *, migrate_on_open: bool = True) -> None:
        self.url = url
        try:
            if url.startswith("sqlite"):
                check_sqlite()
                self.engine = sa.create_engine(url, connect_args={"timeout": 15})
                sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                if url.startswith("postgresql://"):
                    url = "postgresql+psycopg://" + url[len("postgresql://") :]
                self.engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5)
            if migrate_on_open:
                self.version = migrate.upgrade(self.engine)
        except sa.exc.SQLAlchemyError as exc:
            fault = describe(exc, self.where)
            raise StoreError(
                f"cannot open the state database {self.safe_url}: "
                + (
                    fault.message
                    if fault
                    else f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"
                ),
                fault.hint
                if fault
                else "check settings.state_dir / settings.database_url and that the database is reachable",
            ) from exc

    @classmethod
    def open(cls, state_dir: Path, database_url: str | None = None) -> Store:
        if database_url:
            return cls(database_url)
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the state directory {state_dir}: {exc.strerror}",
                "set settings.state_dir or MONITOR_STATE_DIR to a writable directory",
            ) from exc
        return cls(sqlite_url(state_dir))

    @property
    def safe_url(self) -> str:
        """The URL with any password masked, for logs and messages."""
        return sa.make_url(self.url).render_as_string(hide_password=True)

    @property
    def where(self) -> str:
        """The database file (SQLite) or the masked URL (PostgreSQL), for messages and hints."""
        if self.url.startswith("sqlite"):
            return sa.make_url(self.url).database or self.safe_url
        return self.safe_url

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def translated(self) -> AbstractContextManager[None]:
        """Database failures inside leave as a StoreError with a hint (for work on `engine`)."""
        return translated(self.where)

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """One transaction: committed on success, rolled back on any exception.

        A database failure (in the body or at commit) leaves as a StoreError with a hint."""
        with translated(self.where), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        """A connection without a transaction of its own; failures leave as a StoreError."""
        with translated(self.where), self.engine.connect() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()
