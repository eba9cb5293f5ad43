"""Plain DBAPI statements for the per-article stages (run once per stored article).

The stages' statements are plain SQL on the transaction's own DBAPI connection: no per-call
statement construction or parameter processing, with the store's datetime conversion applied
explicitly. The SQL text may be cached by the caller; nothing here holds store state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from monitor.store.story_tables import stories

_CONVERT: dict[tuple[str, bool], Any] = {}


def run(conn: sa.Connection, sql: str, params: Sequence[Any]) -> list[Any]:
    """Execute *sql* once on the transaction's DBAPI connection; its rows (none for a write)."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []
    finally:
        cursor.close()


def run_many(conn: sa.Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Execute a write once per parameter row (the driver's executemany)."""
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def time_codec(conn: sa.Connection, result: bool) -> Any:
    """The store's datetime conversion (UTCDateTime) to (*result* False) or from this driver's
    form."""
    key = (conn.dialect.name, result)
    if key not in _CONVERT:
        kind = stories.c.last_seen.type.dialect_impl(conn.dialect)
        process = (
            kind.result_processor(conn.dialect, None)
            if result
            else kind.bind_processor(conn.dialect)
        )
        _CONVERT[key] = process or (lambda value: value)
    return _CONVERT[key]
