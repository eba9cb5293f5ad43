"""Level 1 identity: canonical URLs, AMP pages, rel=canonical / og:url."""

from __future__ import annotations

import pytest

from monitor.urls import canonical_from_page, canonical_url, registrable_domain


def test_tracking_parameters_do_not_change_identity() -> None:
    a = canonical_url("https://www.Example.com/world/story-1?utm_source=rss&utm_medium=feed")
    b = canonical_url("https://www.example.com/world/story-1?fbclid=abc&gclid=1#comments")
    assert a == b == "https://www.example.com/world/story-1"


def test_default_port_dropped_and_real_parameters_kept() -> None:
    assert (
        canonical_url("http://example.com:80/a?id=7&utm_campaign=x") == "http://example.com/a?id=7"
    )
    assert canonical_url("https://example.com:8443/a") == "https://example.com:8443/a"


@pytest.mark.parametrize(
    "amp",
    [
        "https://www.example.com/world/story-1/amp/",
        "https://www.example.com/amp/world/story-1/",
        "https://amp.example.com/world/story-1/",
        "https://www.example.com/world/story-1/?amp",
        "https://www.example.com/world/story-1/?outputType=amp",
    ],
)
def test_amp_page_is_its_canonical_article(amp: str) -> None:
    assert canonical_url(amp) == "https://example.com/world/story-1/".replace(
        "https://", "https://www." if "amp." not in amp else "https://"
    )


def test_amp_suffixes() -> None:
    assert (
        canonical_url("https://example.com/news/story.amp.html")
        == "https://example.com/news/story.html"
    )
    assert canonical_url("https://example.com/news/story.amp") == "https://example.com/news/story"
    assert (
        canonical_url("https://example.com/news/campaign-amplifier")
        == "https://example.com/news/campaign-amplifier"
    )


def test_rel_canonical_wins_on_the_same_site() -> None:
    url = "https://www.example.com/world/story-1/amp/?utm_source=x"
    assert (
        canonical_from_page("/world/story-1", None, url) == "https://www.example.com/world/story-1"
    )
    assert canonical_from_page(None, "https://m.example.com/s1", url) == "https://m.example.com/s1"


def test_canonical_to_home_page_or_other_site_is_ignored() -> None:
    url = "https://www.example.com/world/story-1"
    assert canonical_from_page("https://www.example.com/", None, url) == url
    assert canonical_from_page("https://aggregator.example.org/x", None, url) == url
    assert canonical_from_page("  ", "javascript:void(0)", url) == url


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("www.example.com", "example.com"),
        ("amp.example.com", "example.com"),
        ("Example.COM.", "example.com"),
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("www.abc.net.au", "abc.net.au"),
        ("m.taz.de", "taz.de"),  # a three-letter name under a country code is no second level
        ("edition.cnn.de", "cnn.de"),
        ("127.0.0.1", "127.0.0.1"),  # an IP address is its own site, not "0.1"
        ("::1", "::1"),
    ],
)
def test_registrable_domain(host: str, site: str) -> None:
    assert registrable_domain(host) == site


def test_canonical_on_the_desktop_host_of_a_short_named_site_is_the_same_site() -> None:
    # urls.py and pages.py had two rules; urls.py took m.taz.de for a site of its own
    url = "https://m.taz.de/Legion-an-der-Grenze/!6012345/"
    canonical = "https://taz.de/Legion-an-der-Grenze/!6012345/"
    assert canonical_from_page(canonical, None, url) == canonical
