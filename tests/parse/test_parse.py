"""Tests for the parse stage: formats, charsets, salvage, rejects, and the shared feed corpus."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.errors import ParseError
from monitor.parse.feeds import parse_feed

DATA = Path(__file__).resolve().parents[1] / "data" / "feeds"
SHARED_FEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "feeds"
NOW = datetime(2024, 6, 1, tzinfo=UTC)
HEADER_LINE = re.compile(rb"^\s*Header:\s*([^:\r\n]+):[ \t]*(.*?)\s*$", re.M)


def parse(name: str, url: str = "https://example.com/feed", **headers: str):  # type: ignore[no-untyped-def]
    return parse_feed((DATA / name).read_bytes(), url, headers or None, now=NOW)


def test_rss091() -> None:
    feed = parse("rss091.xml")
    assert feed.format == "rss"
    assert feed.title == "Old School News"
    [entry] = feed.entries
    assert entry.title == "First post"
    assert entry.url == "http://oldschool.example/news/first-post.html"
    assert entry.guid == entry.url  # no guid: the link stands in
    assert feed.malformed is None


def test_rss10_rdf_with_syndication_module() -> None:
    feed = parse("rss10.rdf")
    assert feed.format == "rdf"
    assert feed.ttl_seconds == 1800  # hourly, twice
    [entry] = feed.entries
    assert entry.author == "Jane Roe"
    assert entry.published == datetime(2024, 5, 1, 8, tzinfo=UTC)


def test_rss20_fields_relative_links_and_dates() -> None:
    feed = parse("rss20.xml", "https://example.com/feeds/world.xml")
    assert feed.format == "rss"
    assert feed.title == "Example World & Co"
    assert feed.link == "https://example.com/world/"
    assert feed.ttl_seconds == 1800
    first, second = feed.entries
    assert first.url == "https://example.com/world/2024/legion-crosses-border"
    assert first.guid == "tag:example.com,2024:1"
    assert first.title == "Legion & battalion: “défense”"
    assert first.author == "Ann Writer"
    assert first.published == datetime(2024, 5, 7, 6, 30, tzinfo=UTC)
    assert first.published is not None and first.published.tzinfo is not None
    assert "Full text paragraph one" in first.content
    assert 'href="https://example.com/img/map"' in first.content  # relative link in content
    assert "Short summary" in first.summary
    assert second.url == "https://example.com/world/2024/guid-only-story"
    assert second.published is None  # year 2999 is a publisher's bug


def test_content_location_header_is_the_base() -> None:
    feed = parse("rss20.xml", "https://example.com/feed", **{"Content-Location": "/news/x.xml"})
    assert feed.entries[0].url == "https://example.com/world/2024/legion-crosses-border"
    body = b'<rss version="2.0"><channel><item><link>a/b</link></item></channel></rss>'
    loc = parse_feed(body, "https://h.example/feed", {"Content-Location": "/news/x.xml"})
    assert loc.entries[0].url == "https://h.example/news/a/b"


def test_atom_html_titles_become_plain_text() -> None:
    feed = parse("atom.xml", "https://atom.example/blog/feed.atom")
    assert feed.format == "atom"
    assert feed.title == "Atom Blog"
    [entry] = feed.entries
    assert entry.title == "Atom entry one"
    assert entry.url == "https://atom.example/blog/2024/05/atom-entry-one"
    assert entry.author == "Sam Atom"
    assert entry.published == datetime(2024, 5, 2, 16, 30, 2, tzinfo=UTC)
    assert entry.updated == datetime(2024, 5, 3, 9, tzinfo=UTC)
    assert "much longer content" in entry.content


def test_json_feed_11() -> None:
    feed = parse("jsonfeed11.json", "https://json.example/feed.json")
    assert feed.format == "json"
    assert feed.title == "JSON Feed 1.1"
    assert feed.link == "https://json.example/"
    two, one = feed.entries
    assert two.url == "https://json.example/posts/2024/json-item-two"
    assert two.title == "Item & two"
    assert two.author == "Item Author"
    assert two.published == datetime(2024, 5, 4, 10, tzinfo=UTC)
    assert two.updated == datetime(2024, 5, 4, 13, tzinfo=UTC)
    assert "<script" not in two.content and 'href="https://json.example/about"' in two.content
    assert two.summary == "The second item."
    assert one.url == "https://elsewhere.example/story"
    assert one.guid == "j-1"
    assert one.author == "Feed Author"
    assert one.published is None
    assert one.content == "Plain text body."


def test_json_feed_10_by_content_type() -> None:
    body = (DATA / "jsonfeed10.json").read_bytes()
    feed = parse_feed(
        b"\n" + body, "https://json10.example/f", {"Content-Type": "application/feed+json"}
    )
    [entry] = feed.entries
    assert entry.author == "Old Author"
    assert entry.published == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_xml_feed_labelled_as_json() -> None:
    body = (DATA / "atom.xml").read_bytes()
    feed = parse_feed(body, "https://atom.example/blog/f", {"Content-Type": "application/json"})
    assert feed.format == "atom" and len(feed.entries) == 1


@pytest.mark.parametrize(
    "body", [b'{"hello": "world"}', b"{not json", b"[1, 2]"], ids=["not-a-feed", "bad", "list"]
)
def test_json_that_is_not_a_json_feed(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_feed(body, "https://x.example/f", {"content-type": "application/json"})


def test_malformed_feed_is_salvaged_and_flagged() -> None:
    feed = parse("illformed.xml")
    assert feed.malformed
    assert [e.title for e in feed.entries][:1] == ["Still readable é"]
    assert feed.entries[0].url == "http://broken.example/2024/still-readable"


RSS_LATIN = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Café</title>'
    "<item><title>Naïve résumé</title><link>http://x.example/a</link></item></channel></rss>"
)


@pytest.mark.parametrize(
    ("encoding", "content_type"),
    [
        ("iso-8859-1", "application/rss+xml; charset=utf-8"),  # latin-1 body declared UTF-8
        ("utf-8", "text/xml; charset=iso-8859-1"),  # UTF-8 body declared latin-1
        ("utf-8", None),  # no charset anywhere
        ("iso-8859-1", None),
        ("utf-8", "text/html"),  # wrong media type
    ],
)
def test_wrong_or_missing_charset_decodes_sensibly(encoding: str, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else None
    feed = parse_feed(RSS_LATIN.encode(encoding), "http://x.example/feed", headers)
    assert feed.title == "Café"
    assert feed.entries[0].title == "Naïve résumé"


def test_html_page_instead_of_feed() -> None:
    with pytest.raises(ParseError, match="HTML page") as info:
        parse("section.html", **{"Content-Type": "text/html; charset=utf-8"})
    assert (
        info.value.hint
        == "the page names its feed: use https://example.com/world/rss.xml as the url"
    )
    page = b"<!DOCTYPE html><html><body><a href='/a'>no feed here</a></body></html>"
    with pytest.raises(ParseError, match="HTML page") as info:
        parse_feed(page, "https://example.com/world/")
    assert info.value.hint and "type: page" in info.value.hint


@pytest.mark.parametrize("body", [b"", b"   \r\n ", b"\x00\x01\x02\xff" * 64, b"just some text"])
def test_empty_or_junk_body(body: bytes) -> None:
    with pytest.raises(ParseError) as info:
        parse_feed(body, "https://x.example/feed")
    assert info.value.hint


def test_body_naming_a_local_file_is_not_opened(tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_text(
        '<rss version="2.0"><channel><item><title>leak</title></item></channel></rss>'
    )
    with pytest.raises(ParseError):
        parse_feed(str(secret).encode(), "https://x.example/feed")


def corpus_headers(body: bytes) -> dict[str, str] | None:
    """feedparser's test files carry simulated HTTP headers in leading `Header:` comment lines."""
    head = body[:2048]
    if b"Header:" not in head:
        return None
    return {k.decode().strip(): v.decode("latin-1") for k, v in HEADER_LINE.findall(head)}


