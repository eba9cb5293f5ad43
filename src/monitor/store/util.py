"""Small portable helpers over SQLite and PostgreSQL dialect differences."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """*items* in slices of *size*: an ``IN`` list per slice stays under the drivers' limits."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


# advisory lock keys (PostgreSQL): one migrator, one config sync at a time across processes
MIGRATE_LOCK = 727274
SYNC_LOCK = 727275
STAGES_LOCK = 727276  # the per-article stages: one transaction at a time (ingest/stages.py)


def one_at_a_time(conn: sa.Connection, key: int) -> None:
    """On PostgreSQL, wait for the transaction-scoped advisory lock *key*: processes that start
    together (several daemons or workers on one database) take turns until this transaction
    ends. SQLite's single writer serialises such transactions already."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def param_mark(conn: sa.Connection) -> str:
    """The DBAPI placeholder of this driver, for SQL written by hand (sqlite3 ``?``, psycopg
    ``%s``)."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def insert_or_ignore(conn: sa.Connection, table: sa.Table) -> Any:
    """This dialect's ``INSERT … ON CONFLICT DO NOTHING`` on *table* (the one dialect switch)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def insert_ignore(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]] | Mapping[str, Any],
) -> int:
    """INSERT … ON CONFLICT DO NOTHING; returns how many rows were inserted."""
    if not rows:
        return 0
    result = conn.execute(
        insert_or_ignore(conn, table), rows if isinstance(rows, Sequence) else [rows]
    )
    return max(int(result.rowcount or 0), 0)


def insert_ignore_returning_id(
    conn: sa.Connection, table: sa.Table, values: Mapping[str, Any]
) -> int | None:
    """Insert one row unless it conflicts; its new id, or None when it existed.

    The statement takes its values as parameters, so SQLAlchemy compiles it once per dialect.
    """
    stmt = insert_or_ignore(conn, table)
    value = conn.execute(stmt.returning(table.c.id), dict(values)).scalar()
    return None if value is None else int(value)
