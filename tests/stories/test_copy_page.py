"""A copy with light edits, the way a real one arrives: another outlet's teaser item, its page
in that outlet's template fetched and extracted, folded onto the wire's full-text original —
whichever of the two is polled first (issue 18 §2; bench/copy_pages.py measures it at scale)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest

from console import news_monitor
from demosite import write_config
from httpserver import LocalServer, respond
from texts import WIRE

FILLER = ["new", "local", "said", "other", "report", "more", "also"]


def lightly_edited(text: str, rate: float = 0.03, seed: int = 3) -> str:
    """*text* with *rate* of its words replaced (a sub-editor's touch)."""
    rng = random.Random(seed)
    words = text.split()
    for i in rng.sample(range(len(words)), max(1, round(len(words) * rate))):
        words[i] = rng.choice(FILLER)
    return " ".join(words)


def courier_page(headline: str, body: str) -> bytes:
    half = len(body) // 2
    cut = body.index(". ", half) + 1
    return f"""<!doctype html><html><head><title>{escape(headline)} | The Courier</title>
<meta property="og:site_name" content="The Courier"></head><body>
<div class="cookie">We use cookies. Accept all or manage settings.</div>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav></header>
<main><article><h1>{escape(headline)}</h1><p class="byline">By Staff Reporter, with wire services</p>
<div class="share">Share: Facebook Twitter Email</div>
<p>{escape(body[:cut])}</p><p>{escape(body[cut:].strip())}</p></article>
<aside><h3>Most read</h3><ul><li><a href="/a">Council approves the bridge budget</a></li>
<li><a href="/b">Storm warning for the weekend</a></li></ul></aside></main>
<footer>© 2026 The Courier Media Group. Privacy policy. Terms of use.</footer></body></html>""".encode()


def rss(title: str, text: str, link: str, guid: str, when: datetime) -> bytes:
    item = (
        f"<item><title>{escape(title)}</title><link>{link}</link><guid>{guid}</guid>"
        f"<pubDate>{format_datetime(when)}</pubDate><description>{escape(text)}</description></item>"
    )
    return f"<rss version='2.0'><channel><title>{guid}</title>{item}</channel></rss>".encode()


@pytest.mark.parametrize("order", [("Wire", "Courier"), ("Courier", "Wire")])
def test_a_lightly_edited_copy_behind_a_teaser_folds_onto_its_original(
    tmp_path: Path, order: tuple[str, str]
) -> None:
    now = datetime.now(UTC)
    copy = lightly_edited(WIRE)
    assert copy != WIRE
    headline = "Dam cracks force closure of Hollow Creek"
    teaser = " ".join(copy.split()[:26]) + " …"
    with LocalServer({}) as server:
        rss_type = {"Content-Type": "application/rss+xml"}
        server.routes.update(
            {
                "/wire.rss": respond(
                    200,
                    rss(
                        "Reservoir closed",
                        WIRE,
                        "http://wire.invalid/1",
                        "w1",
                        now - timedelta(hours=2),
                    ),
                    rss_type,
                ),
                "/courier.rss": respond(
                    200,
                    rss(headline, teaser, server.url("/news/dam"), "c1", now - timedelta(hours=1)),
                    rss_type,
                ),
                "/news/dam": respond(
                    200, courier_page(headline, copy), {"Content-Type": "text/html; charset=utf-8"}
                ),
            }
        )
        feeds = (
            f"- {{url: '{server.url('/wire.rss')}', name: Wire, full_text: never}}\n"
            f"- {{url: '{server.url('/courier.rss')}', name: Courier}}\n"
        )
        config = write_config(tmp_path, feeds)
        for name in order:
            done = news_monitor("--config", str(config), "poll", name)
            assert done.returncode == 0, done.stderr
        assert "/news/dam" in server.paths()  # the teaser sent the poll to the page
    exported = news_monitor("--config", str(config), "export").stdout
    rows = {r["source"]: r for r in map(json.loads, exported.splitlines())}
    first, second = rows[order[0]], rows[order[1]]
    assert "Most read" not in rows["Courier"]["text"]  # the template left out
    assert len(rows["Courier"]["text"].split()) > 100  # the page's text, not the teaser
    assert second["duplicate_of"] == first["id"] and first["duplicate_of"] is None
    assert second["story_id"] == first["story_id"]
