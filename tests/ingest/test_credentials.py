"""A feed behind a login: its article pages on the same site are fetched with the same login.

The state keeps source URLs without credentials (docs/configuration.md); the pipeline adds the
configured user name and password back to the feed's request and to its article pages on the
same scheme, host and port, and to nothing else.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from console import news_monitor
from httpserver import Exchange, LocalServer

USER, PASSWORD = "reader", "s3cret-pass-7741"
EXPECTED = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Members</title>
<item><title>Legion report</title><link>/articles/1</link><guid>m1</guid>
<description>Legion crosses the river…</description></item>
</channel></rss>"""
PARAGRAPH = (
    "<p>The volunteer unit crossed the river before dawn on Tuesday, officials said, and "
    "held the village for most of the day while residents sheltered in cellars nearby.</p>"
)
PAGE = (
    "<html><head><title>Legion report</title></head><body><article><h1>Legion report</h1>"
    + PARAGRAPH * 6
    + "<p>Only members read this sentence: members-only-marker.</p></article></body></html>"
)


def guarded(body: str, content_type: str, seen: list[str]) -> object:
    def handle(ex: Exchange) -> None:
        seen.append(ex.request.path)
        if ex.headers.get("authorization") != EXPECTED:
            return ex.send(401, b"log in first", {"WWW-Authenticate": 'Basic realm="m"'})
        ex.send(200, body.encode(), {"Content-Type": content_type})

    return handle


def test_article_pages_on_the_feed_site_get_the_feed_login(tmp_path: Path) -> None:
    seen: list[str] = []
    routes = {
        "/feed": guarded(RSS, "application/rss+xml", seen),
        "/articles/1": guarded(PAGE, "text/html; charset=utf-8", seen),
    }
    with LocalServer(routes) as site:
        config = tmp_path / "feeds.yaml"
        config.write_text(
            "settings: {state_dir: state}\n"
            f"feeds:\n  - {{name: Members, url: 'http://{USER}:{PASSWORD}@127.0.0.1:{site.port}/feed',"
            " full_text: always}\n",
            encoding="utf-8",
        )
        polled = news_monitor("--config", str(config), "poll", "--all")
        assert polled.returncode == 0, polled.stdout + polled.stderr
        exported = news_monitor("--config", str(config), "export")
    assert seen == ["/feed", "/articles/1"]  # both answered with the login, none refused
    (article,) = [json.loads(line) for line in exported.stdout.splitlines()]
    assert "members-only-marker" in article["text"]
    assert PASSWORD not in polled.stdout + polled.stderr + exported.stdout
