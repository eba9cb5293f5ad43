"""Any string as an item's link, GUID or enclosure gives an article or a clean skip, never an
exception out of parse → key → assemble → store (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.ingest.assemble import build_article
from monitor.ingest.steps import key_entries
from monitor.models import Entry, Extracted
from monitor.parse.feeds import parse_feed
from monitor.store import Store
from monitor.store import articles as article_store
from monitor.urls import MAX_URL_CHARS, canonical_url, link_problem

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
XML_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff")
# what a feed's link looks like, broken in every way: ports, brackets, schemes, spaces, unicode
PIECES = st.sampled_from(
    ["http://", "https://", "//", "host", ":", "99999", "65535", "0", "[", "]", "::1", "@", "/"]
    + ["?", "#", "%", "%zz", " ", "\t", "..", "amp", "utm_source=x", "mailto:", "ä", "\uff03"]
)
LINKS = st.one_of(
    st.text(XML_CHARS, max_size=60),
    st.lists(PIECES, max_size=12).map("".join),
    st.lists(st.one_of(PIECES, st.text(XML_CHARS, max_size=4)), max_size=10).map("".join),
)
FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def item_xml(link: str, guid: str, enclosure: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
        f"<item><title>Fuzzed</title><link>{escape(link)}</link><guid>{escape(guid)}</guid>"
        f'<enclosure url={quoteattr(enclosure)} type="audio/mpeg" length="1"/>'
        "<description>Some text.</description></item>"
        "<item><title>Good</title><link>http://news.example/good</link></item>"
        "</channel></rss>"
    ).encode()


@FUZZ
@given(LINKS)
def test_a_link_that_passes_the_check_is_a_canonical_http_url(link: str) -> None:
    problem = link_problem(link)
    if problem is None:
        canon = canonical_url(link)
        assert canon.startswith(("http://", "https://")) and len(canon) <= MAX_URL_CHARS
        assert link_problem(canon) is None  # the key is itself a good link
    else:
        assert problem.startswith("the link")  # a sentence, never urllib's text


@FUZZ
@given(LINKS, LINKS, LINKS, st.one_of(st.none(), LINKS))
def test_any_link_guid_or_enclosure_gives_an_article_or_a_clean_skip(
    link: str, guid: str, enclosure: str, page_canonical: str | None
) -> None:
    parsed = parse_feed(item_xml(link, guid, enclosure), "http://feed.example/rss", now=NOW)
    keyed = key_entries(parsed.entries)
    assert len(keyed.keyed) + len(keyed.skipped) == len(parsed.entries)
    assert "http://news.example/good" in {k.canon for k in keyed.keyed}  # the rest is kept
    for item in keyed.keyed:
        extracted = Extracted(text="Page text.", canonical_url=page_canonical)
        article = build_article(item.entry, item.canon, extracted, "", source="F", fetched=NOW)
        assert article is not None and link_problem(article.canonical_url) is None


@settings(FUZZ, max_examples=60)  # over SQLite and PostgreSQL (conftest's `store`)
@given(LINKS, st.text(max_size=3000))
def test_what_the_keys_let_through_the_store_takes(store: Store, link: str, guid: str) -> None:
    entry = Entry(url=link, guid=guid, title="Fuzzed")  # JSON Feed: any string, NUL included
    for item in key_entries([entry]).keyed:
        article = build_article(item.entry, item.canon, None, "text", source="F", fetched=NOW)
        assert article is not None
        with store.begin() as conn:
            article_store.store(conn, article, NOW)