def test_whole_shared_feed_corpus() -> None:
    if not SHARED_FEEDS.is_dir():
        pytest.skip(f"shared feed corpus not found at {SHARED_FEEDS} (../shared/data is absent)")
    outcome: Counter[str] = Counter()
    for path in sorted(p for p in SHARED_FEEDS.rglob("*") if p.is_file() and p.name != "LICENSE"):
        body = path.read_bytes()
        try:
            feed = parse_feed(body, f"http://127.0.0.1:8097/{path.name}", corpus_headers(body))
        except ParseError as exc:
            assert exc.message and exc.hint, path
            outcome["parse_error"] += 1
            continue
        outcome["with_entries" if feed.entries else "empty_feed"] += 1
        outcome["salvaged"] += bool(feed.malformed)
        for entry in feed.entries:
            for moment in (entry.published, entry.updated):
                assert moment is None or moment.tzinfo is not None, path
    total = outcome["with_entries"] + outcome["empty_feed"] + outcome["parse_error"]
    assert total >= 2200
    # what this corpus gives today (2,206 files): 1,290 with entries, 912 valid feeds
    # without entries (feed-level test cases), 270 salvaged from malformed XML, and
    # 4 ParseErrors (two plain XML catalogues, an empty document, an HTML "moved" page)
    assert outcome["with_entries"] >= 1250
    assert outcome["parse_error"] <= 10
    assert outcome["salvaged"] <= 300
