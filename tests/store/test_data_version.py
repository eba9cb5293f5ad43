"""The state's data version (store/data_version.py): the same while nothing is committed, new
after a commit by another connection or another process, over SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa

from monitor.store.data_version import data_version
from monitor.store.db import Store
from monitor.store.mutes import mutes
from peers import T0


def _mute(store: Store, target: str) -> None:
    with store.begin() as conn:
        conn.execute(sa.insert(mutes).values(kind="topic", target=target, muted_at=T0))


def test_the_version_moves_with_each_commit_and_only_then(store: Store) -> None:
    version = data_version(store)
    first = version()
    assert first is not None
    with store.connect() as conn:  # a read commits nothing
        conn.execute(sa.select(mutes)).all()
    if store.dialect == "sqlite":  # PostgreSQL's WAL position also moves with others' writes
        assert version() == first
    _mute(store, "a")
    second = version()
    assert second is not None and second != first
    _mute(store, "b")
    assert version() not in (first, second)


def test_a_commit_by_another_process_moves_it(store: Store) -> None:
    version = data_version(store)
    before = version()
    url = store.url
    code = (
        "import sys, sqlalchemy as sa\n"
        "with sa.create_engine(sys.argv[1]).begin() as c:\n"
        '    c.execute(sa.text("INSERT INTO mutes (kind, target, muted_at) '
        "VALUES ('topic', 'x', '2024-05-02 06:00:00')\"))\n"
    )
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    subprocess.run([sys.executable, "-c", code, url], check=True, timeout=60)
    assert version() != before
