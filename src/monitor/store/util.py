"""Small portable helpers over SQLite and PostgreSQL dialect differences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignore(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]] | Mapping[str, Any],
) -> int:
    """INSERT … ON CONFLICT DO NOTHING; returns how many rows were inserted."""
    if not rows:
        return 0
    stmt: Any
    if conn.dialect.name == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(table).on_conflict_do_nothing()
    result = conn.execute(stmt, rows if isinstance(rows, Sequence) else [rows])
    return max(int(result.rowcount or 0), 0)


def insert_ignore_returning_id(
    conn: sa.Connection, table: sa.Table, values: Mapping[str, Any]
) -> int | None:
    """Insert one row unless it conflicts; its new id, or None when it existed.

    The statement takes its values as parameters, so SQLAlchemy compiles it once per dialect.
    """
    stmt: Any
    if conn.dialect.name == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(table).on_conflict_do_nothing()
    value = conn.execute(stmt.returning(table.c.id), dict(values)).scalar()
    return None if value is None else int(value)
