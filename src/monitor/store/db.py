"""Opens the state database (SQLite WAL by default, PostgreSQL by URL) and migrates it."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from monitor.errors import StoreError
from monitor.store import migrate
from monitor.store.faults import Outage, describe, translated
from monitor.store.statelock import writable_by

# UPSERT … RETURNING (document frequencies, counters) needs SQLite 3.35 (2021); CPython links
# the system's library, so an old distribution's Python can be below it.
SQLITE_MIN = (3, 35, 0)

log = logging.getLogger(__name__)


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


SQLITE_CACHE_KIB = 32 * 1024  # page cache per SQLite connection
SQLITE_POOL = 2  # SQLite connections kept open between uses (the rest are closed on return)


def _pragmas(lock_timeout: float, read_only: bool) -> Any:
    """The per-connection settings: WAL (not for a read-only connection), waits bounded."""

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        if not isinstance(dbapi_conn, sqlite3.Connection):
            return
        cursor = dbapi_conn.cursor()
        if not read_only:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; WAL: consistent
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        # 32 MiB page cache (default 2 MiB): the LSH band and posting indexes are read at random.
        # Each connection has its own, filled as the database grows, so the pool keeps only two
        # (SQLITE_POOL): a cache the size of the database per pooled connection is what made
        # the daemon's RSS grow in bench/soak.py (docs/reliability.md)
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    return on_connect


def read_only_uri(path: Path, live: bool = False) -> str:
    """A `mode=ro` URI for *path*; `immutable` too when no -wal file exists, so that reading
    creates no -wal or -shm file (a running writer keeps its -wal; without one, nothing is
    waiting to be checkpointed). *live* (a reader that stays open, the web app): never
    `immutable`, which would not see what a writer started later commits."""
    uri = f"file:{quote(str(path.absolute()))}?mode=ro"
    if not live and not Path(f"{path}-wal").exists():
        uri += "&immutable=1"
    return uri


def _pg_options(url: str, read_only: bool) -> dict[str, str]:
    """A read-only store's sessions refuse writes; the URL's own `options` are kept."""
    if not read_only:
        return {}
    given = sa.make_url(url).query.get("options", "")
    return {"options": f"{given if isinstance(given, str) else ' '.join(given)} -c "
            "default_transaction_read_only=on".strip()}  # fmt: skip


class Store:
    """The state database: an engine plus transactions. Queries live in the sibling modules."""

    def __init__(
        self,
        url: str,
        *,
        migrate_on_open: bool = True,
        read_only: bool = False,
        lock_timeout: float = 15.0,
        live: bool = False,
    ) -> None:
        self.url = url
        self.read_only = read_only
        self.outage = Outage()  # a fault that repeats is logged once (`log_fault`)
        self.lock_timeout = lock_timeout
        try:
            if url.startswith("sqlite"):
                check_sqlite()
                self.engine = self._sqlite_engine(url, read_only, lock_timeout, live)
            else:
                if url.startswith("postgresql://"):
                    url = "postgresql+psycopg://" + url[len("postgresql://") :]
                self.engine = sa.create_engine(
                    url, pool_pre_ping=True, pool_size=5, connect_args=_pg_options(url, read_only)
                )
            if read_only:
                self.version = self._readable_version()
            elif migrate_on_open:
                self.version = migrate.upgrade(self.engine)
        except sa.exc.SQLAlchemyError as exc:
            fault = describe(exc, self.where, lock_timeout)
            said = (
                fault.message if fault else f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"
            )
            raise StoreError(
                said
                if self.where in said  # it names the database already
                else f"cannot open the state database {self.safe_url}: {said}",
                fault.hint
                if fault
                else "check settings.state_dir / settings.database_url and that the database is reachable",
            ) from exc

    @staticmethod
    def _sqlite_engine(url: str, read_only: bool, lock_timeout: float, live: bool) -> sa.Engine:
        if read_only:
            uri = read_only_uri(Path(sa.make_url(url).database or ""), live)
            engine = sa.create_engine(
                "sqlite://",
                poolclass=sa.pool.QueuePool,  # not the in-memory URL's one connection per thread
                creator=lambda: sqlite3.connect(
                    uri, uri=True, timeout=lock_timeout, check_same_thread=False
                ),
            )
        else:
            engine = sa.create_engine(
                url,
                connect_args={"timeout": lock_timeout},
                pool_size=SQLITE_POOL,  # kept open, with their caches: the most recent first
                max_overflow=15 - SQLITE_POOL,  # as many at once as before (5 + 10)
                pool_use_lifo=True,
            )
        sa.event.listen(engine, "connect", _pragmas(lock_timeout, read_only))
        return engine

    def _readable_version(self) -> int:
        """A read-only store's schema version; one older than this code cannot be read."""
        with self.engine.connect() as conn:
            version = migrate.current_version(conn)
        if version < migrate.newest_version():
            raise StoreError(
                f"the state database {self.where} is older than this news-monitor "
                f"(schema {version}, needs {migrate.newest_version()})",
                "run any writing command once (`news-monitor poll`, or start the daemon) to "
                "upgrade it; commands that only read do not",
            )
        return version

    @classmethod
    def open(
        cls,
        state_dir: Path,
        database_url: str | None = None,
        *,
        read_only: bool = False,
        lock_timeout: float = 15.0,
        live: bool = False,
    ) -> Store:
        """The configured store; *read_only*: never written, not migrated (a state that does
        not exist yet is created as by a writing command, so there is something to read);
        *live*: a reader that stays open sees what writers commit later (`read_only_uri`)."""
        if database_url:
            return cls(database_url, read_only=read_only, lock_timeout=lock_timeout)
        if read_only and (state_dir / "monitor.db").is_file():
            return cls(sqlite_url(state_dir), read_only=True, lock_timeout=lock_timeout, live=live)
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the state directory {state_dir}: {exc.strerror}",
                f"set settings.state_dir or MONITOR_STATE_DIR to a directory {writable_by()}",
            ) from exc
        return cls(sqlite_url(state_dir), lock_timeout=lock_timeout)

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
        return translated(self.where, self.lock_timeout)

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """One transaction: committed on success, rolled back on any exception.

        A database failure (in the body or at commit) leaves as a StoreError with a hint."""
        with translated(self.where, self.lock_timeout), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        """A connection without a transaction of its own; failures leave as a StoreError."""
        with translated(self.where, self.lock_timeout), self.engine.connect() as conn:
            yield conn

    def ping(self) -> None:
        """A trivial statement; a StoreError when the store cannot answer (readyz, watchdog)."""
        with self.connect() as conn:
            conn.execute(sa.select(sa.literal(1))).scalar_one()

    def log_fault(self, exc: StoreError, what: str, *args: object) -> None:
        """Log *exc* as `WHAT: MESSAGE (hint: HINT)`: an error the first time, debug while the
        same fault repeats (a full disk fails every poll and every tick until there is room)."""
        level = logging.ERROR if self.outage.first(exc) else logging.DEBUG
        log.log(level, what + ": %s (hint: %s)", *args, exc.message, exc.hint)

    def recovered(self) -> None:
        """The work that failed went through: say once that the store works again."""
        ended = self.outage.ended()
        if ended:
            log.warning("store: %s works again (after: %s)", self.where, ended)

    def close(self) -> None:
        self.engine.dispose()
