"""The demo news site of tests/data/site served on loopback, and configs that point at it."""

from __future__ import annotations

import textwrap
from pathlib import Path

from httpserver import Exchange, Handler, LocalServer

SITE = Path(__file__).resolve().parent / "data" / "site"


def conditional(body: bytes, content_type: str, etag: str = '"v1"') -> Handler:
    """Serve *body* with an ETag; answer 304 to a matching If-None-Match."""

    def handle(ex: Exchange) -> None:
        if ex.headers.get("if-none-match") == etag:
            ex.send(304, b"", {"ETag": etag})
        else:
            ex.send(200, body, {"Content-Type": content_type, "ETag": etag})

    return handle


def big_feed(items: int = 30) -> bytes:
    """A feed whose items carry their full text (several pages of the database each)."""
    body = "".join(
        f"<item><title>Story {i}</title><link>http://127.0.0.1:9/story/{i}</link>"
        f"<guid>story-{i}</guid><description>{f'Word{i} sentence number {i}. ' * 400}"
        "</description></item>"
        for i in range(items)
    )
    return f"<rss version='2.0'><channel><title>Big</title>{body}</channel></rss>".encode()


def site_routes() -> dict[str, Handler]:
    routes: dict[str, Handler] = {
        "/world.rss": conditional((SITE / "world.rss").read_bytes(), "application/rss+xml"),
        "/ukraine/": conditional((SITE / "section.html").read_bytes(), "text/html; charset=utf-8"),
    }
    for page in (SITE / "articles").glob("*.html"):
        routes[f"/articles/{page.name}"] = conditional(
            page.read_bytes(), "text/html; charset=utf-8"
        )
    return routes


def site_server() -> LocalServer:
    return LocalServer(site_routes())


def write_config(tmp_path: Path, feeds: str, extra: str = "") -> Path:
    """A config with fast timeouts whose state lives in tmp_path/state."""
    text = textwrap.dedent(
        """\
        settings:
          state_dir: state
          poll_interval: 15m
          min_interval: 1m
          extract_workers: 1
          tick: 200ms
          shutdown_grace: 5s
          fetch: {connect_timeout: 2s, read_timeout: 2s, total_timeout: 4s, max_body_size: 1MiB}
        topics:
          - name: Legion
            query: '"Freedom of Russia Legion" OR "Legion of Free Russia"'
        """
    )
    path = tmp_path / "feeds.yaml"
    path.write_text(
        text + "feeds:\n" + textwrap.indent(textwrap.dedent(feeds), "  ") + extra, encoding="utf-8"
    )
    return path


def email_digest(smtp_port: int) -> str:
    """The `extra` of `write_config` for digest legion-daily (08:00 daily) by email to a local
    SMTP server on *smtp_port*, channel analysts."""
    return f"""\
digests:
  - name: legion-daily
    topics: [Legion]
    schedule: "0 8 * * *"
    channels: [analysts]
channels:
  analysts:
    type: email
    to: [analyst@example.com]
    from: news-monitor@example.org
    smtp: {{host: 127.0.0.1, port: {smtp_port}, timeout: 5s}}
"""
