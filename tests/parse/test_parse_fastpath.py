"""The plain-RSS fast path (parse_rss.py) gives exactly what feedparser gives, or steps aside.

Both paths run over every file of ../shared/data/feeds and over hand-made variants; every
field of the ParsedFeed must be equal. A spy around parse_rss (the real function runs) counts
the documents the fast path took, so a fast path that silently always falls back fails too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

import monitor.parse.feeds
from monitor.errors import ParseError
from monitor.models import ParsedFeed
from monitor.parse.feeds import parse_feed
from shared import shared_data

NOW = datetime(2026, 1, 1, tzinfo=UTC)
HEADER_LINE = re.compile(rb"^\s*Header:\s*([^:\r\n]+):[ \t]*(.*?)\s*$", re.M)
Outcome = ParsedFeed | tuple[str, str]


def corpus_headers(body: bytes) -> dict[str, str] | None:
    """feedparser's test files carry simulated HTTP headers in leading `Header:` comment lines."""
    head = body[:2048]
    if b"Header:" not in head:
        return None
    return {k.decode().strip(): v.decode("latin-1") for k, v in HEADER_LINE.findall(head)}


@pytest.fixture
def fast_taken(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts parse_rss answers: "fast" when it parsed the document, "fallback" when it declined."""
    seen: Counter[str] = Counter()
    real: Callable[..., Any] = monitor.parse.feeds.parse_rss

    def spy(body: bytes, headers: dict[str, str]) -> Any:
        doc = real(body, headers)
        seen["fast" if doc is not None else "fallback"] += 1
        return doc

    monkeypatch.setattr(monitor.parse.feeds, "parse_rss", spy)
    return seen


def both(body: bytes, url: str, headers: dict[str, str] | None) -> tuple[Outcome, Outcome]:
    def run(fast: bool) -> Outcome:
        try:
            return parse_feed(body, url, headers, now=NOW, fast=fast)
        except ParseError as exc:
            return ("ParseError", exc.message)

    return run(True), run(False)


def test_both_paths_agree_on_the_whole_shared_corpus(
    fast_taken: Counter[str], caplog: pytest.LogCaptureFixture
) -> None:
    feeds = shared_data("feeds")
    taken: Counter[str] = Counter()
    files = sorted(p for p in feeds.rglob("*") if p.is_file() and p.name != "LICENSE")
    for path in files:
        body = path.read_bytes()
        before = fast_taken["fast"]
        fast, slow = both(body, f"http://127.0.0.1:8097/{path.parent.name}/x", corpus_headers(body))
        assert fast == slow, path
        if fast_taken["fast"] > before:
            taken[path.relative_to(feeds).parts[0]] += 1
    print(f"fast path took {sum(taken.values())} of {len(files)} corpus files: {dict(taken)}")
    # today: 307 of 2,206 (feedparser 290, feed-rs 14, rss-parser 3); the rest is Atom, RDF,
    # ill-formed XML, other RSS versions, or RSS with elements the fast path leaves to feedparser
    assert sum(taken.values()) >= 280
    assert taken["feed-rs"] >= 10 and taken["rss-parser"] >= 2
    assert not [r for r in caplog.records if r.name == "monitor.parse.rss"]  # no fast-path bug


def rss(items: str, channel: str = "<title>T</title><link>/home</link>", **ns: str) -> bytes:
    decls = "".join(f' xmlns:{p}="{u}"' for p, u in ns.items())
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"{decls}><channel>'
        f"{channel}{items}</channel></rss>"
    ).encode()


DC = "http://purl.org/dc/elements/1.1/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
ATOM = "http://www.w3.org/2005/Atom"
MEDIA = "http://search.yahoo.com/mrss/"
LATIN = '<?xml version="1.0"?><rss version="2.0"><channel><title>Caf\xe9</title><item><title>\xc9t\xe9 \x93quoted\x94</title><link>/\xe9</link></item></channel></rss>'

# (name, body, headers, fast path expected)
VARIANTS: list[tuple[str, bytes, dict[str, str] | None, bool]] = [
    (
        "cdata and markup",
        rss(
            "<item><title><![CDATA[Tom &amp; <b>Jerry</b>]]></title><description><![CDATA["
            '<p>See <a href="/x?a=1&amp;b=2">this</a> <img src="i.png"></p>]]></description></item>'
        ),
        None,
        True,
    ),
    (
        "entities",
        rss(
            "<item><title>Caf&#233; &lt;b&gt;bold&lt;/b&gt; AT&amp;T &amp;amp; &#x2014;</title>"
            "<link>/a?x=1&amp;y=2&amp;copy;</link><description>&lt;p&gt;&amp;nbsp;x&amp;eacute;"
            "&lt;/p&gt;</description></item>"
        ),
        None,
        True,
    ),
    (
        "xml:base on channel and item, relative guid and links",
        b'<rss version="2.0"><channel xml:base="http://base.example/news/"><title>T</title>'
        b'<link>front</link><item xml:base="sub/"><title>a</title><link>../story.html</link>'
        b'<guid>guid/1</guid><description>&lt;a href="rel"&gt;x&lt;/a&gt;</description></item>'
        b'<item><guid isPermaLink="false">not/a/link</guid><title>b</title></item></channel></rss>',
        None,
        True,
    ),
    (
        "content-location is the base",
        rss("<item><title>a</title><link>story</link><guid>g/1</guid></item>"),
        {"Content-Location": "/deep/path/feed.xml"},
        True,
    ),
    (
        "guid only, permalink: the link",
        rss("<item><guid>https://x.example/only-guid</guid><title>g</title></item>"),
        None,
        True,
    ),
    (
        "guid before link, no guid, empty link",
        rss(
            "<item><guid>/first</guid><link>/second</link></item>"
            "<item><title>no guid</title><link>/only-link</link></item>"
            "<item><title>empty link</title><link></link><guid>/g</guid></item>"
        ),
        None,
        True,
    ),
    (
        "odd dates",
        rss(
            "<item><title>a</title><pubDate>Tue, 5 Nov 24 10:00 EST</pubDate></item>"
            "<item><title>b</title><pubDate>2024-11-05T10:00:00+05:30</pubDate></item>"
            "<item><title>c</title><pubDate>not a date</pubDate><dc:date>2024-11-05</dc:date>"
            "</item><item><title>d</title><dc:date>2024-11-05T10:00:00Z</dc:date></item>"
            "<item><title>e</title><pubDate>Sun, 31 Dec 2090 10:00:00 GMT</pubDate></item>"
            "<item><title>f</title><pubDate>05 Nov 2024 10:00:00 +0100</pubDate></item>",
            dc=DC,
        ),
        None,
        True,
    ),
    (
        "whitespace, double-encoded UTF-8 and C1 controls",
        rss(
            "<item><title>\n  Spaced\t out \n</title><link>  /pad  </link>"
            "<description>  Caf\u00c3\u00a9 \u0093q\u0094  </description>"
            "<author> ann@example.com (Ann) </author></item>"
        ),
        None,
        True,
    ),
    (
        "content:encoded, dc:creator, atom links",
        rss(
            "<item><title>a</title><content:encoded><![CDATA[<p>full <a href='/l'>x</a></p>]]>"
            "</content:encoded><dc:creator>Bob</dc:creator></item>"
            "<item><title>b</title><description>short</description><content:encoded>&lt;p&gt;"
            "long&lt;/p&gt;</content:encoded></item><item><title>c</title><content:encoded>"
            "first</content:encoded><description>then</description>"
            '<atom:link rel="alternate" type="text/html" href="/alt"/></item>',
            channel='<title>T</title><atom:link rel="self" href="/feed.xml" '
            'type="application/rss+xml"/><link>/home</link><ttl>30</ttl>',
            content=CONTENT,
            dc=DC,
            atom=ATOM,
        ),
        None,
        True,
    ),
    (
        "charset from the headers",
        LATIN.encode("latin-1"),
        {"Content-Type": "application/rss+xml; charset=iso-8859-1"},
        True,
    ),
    (
        "windows-1252 labelled",
        LATIN.replace("\x93", "\u201c").replace("\x94", "\u201d").encode("cp1252"),
        {"Content-Type": "text/xml; charset=cp1252"},
        True,
    ),
    ("text/xml without charset", LATIN.encode("latin-1"), {"Content-Type": "text/xml"}, True),
    ("no content type", LATIN.encode("latin-1"), {}, True),
    (
        "image, skipHours, category, enclosure, comments",
        rss(
            '<item><title>a</title><category domain="d">c</category><enclosure url="/e.mp3" '
            'length="1" type="audio/mpeg"/><comments>/c</comments><source url="/s">S</source>'
            "</item>",
            channel="<title>T</title><image><url>/i.png</url><title>Image title</title>"
            "<link>/img</link></image><skipHours><hour>1</hour></skipHours>",
        ),
        None,
        True,
    ),
    # documents the fast path must leave to feedparser
    (
        "media:title sets the title",
        rss("<item><media:title>m</media:title><title>t</title></item>", media=MEDIA),
        None,
        False,
    ),
    (
        "two descriptions",
        rss("<item><description>a</description><description>b</description></item>"),
        None,
        False,
    ),
    (
        "typed title",
        rss('<item><title type="html">&lt;b&gt;x&lt;/b&gt;</title></item>'),
        None,
        False,
    ),
    (
        "undefined entity",
        rss("<item><title>a&nbsp;b</title></item>"),
        None,
        False,
    ),
    (
        "doctype with entities",
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY me "Me">]><rss version="2.0"><channel>'
        b"<item><title>&me;</title></item></channel></rss>",
        None,
        False,
    ),
    ("rss 0.91", rss("<item><title>a</title></item>").replace(b'"2.0"', b'"0.91"'), None, False),
    (
        "unknown prefix named like feedparser's",
        rss("<item><content:encoded>x</content:encoded></item>", content="http://other.example/"),
        None,
        False,
    ),
    (
        "nested unknown element",
        rss("<item><x:box><title>inner</title></x:box></item>", x="http://x.example/"),
        None,
        False,
    ),
]


@pytest.mark.parametrize(
    ("body", "headers", "expect_fast"), [v[1:] for v in VARIANTS], ids=[v[0] for v in VARIANTS]
)
def test_hand_made_variants(
    fast_taken: Counter[str],
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    headers: dict[str, str] | None,
    expect_fast: bool,
) -> None:
    fast, slow = both(body, "https://site.example/feeds/main.xml", headers)
    assert fast == slow
    assert isinstance(fast, ParsedFeed) and fast.entries
    assert fast_taken["fast"] == int(expect_fast)  # parse_rss ran once: it took it, or not
    assert not [r for r in caplog.records if r.name == "monitor.parse.rss"]
