"""The pieces of a page: hits marked in escaped text (never inside an entity), feed links
limited to http(s), the 30-day chart."""

from __future__ import annotations

from datetime import date

from lxml import etree

from monitor.web.render import day_chart, highlight, href


def test_hits_are_marked_in_escaped_text() -> None:
    out = str(highlight("<b>Legion</b> & legionnaires' LEGION", ["legion"]))
    assert out == (
        "&lt;b&gt;<mark>Legion</mark>&lt;/b&gt; &amp; legionnaires&#39; <mark>LEGION</mark>"
    )
    assert str(highlight("a & b < c", ["amp", "lt", "39"])) == "a &amp; b &lt; c"
    assert str(highlight("x <img> y", ["<img>"])) == "x <mark>&lt;img&gt;</mark> y"
    assert str(highlight(None, ["x"])) == ""


def test_links_from_feeds_are_http_only() -> None:
    assert href("https://example.org/a") == "https://example.org/a"
    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", None):
        assert href(bad) == "#"


def test_the_chart_has_a_bar_a_day() -> None:
    today = date(2026, 12, 4)
    svg = etree.fromstring(str(day_chart({date(2026, 12, 3): 4, date(2026, 11, 5): 2}, today)))
    rects = svg.findall("{http://www.w3.org/2000/svg}rect")
    assert len(rects) == 30
    assert [r.get("class") for r in rects].count("bar") == 2
    assert rects[-2].get("height") == "60" and rects[-2].findtext("*") == "2026-12-03: 4"
    assert rects[0].get("class") == "bar" and rects[0].get("height") == "30"
