"""Rendering: text, HTML (escaped, no remote content) and Slack blocks (escaped, within limits)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html.parser import HTMLParser

from monitor.digest import render
from monitor.digest.build import Digest, DigestSource, DigestStory
from monitor.digest.message import header_safe
from peers import T0, slack_problems

HOSTILE = 'Legion <script>alert(1)</script> & "friends" \r\nBcc: victim@example.com <!channel>'


def source(
    n: int, outlet: str = "", new: bool = True, copies: tuple[DigestSource, ...] = ()
) -> DigestSource:
    return DigestSource(
        article_id=n, outlet=outlet or f"Outlet {n}", url=f"https://outlet{n}.example/a?x=1&y=2",
        title=f"Title {n}", published=T0 + timedelta(minutes=n), new=new, copies=copies,
    )  # fmt: skip


def story(n: int, headline: str = "", *, update: bool = False, snippet: str = "") -> DigestStory:
    copy = source(1000 + n, "Reprint <b>", new=True)
    sources = (source(n, copies=(copy,)), source(n + 500, "Earlier Outlet", new=not update))
    return DigestStory(
        key=f"s{n}", headline=headline or f"Story number {n}", url=f"https://outlet{n}.example/a",
        snippet=snippet or f"Snippet of story {n}.", first_seen=T0, latest=T0, relevance=1.0,
        is_update=update, new_sources=2 if update else 3, sources=sources,
    )  # fmt: skip


def digest(*stories: DigestStory, more: int = 0) -> Digest:
    updates = sum(1 for s in stories if s.is_update)
    return Digest(
        name="legion-daily", channel="analysts", topics=("Legion",), built_at=T0 + timedelta(hours=2),
        since=T0 - timedelta(days=1), order="relevance", stories=stories, more=more,
        total_stories=len(stories) + more, new_stories=len(stories) + more - updates,
        updates=updates, new_sources=7, watermark=T0, shown_article_ids=(), hidden_article_ids=(),
    )  # fmt: skip


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(markup: str) -> _Collect:
    parser = _Collect()
    parser.feed(markup)
    return parser


def test_subject_and_summary() -> None:
    d = digest(story(1), story(2), story(3, update=True), story(4, update=True), story(5))
    assert render.subject(d) == "[news-monitor] legion-daily — 3 stories, 2 updates"
    assert render.subject(digest(story(1))) == "[news-monitor] legion-daily — 1 story"
    assert header_safe("a\r\nBcc: x\u2028y") == "a Bcc: x y"


def test_text_reads_on_its_own() -> None:
    text = render.text(digest(story(1), story(2, update=True), more=3), "Europe/Berlin")
    assert "1. Story number 1  [new story]" in text
    assert "2. Story number 2  [update: 2 new sources]" in text
    assert "First coverage 2024-05-02 08:00 CEST" in text
    assert "also carried by Reprint <b>: https://outlet1001.example/a?x=1&y=2" in text
    assert "Earlier: Earlier Outlet" in text
    assert "and 3 more stories (5 stories in total, 7 new sources)" in text


def test_coverage_counts_outlets_not_only_articles() -> None:
    two = story(1)  # two outlets, one article each
    assert render.coverage(two) == "2 sources"
    same = DigestStory(
        **{**two.__dict__, "sources": (source(1, "Guardian"), source(2, "Guardian"))}
    )
    assert render.coverage(same) == "2 articles from 1 source"
    assert "First coverage 2024-05-02 06:00 UTC · 2 articles from 1 source" in render.text(
        digest(same), "UTC"
    )
    assert "· 2 articles from 1 source</td>" in render.html(digest(same), "UTC")
    assert "· 2 sources</td>" in render.html(digest(two), "UTC")


def test_html_escapes_feed_text_and_has_no_remote_content() -> None:
    evil = story(1, HOSTILE, snippet="<img src=https://tracker.example/x.gif> snippet")
    evil = DigestStory(**{**evil.__dict__, "url": "javascript:alert(1)"})
    markup = render.html(digest(evil, story(2, update=True)), "UTC")
    parsed = parse_html(markup)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert not re.search(r"<(script|img|link|iframe)\b", markup, re.I)
    assert "&lt;script&gt;" in markup and "&lt;img src=" in markup
    assert "javascript:" not in markup  # unsafe link targets become '#'
    assert "https://outlet2.example/a?x=1&amp;y=2" in markup
    assert "Reprint &lt;b&gt;" in markup
    assert "table" in parsed.tags and "style=" in markup
    assert "Legion <script>" in "".join(parsed.text)  # readable text survives escaping


def test_slack_escapes_control_characters() -> None:
    payloads = render.slack(digest(story(1, HOSTILE)), "UTC")
    assert len(payloads) == 1 and not slack_problems(payloads[0])
    dumped = json.dumps(payloads)
    assert "<!channel>" not in dumped and "&lt;!channel&gt;" in dumped
    assert "<script>" not in dumped
    section = payloads[0]["blocks"][3]["text"]["text"]
    assert section.startswith("*<https://outlet1.example/a|Legion &lt;script&gt;")
    context = payloads[0]["blocks"][4]["elements"][0]["text"]
    assert "<https://outlet1.example/a?x=1&amp;y=2|Outlet 1>" in context
    assert "also carried by" in context


def test_slack_link_cannot_break_out() -> None:
    assert (
        render.slack_link("https://x.example/a|b>c", "t|<x>")
        == "<https://x.example/a%7Cb%3Ec|t¦&lt;x&gt;>"
    )
    assert render.slack_link("javascript:alert(1)", "<t>") == "&lt;t&gt;"


def test_slack_splits_long_digests_in_order_within_limits() -> None:
    stories = tuple(story(n, "H" * 400, snippet="word " * 1000) for n in range(40))
    payloads = render.slack(digest(*stories, more=5), "UTC")
    assert len(payloads) > 1
    for n, payload in enumerate(payloads, 1):
        assert not slack_problems(payload), slack_problems(payload)
        assert payload["text"].endswith(f"({n}/{len(payloads)})")
        assert payload["blocks"][0]["type"] == "header"
        assert len(json.dumps(payload)) < 40000
    links = [b["text"]["text"] for p in payloads for b in p["blocks"] if b["type"] == "section"]
    assert [re.search(r"outlet(\d+)\.example", t).group(1) for t in links] == [
        str(n) for n in range(40)
    ]  # type: ignore[union-attr]
    assert "and 5 more stories" in json.dumps(payloads[-1]["blocks"][-1])


def test_header_is_cut_to_150() -> None:
    d = digest(story(1))
    long = Digest(**{**d.__dict__, "name": "x" * 300})
    header = render.slack(long, "UTC")[0]["blocks"][0]["text"]["text"]
    assert len(header) == 150 and header.endswith("…")


def test_empty_digest_renders() -> None:
    empty = digest()
    assert "No new coverage." in render.text(empty, "UTC")
    assert "No new coverage." in render.html(empty, "UTC")
    (payload,) = render.slack(empty, "UTC")
    assert not slack_problems(payload)
