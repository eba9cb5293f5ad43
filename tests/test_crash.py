"""kill -9 in the middle of polling: state stays consistent and the next poll loses nothing."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from demosite import write_config
from httpserver import Exchange, Handler, LocalServer

FEEDS = 12
ITEMS = 5


def feed(index: int) -> bytes:
    items = "".join(
        f"<item><title>Story {index}-{n} about the legion</title>"
        f"<link>/articles/{index}/story-number-{n}-of-feed.html</link><guid>g{index}-{n}</guid>"
        f"<description>Short teaser {n}…</description></item>"
        for n in range(ITEMS)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{index}</title>{items}</channel></rss>'.encode()


def slow_page(ex: Exchange) -> None:
    ex.sleep(0.3)
    text = " ".join(["The Freedom of Russia Legion crossed the border near Belgorod."] * 20)
    body = f"<html><body><article><h1>{ex.request.path}</h1><p>{text}</p><p>{text}</p></article></body></html>"
    ex.send(200, body.encode(), {"Content-Type": "text/html"})


def done_sources(db: Path) -> int:
    """Sources polled so far; 0 while the child has not created the database or its tables."""
    try:
        return counts(db)[3] if db.exists() else 0
    except sqlite3.OperationalError:  # no such table yet, or locked by the writer for a moment
        return 0


class Routes(dict[str, Handler]):
    def get(self, key: str, default: Handler | None = None) -> Handler | None:  # type: ignore[override]
        if key.startswith("/articles/"):
            return slow_page
        return super().get(key, default)


def counts(db: Path) -> tuple[str, int, int, int, int]:
    with sqlite3.connect(db) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        distinct = conn.execute("SELECT count(DISTINCT canonical_url) FROM articles").fetchone()[0]
        done = conn.execute(
            "SELECT count(*) FROM sources WHERE last_success IS NOT NULL"
        ).fetchone()[0]
        linked = conn.execute(
            "SELECT count(*) FROM article_sources s JOIN sources f ON f.name = s.source "
            "WHERE f.last_success IS NULL"
        ).fetchone()[0]
    return integrity, articles, distinct, done, linked


def test_kill_during_poll_loses_nothing(tmp_path: Path) -> None:
    routes = Routes(
        {
            f"/feed{i}.rss": (
                lambda b: lambda ex: ex.send(200, b, {"Content-Type": "application/rss+xml"})
            )(feed(i))
            for i in range(FEEDS)
        }
    )
    with LocalServer(routes) as server:
        config = write_config(
            tmp_path,
            "".join(
                f"- {{url: '{server.url(f'/feed{i}.rss')}', name: F{i}}}\n" for i in range(FEEDS)
            ),
        )
        config.write_text(
            config.read_text().replace(
                "  extract_workers: 1\n", "  extract_workers: 1\n  concurrency: 3\n"
            )
        )
        cmd = [sys.executable, "-m", "monitor", "--config", str(config), "poll", "--all"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        db = tmp_path / "state" / "monitor.db"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and done_sources(db) < 2:
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        integrity, articles, distinct, done, linked = counts(db)
        assert integrity == "ok"
        assert 2 <= done < FEEDS  # killed in the middle
        assert articles == distinct == done * ITEMS  # every finished source has all its articles
        assert linked == 0  # and no unfinished source has any
        # leases of the killed run expire; a new run (forced) completes the rest
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        integrity, articles, distinct, done, _ = counts(db)
    assert integrity == "ok" and articles == distinct == FEEDS * ITEMS
