"""A demo state for the web tests: the demo site (dated yesterday, so every window shows it),
a wire service that syndicates one of its articles, a feed whose title is markup, and a broken
source, polled by the real CLI; and `news-monitor web` serving it in a subprocess."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from console import news_monitor
from demosite import SITE, conditional, email_digest, write_config
from httpserver import Handler, LocalServer, respond
from peers import free_port

XSS_TITLE = "<img src=x onerror=alert(1)>"
WIRE = "Wire Service"


def _dated(data: bytes) -> bytes:
    """The demo site's 20 Nov 2026 moved to yesterday (its times of day kept)."""
    day = datetime.now(UTC) - timedelta(days=1)
    text = data.decode()
    text = text.replace("20 Nov 2026", day.strftime("%d %b %Y")).replace(
        "Fri, " + day.strftime("%d %b %Y"), day.strftime("%a, %d %b %Y")
    )
    return text.replace("2026-11-20", day.strftime("%Y-%m-%d")).encode()


def _rss(title: str, items: list[tuple[str, str, str]]) -> bytes:
    when = (datetime.now(UTC) - timedelta(hours=3)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{guid}</guid>"
        f"<pubDate>{when}</pubDate></item>"
        for t, link, guid in items
    )
    return f"<rss version='2.0'><channel><title>{title}</title>{body}</channel></rss>".encode()


def routes(base: str) -> dict[str, Handler]:
    html = "text/html; charset=utf-8"
    found: dict[str, Handler] = {
        "/world.rss": conditional(_dated((SITE / "world.rss").read_bytes()), "application/rss+xml"),
        "/ukraine/": conditional(_dated((SITE / "section.html").read_bytes()), html),
        "/broken.rss": respond(500, b"internal error"),
    }
    for page in (SITE / "articles").glob("*.html"):
        found[f"/articles/{page.name}"] = conditional(_dated(page.read_bytes()), html)
    raid = _dated((SITE / "articles" / "legion-claims-belgorod-raid.html").read_bytes())
    copy = raid.replace(
        b'<link rel="canonical" href="/articles/legion-claims-belgorod-raid.html">', b""
    )
    found["/wire/legion-raid.html"] = conditional(copy.replace(b"Outlet One", b"Wire"), html)
    found["/wire.rss"] = conditional(
        _rss(
            WIRE, [("Legion claims raid in Belgorod (wire)", f"{base}/wire/legion-raid.html", "w1")]
        ),
        "application/rss+xml",
    )
    odd = (
        "<html><body><article><p>"
        + "A feed whose headline is markup. " * 20
        + "</p></article></body></html>"
    )
    found["/odd/1.html"] = conditional(odd.encode(), html)
    escaped = XSS_TITLE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    found["/odd.rss"] = conditional(
        _rss("Odd", [(escaped, f"{base}/odd/1.html", "o1")]), "application/rss+xml"
    )
    return found


FEEDS = """\
- {{url: {base}/world.rss, name: Demo World}}
- {{url: {base}/ukraine/, name: Demo Ukraine section, type: page}}
- {{url: {base}/wire.rss, name: {wire}}}
- {{url: {base}/odd.rss, name: Odd Outlet}}
- {{url: {base}/broken.rss, name: Broken Feed}}
"""


@dataclass
class Demo:
    config: Path
    site: LocalServer


@contextmanager
def demo_state(tmp: Path, extra: str = "") -> Iterator[Demo]:
    """The site served and polled once into tmp/state by `news-monitor poll`."""
    site = LocalServer()
    with site:
        site.routes.update(routes(site.url("").rstrip("/")))
        feeds = FEEDS.format(base=site.url("").rstrip("/"), wire=WIRE)
        config = write_config(tmp, feeds, email_digest(free_port()) + extra)
        done = news_monitor("--config", str(config), "poll")
        assert done.returncode == 0, done.stderr
        yield Demo(config, site)
