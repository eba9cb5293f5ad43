"""Tests for page sources: alternate-feed discovery and article-link discovery."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from monitor.parse.pages import PageLinks, discover, is_article_url

SECTION = Path(__file__).resolve().parents[1] / "data" / "pages" / "section.html"
PAGE_URL = "https://www.harbour-courier.example/news/ukraine/"
SHARED_PAGES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "extraction"


def test_section_page() -> None:
    links = discover(SECTION.read_bytes(), PAGE_URL)
    # the section's own feed (resolved against <base>), not the comments feed listed first
    assert links.feed_url == "https://www.harbour-courier.example/news/ukraine/rss.xml"
    assert [(e.url, e.title) for e in links.entries] == [
        (
            "https://www.harbour-courier.example/world/2024/05/07/volunteer-unit-crosses-border",
            "Volunteer unit crosses the border at dawn",  # the headline, not the image's alt
        ),
        (
            "https://www.harbour-courier.example/news/ukraine/ceasefire-talks-stall-again-in-geneva",
            "Ceasefire talks stall again",
        ),
        ("https://harbour-courier.example/news/world-europe-68912345", "Grain exports resume"),
        (
            "https://www.harbour-courier.example/2024/05/06/power-restored",  # fragment dropped
            "Power restored to 40,000 homes",  # the longer of two anchors
        ),
        ("https://cdn.harbour-courier.example/a/20240506/1234567.html", "Sub-domain story"),
    ]
    assert all(e.guid == e.url for e in links.entries)


def test_navigation_header_and_footer_links_are_skipped() -> None:
    urls = " ".join(str(e.url) for e in discover(SECTION.read_bytes(), PAGE_URL).entries)
    for word in ("nav-link", "footer-link", "header-promo", "author", "tag/", "category", "login"):
        assert word not in urls


def test_limit() -> None:
    assert len(discover(SECTION.read_bytes(), PAGE_URL, limit=2).entries) == 2


def test_charset_from_headers() -> None:
    html = '<html><body><a href="/2024/05/07/cafe-story">Café à la une</a></body></html>'
    links = discover(
        html.encode("iso-8859-1"),
        "https://x.example/",
        {"Content-Type": "text/html; charset=ISO-8859-1"},
    )
    assert links.entries[0].title == "Café à la une"
    bad = discover(
        html.encode(), "https://x.example/", {"content-type": "text/html; charset=nonsense"}
    )
    assert bad.entries[0].url == "https://x.example/2024/05/07/cafe-story"


@pytest.mark.parametrize("html", [b"", b"   ", b"\x00\x01\xff", b"<html></html>", b"plain text"])
def test_junk_gives_nothing(html: bytes) -> None:
    assert discover(html, "https://x.example/") == PageLinks(None, [])


@pytest.mark.parametrize(
    ("url", "article"),
    [
        ("https://www.x.example/world/2024/05/07/volunteer-unit-crosses-border", True),
        ("https://x.example/volunteer-unit-crosses-border.html", True),
        ("https://x.example/news/uk-politics-68912345", True),
        ("https://x.example/a/123456", True),
        ("https://x.example/2024/05/07/raid", True),
        ("https://x.example.co.uk/story/big-news-today", False),  # another site
        ("https://x.example/world/", False),
        ("https://x.example/world/middle-east", False),
        ("https://x.example/2024/", False),
        ("https://x.example/tag/border-raids-and-incursions", False),
        ("https://x.example/author/mara-lindqvist-writes-here", False),
        ("https://x.example/news/ukraine/page/2", False),
        ("https://x.example/news/ukraine/?page=2", False),
        ("https://x.example/search?q=border+raids+today", False),
        ("https://x.example/files/report-on-the-border-raids.pdf", False),
        ("https://x.example/static/css/site-main-styles.css", False),
        ("https://x.example/feed/rss-for-everything-new", False),
        ("mailto:desk@x.example", False),
    ],
)
def test_is_article_url(url: str, article: bool) -> None:
    assert is_article_url(url, "x.example") is article


def test_links_to_another_ip_address_are_another_site() -> None:
    html = b"""<html><body>
      <a href="http://127.0.0.1:8080/a/123456">Legion fighters cross the border</a>
      <a href="http://10.0.0.1/a/654321">Legion fighters seize a village</a>
    </body></html>"""
    links = discover(html, "http://127.0.0.1:8080/news/")
    assert [e.url for e in links.entries] == ["http://127.0.0.1:8080/a/123456"]


def test_related_links_on_real_article_pages() -> None:
    if not SHARED_PAGES.is_dir():
        pytest.skip(
            f"shared extraction pages not found at {SHARED_PAGES} (../shared/data is absent)"
        )
    truth = json.loads((SHARED_PAGES / "ground-truth.json").read_text(encoding="utf-8"))
    with_links = 0
    for page_id, item in truth.items():
        html = gzip.decompress((SHARED_PAGES / "html" / f"{page_id}.html.gz").read_bytes())
        links = discover(html, item["url"])
        assert len(links.entries) <= 100
        assert len({e.url for e in links.entries}) == len(links.entries)
        with_links += bool(links.entries)
    assert with_links >= 0.8 * len(truth)  # 86 of 92 today: article pages link their siblings
