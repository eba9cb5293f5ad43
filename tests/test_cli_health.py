"""Source health as `status` tells it, through the installed `news-monitor`: degraded and failed,
skipped items and why, empty sources, the last poll's duration, errors as sentences."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from console import news_monitor
from demosite import write_config
from httpserver import Exchange, LocalServer, respond

RSS = "application/rss+xml"


def rss(*links: str) -> bytes:
    items = "".join(
        f"<item><title>Item {n}</title><link>{link}</link>"
        f"<description>Short text of item {n}.</description></item>"
        for n, link in enumerate(links)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    ).encode()


FIVE = rss(*(f"http://news.example/a{n}" for n in range(5)))
CUT = FIVE[: FIVE.index(b"<item><title>Item 4")]  # four items, then the end


def cut_short(ex: Exchange) -> None:
    """Declare the whole feed, send four items of it, hang up."""
    ex.start(200, {"Content-Type": RSS, "Content-Length": str(len(FIVE))})
    ex.write(CUT)
    ex._handler.close_connection = True


def feeds(server: LocalServer, *names: str) -> str:
    return "".join(
        f"- {{url: '{server.url('/' + n.lower())}', name: {n}, full_text: never}}\n" for n in names
    )


def status(config: Path) -> dict[str, dict[str, Any]]:
    run = news_monitor("status", "--json", "--config", str(config))
    assert run.returncode == 0, run.stderr
    return {s["name"]: s for s in json.loads(run.stdout)["sources"]}


def test_a_damaged_document_is_degraded_with_a_hint_and_counts_as_an_error(
    tmp_path: Path,
) -> None:
    routes = {"/truncated": respond(200, CUT, {"Content-Type": RSS}), "/cut": cut_short}
    with LocalServer(routes) as server:
        config = write_config(tmp_path, feeds(server, "Truncated", "Cut"))
        run = news_monitor("poll", "--all", "--config", str(config))
        assert run.returncode == 0, run.stderr
        assert (
            "2 degraded" in run.stdout and "Truncated: degraded: the XML is truncated" in run.stdout
        )
        shown = status(config)
        table = news_monitor("status", "--config", str(config)).stdout
    truncated, cut = shown["Truncated"], shown["Cut"]
    assert truncated["health"] == "degraded" and truncated["error_count"] == 1
    assert truncated["last_error"].startswith("the XML is truncated at line 1, column ")
    assert truncated["last_error"].endswith("; 4 items salvaged")
    assert truncated["last_error_hint"] and truncated["articles"] == 4
    assert "SAXParseException" not in json.dumps(truncated)  # no parser internals
    assert cut["health"] == "degraded" and cut["error_count"] == 1 and cut["articles"] == 4
    assert cut["last_error"] == (
        f"the response ended after {len(CUT):,} of {len(FIVE):,} bytes, before the end of the "
        "document; 4 items salvaged"
    )
    assert cut["last_error_hint"]
    assert "degraded" in table and "4 items salvaged" in table and "Cut: hint: " in table


def test_a_document_damaged_before_its_first_item_fails(tmp_path: Path) -> None:
    head = FIVE[: FIVE.index(b"<item>")]
    with LocalServer({"/broken": respond(200, head, {"Content-Type": RSS})}) as server:
        config = write_config(tmp_path, feeds(server, "Broken"))
        news_monitor("poll", "--all", "--config", str(config))
        broken = status(config)["Broken"]
    assert broken["health"] == "failed" and broken["last_success"] is None
    assert "truncated" in broken["last_error"] and "no item could be read" in broken["last_error"]


def test_a_bad_item_link_is_skipped_and_the_rest_stored(tmp_path: Path) -> None:
    body = rss("http://host:99999/x", "http://news.example/ok", "http://[oops/", "mailto:a@b")
    with LocalServer({"/mixed": respond(200, body, {"Content-Type": RSS})}) as server:
        config = write_config(tmp_path, feeds(server, "Mixed"))
        run = news_monitor("poll", "--all", "--config", str(config))
        mixed = status(config)["Mixed"]
        table = news_monitor("status", "--config", str(config)).stdout
    assert run.returncode == 0
    assert "0 failed" in run.stdout and "Mixed: skipped 1 item: the link's port" in run.stdout
    assert "ValueError" not in run.stdout + run.stderr and "Traceback" not in run.stderr
    assert mixed["health"] == "ok" and mixed["articles"] == 1 and mixed["error_count"] == 0
    assert mixed["skipped"] == 3
    assert mixed["skip_reasons"] == [
        {
            "reason": "the link's port is out of range (0-65535)",
            "count": 1,
            "example": "http://host:99999/x",
        },
        {
            "reason": "the item has no link",  # feedparser drops a link it cannot resolve
            "count": 1,
            "example": None,
        },
        {"reason": "the link is not an http(s) URL", "count": 1, "example": "mailto:a@b"},
    ]
    assert "skipped 1 item: the link's port is out of range" in table


def test_a_source_without_items_three_polls_in_a_row_is_flagged(tmp_path: Path) -> None:
    with LocalServer({"/quiet": respond(200, rss(), {"Content-Type": RSS})}) as server:
        config = write_config(tmp_path, feeds(server, "Quiet"))
        seen = []
        for _ in range(3):
            news_monitor("poll", "--all", "--config", str(config))
            seen.append(status(config)["Quiet"])
        table = news_monitor("status", "--config", str(config)).stdout
    assert [s["empty_polls"] for s in seen] == [1, 2, 3]
    assert [s["health"] for s in seen] == ["ok", "ok", "empty"]
    assert "no items in the last 3 polls" in table


def test_status_shows_how_long_the_last_poll_took(tmp_path: Path) -> None:
    with LocalServer({"/feed": respond(200, FIVE, {"Content-Type": RSS})}) as server:
        config = write_config(tmp_path, feeds(server, "Feed"))
        before = status(config)["Feed"]
        news_monitor("poll", "--all", "--config", str(config))
        after = status(config)["Feed"]
        table = news_monitor("status", "--config", str(config)).stdout
    assert before["last_poll_seconds"] is None
    assert isinstance(after["last_poll_seconds"], float) and after["last_poll_seconds"] >= 0
    header = table.splitlines()[0].split()
    row = next(line for line in table.splitlines() if line.startswith("Feed "))
    assert "took" in header and f"{after['last_poll_seconds']:.1f}s" in row


def test_an_unexpected_failure_is_a_sentence_and_its_traceback_waits_for_v(
    tmp_path: Path,
) -> None:
    etag = '"v1"'

    def conditional(ex: Exchange) -> None:
        if ex.headers.get("if-none-match") == etag:
            ex.send(304, b"", {"ETag": etag})
        else:
            ex.send(200, FIVE, {"Content-Type": RSS, "ETag": etag})

    with LocalServer({"/feed": conditional}) as server:
        config = write_config(tmp_path, feeds(server, "Feed"))
        news_monitor("poll", "--all", "--config", str(config))
        # a state no version writes: an interval no date can be moved by (the 304 path uses it)
        with sqlite3.connect(tmp_path / "state" / "monitor.db") as db:
            db.execute("UPDATE sources SET interval_seconds = 1e300")
        quiet = news_monitor("poll", "--all", "--config", str(config))
        loud = news_monitor("poll", "--all", "-v", "--config", str(config))
        feed = status(config)["Feed"]
    assert quiet.returncode == 0 and "1 failed" in quiet.stdout
    assert "Traceback" not in quiet.stderr and "unexpected error" in quiet.stderr
    assert "Traceback" in loud.stderr
    assert feed["health"] == "failed"
    assert feed["last_error"].startswith("the poll stopped on an unexpected error: ")
    assert "Error(" not in feed["last_error"] and "-v" in feed["last_error_hint"]
