"""A full state database mid-poll: the poll rolls back, the error is told once, work resumes.

In-process with the real store: SQLite's `PRAGMA max_page_count` (set on every connection, as
tests/faults.py does) makes the database unable to grow, so storing the articles fails with
SQLITE_FULL while the source's small in-place updates still fit, as on a nearly full disk.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from demosite import big_feed, conditional, write_config
from faults import no_room, on_connect
from httpserver import LocalServer
from monitor.app import App
from monitor.config import load_config


def room(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA max_page_count=1073741823")  # after no_room: space came back


def stored(app: App) -> int:
    with app.store.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM articles")).scalar_one())


def test_a_full_store_rolls_the_poll_back_tells_it_once_and_resumes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with LocalServer({"/big.rss": conditional(big_feed(), "application/rss+xml")}) as server:
        url = f"http://127.0.0.1:{server.port}/big.rss"
        feeds = f"- {{url: '{url}', name: World, full_text: never}}\n"
        app = App.open(load_config(write_config(tmp_path, feeds), {}))
        try:
            with app.store.connect() as conn:  # no free pages left inside the file either
                conn.exec_driver_sql("VACUUM")
            on_connect(app.store, no_room)
            caplog.set_level(logging.INFO, logger="monitor")
            for _ in range(3):
                (outcome,) = asyncio.run(app.poll(force=True))
                assert not outcome.ok and outcome.error == "the state database is full"
            assert stored(app) == 0  # nothing half-written
            errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
            assert errors == [
                "poll source=World stage=store error: the state database is full (hint: free "
                f"space on the disk of {app.store.where} or raise its quota or size limit; "
                "nothing of the failed write was kept, and the daemon goes on by itself once "
                "there is room)"
            ]

            on_connect(app.store, room)
            (outcome,) = asyncio.run(app.poll(force=True))
            assert outcome.ok and outcome.new_articles > 0
            assert stored(app) == outcome.new_articles
            assert f"store: {app.store.where} works again (after: the state database is full)" in [
                r.getMessage() for r in caplog.records
            ]
        finally:
            app.close()
