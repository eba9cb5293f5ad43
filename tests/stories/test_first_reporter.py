"""Who reported a story first: the rule (out-of-order arrival, a copy stored before its original,
bad clocks), then through poll → `stories --json`, the digest line and `sources lead`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from console import news_monitor
from demosite import write_config
from httpserver import LocalServer, respond
from monitor.store.first_reports import PAST_BOUND, first_report, reported_at
from peers import SmtpPeer, smtp_server
from texts import HERALD, ORCHARD, WIRE

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def row(
    id: int,
    source: str,
    published: datetime | None,
    fetched: datetime | None = None,
    duplicate_of: int | None = None,
) -> Any:
    return SimpleNamespace(
        id=id, source=source, site_name=None, url=f"https://{source.lower()}.example/{id}",
        published=published, fetched=fetched, stored_at=fetched or NOW, duplicate_of=duplicate_of,
    )  # fmt: skip


def test_the_first_reporter_is_the_earliest_published_whatever_the_arrival_order() -> None:
    rows = [
        row(1, "B", NOW - timedelta(hours=2), NOW),
        row(2, "A", NOW - timedelta(hours=4), NOW + timedelta(minutes=5)),
        row(3, "C", NOW - timedelta(hours=1), NOW + timedelta(minutes=9)),
    ]
    report = first_report(rows)
    assert report is not None and report.second is not None
    assert (report.first.source, report.second.source) == ("A", "B")
    assert report.lead == timedelta(hours=2)
    assert report.reporters == {"A", "B", "C"}


def test_a_copy_stored_before_its_original_does_not_take_the_wire_s_place() -> None:
    """Copycat was polled first, so its article is the stored original and the wire's own item
    its copy; the wire published first and reported first. Copycat is nobody's second."""
    rows = [
        row(1, "Copycat", NOW - timedelta(hours=4, minutes=40), NOW - timedelta(hours=4)),
        row(2, "Wire", NOW - timedelta(hours=5), NOW - timedelta(hours=3), duplicate_of=1),
        row(3, "Herald", NOW - timedelta(hours=2), NOW - timedelta(hours=2)),
    ]
    report = first_report(rows)
    assert report is not None and report.second is not None
    assert report.first.source == "Wire" and report.second.source == "Herald"
    assert report.lead == timedelta(hours=3)
    assert report.reporters == {"Wire", "Herald"}


def test_a_clock_two_hours_ahead_falls_back_to_when_we_first_saw_the_item() -> None:
    ahead = row(1, "Ahead", NOW + timedelta(hours=2), NOW)
    honest = row(2, "Honest", NOW + timedelta(minutes=20), NOW + timedelta(minutes=25))
    report = first_report([honest, ahead])
    assert report is not None and report.second is not None
    assert report.first.source == "Ahead" and report.first.at == NOW  # not NOW + 2 h
    assert report.lead == timedelta(minutes=20)
    # published long before the first sight: not believed either; imported: believed
    assert reported_at(NOW - PAST_BOUND - timedelta(hours=1), NOW, NOW) == NOW
    assert reported_at(NOW - timedelta(days=400), None, NOW) == NOW - timedelta(days=400)


def rss(title: str, text: str, published: datetime, slug: str) -> bytes:
    item = (
        f"<item><title>{title}</title><link>http://127.0.0.1:9/{slug}</link><guid>{slug}</guid>"
        f"<pubDate>{format_datetime(published)}</pubDate><description>{text}</description></item>"
    )
    return f"<rss version='2.0'><channel><title>{slug}</title>{item}</channel></rss>".encode()


@pytest.fixture
def smtp() -> Iterator[SmtpPeer]:
    with smtp_server() as peer:
        yield peer


def test_first_reporter_through_poll_stories_digest_and_sources_lead(
    tmp_path: Path, smtp: SmtpPeer
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    t0 = now - timedelta(hours=5)
    feeds = {
        "Copycat": rss("Reservoir closed", WIRE, t0 + timedelta(minutes=20), "copycat"),
        "Wire": rss("Hollow Creek reservoir closed", WIRE, t0, "wire"),
        "Herald": rss("Reservoir shut for six weeks", HERALD, t0 + timedelta(hours=3), "herald"),
        "Ahead": rss("Frost ruins apricot blossom", ORCHARD, now + timedelta(hours=2), "ahead"),
    }
    routes = {
        f"/{n}.rss": respond(200, b, {"Content-Type": "application/rss+xml"})
        for n, b in feeds.items()
    }
    with LocalServer(routes) as server:
        listed = "".join(
            f"- {{url: '{server.url(f'/{n}.rss')}', name: {n}, full_text: never}}\n" for n in feeds
        )
        extra = f"""\
digests:
  - {{name: daily, topics: [Water], channels: [mail]}}
channels:
  mail:
    type: email
    to: [analyst@example.com]
    from: news-monitor@example.org
    smtp: {{host: 127.0.0.1, port: {smtp.port}, timeout: 5s}}
"""
        config = write_config(tmp_path, listed, extra)
        text = config.read_text().replace(
            "topics:\n", "topics:\n  - {name: Water, query: reservoir}\n", 1
        )
        config.write_text(text)
        for name in feeds:  # the copy is polled before the wire's own feed
            done = news_monitor("--config", str(config), "poll", name)
            assert done.returncode == 0, done.stderr

    stories = json.loads(news_monitor("--config", str(config), "stories", "--json").stdout)
    water = next(s for s in stories if "Water" in s["topics"])
    by_source = {a["source"]: a for a in water["articles"]}
    assert set(by_source) == {"Copycat", "Wire", "Herald"}
    assert by_source["Wire"]["duplicate_of"] == by_source["Copycat"]["id"]  # the case at hand
    assert water["first_source"] == "Wire"
    assert datetime.fromisoformat(water["first_published"]) == t0
    assert (water["second_source"], water["lead_seconds"]) == ("Herald", 3 * 3600)
    frost = next(s for s in stories if s["first_source"] == "Ahead")
    assert datetime.fromisoformat(frost["first_published"]) <= datetime.now(UTC)  # not +2 h

    sent = news_monitor("--config", str(config), "digest", "send", "daily")
    assert sent.returncode == 0, sent.stderr
    (mail,) = smtp.received
    plain = mail.message.get_body(("plain",))
    html = mail.message.get_body(("html",))
    assert plain is not None and html is not None
    assert "first: Wire, " in plain.get_content() and "— 3 h before Herald" in plain.get_content()
    assert "3 h before Herald" in html.get_content()

    lead = json.loads(news_monitor("--config", str(config), "sources", "lead", "--json").stdout)
    table = {entry["source"]: entry for entry in lead}
    assert set(table) == {"Wire", "Herald"}  # Copycat only republished the wire
    assert (table["Wire"]["first"], table["Wire"]["stories"]) == (1, 1)
    assert table["Wire"]["median_lead_seconds"] == 3 * 3600
    assert (table["Herald"]["first"], table["Herald"]["median_lead_seconds"]) == (0, None)
    topic = news_monitor("--config", str(config), "sources", "lead", "--topic", "Water")
    assert topic.returncode == 0 and "Wire" in topic.stdout and "3 h" in topic.stdout
    unknown = news_monitor("--config", str(config), "sources", "lead", "--topic", "Nope")
    assert unknown.returncode == 1 and "no topic named 'Nope'" in unknown.stderr
