"""A poll that meets a real database fault: logged as stage=store, recorded on the source."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from demosite import conditional, write_config
from faults import no_room, on_connect
from httpserver import LocalServer
from monitor.app import App
from monitor.config import load_config
from monitor.ingest.pipeline import PollOutcome
from monitor.models import Article
from monitor.store import Store
from monitor.store import sources as source_store
from monitor.store.schema import articles


def poll_world(app: App) -> tuple[PollOutcome, source_store.SourceRow]:
    (outcome,) = asyncio.run(app.poll(force=True))
    with app.store.connect() as conn:
        (row,) = source_store.all_sources(conn, ["World"])
        assert conn.execute(sa.select(sa.func.count()).select_from(articles)).scalar() == 0
    return outcome, row


def world(tmp_path: Path, server: LocalServer, path: str = "/world.rss") -> Path:
    return write_config(tmp_path, f"- {{url: '{server.url(path)}', name: World}}\n")


def long_feed() -> bytes:
    """Five entries of ~20 kB each: storing them takes new pages, not the schema's spare room."""
    text = " ".join(["The Freedom of Russia Legion crossed the border near Belgorod."] * 300)
    items = "".join(
        f"<item><title>Long story {n}</title><link>/articles/long-{n}.html</link>"
        f"<description>{text} ({n})</description></item>"
        for n in range(5)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>L</title>{items}</channel></rss>'.encode()


def test_a_full_disk_mid_poll_is_logged_as_the_store_and_shown_on_the_source(
    tmp_path: Path, server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.routes["/long.rss"] = conditional(long_feed(), "application/rss+xml")
    app = App.open(load_config(world(tmp_path, server, "/long.rss"), {}))
    try:
        on_connect(app.store, no_room)
        with caplog.at_level(logging.INFO, logger="monitor"):
            outcome, row = poll_world(app)
    finally:
        app.close()
    assert not outcome.ok and outcome.error == "the state database is full"
    assert (
        "poll source=World stage=store error: the state database is full (hint: free space"
        in caplog.text
    )
    assert "internal error" not in caplog.text and "Traceback" not in caplog.text
    assert (
        row.last_error == "the state database is full" and row.error_count == 1
    )  # what `status` shows


class CutsItsConnection:
    """A stage whose PostgreSQL backend is terminated (from a second connection) mid-commit."""

    name = "cut"

    def __init__(self, url: str) -> None:
        self.admin = sa.create_engine(url)

    def process(
        self, conn: sa.Connection, article_id: int, article: Article, now: datetime
    ) -> None:
        pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with self.admin.begin() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            alive = sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
            deadline = time.monotonic() + 10
            while other.execute(alive, {"pid": pid}).scalar() and time.monotonic() < deadline:
                time.sleep(0.05)


def test_postgresql_gone_mid_poll_is_logged_as_the_store_and_shown_on_the_source(
    tmp_path: Path, server: LocalServer, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = App.open(load_config(world(tmp_path, server), {}), Store(pg_url))
    cut = CutsItsConnection(pg_url)
    app.stages = [cut, *app.stages]
    try:
        with caplog.at_level(logging.INFO, logger="monitor"):
            outcome, row = poll_world(app)
    finally:
        app.close()
        cut.admin.dispose()
    message = "lost the connection to PostgreSQL"
    assert not outcome.ok and outcome.error == message
    assert f"poll source=World stage=store error: {message} (hint: check that" in caplog.text
    assert row.last_error == message and row.error_count == 1  # recorded on a new connection
