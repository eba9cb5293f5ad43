"""Shared fixtures: a store over every backend (SQLite, PostgreSQL when present), paths to data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from demosite import site_routes
from httpserver import LocalServer
from monitor.store import Store
from shared import PG_URL, pg_skip_reason


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    reason = pg_skip_reason()
    if reason:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same store contract over SQLite and PostgreSQL."""
    if request.param == "sqlite":
        s = Store.open(tmp_path / "state")
    else:
        s = Store(request.getfixturevalue("pg_url"))
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """The demo news site of tests/data/site on loopback (routes may be added per test)."""
    with LocalServer(site_routes()) as srv:
        yield srv


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "state")
    try:
        yield s
    finally:
        s.close()
