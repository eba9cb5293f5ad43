"""Tests for the assemble stage's feed-text rules: feed HTML → text, when feed content is whole."""

from __future__ import annotations

import pytest

from monitor.ingest.assemble import feed_content_is_full, html_to_text
from monitor.models import Entry


def test_html_to_text() -> None:
    html = "<p>Hello&nbsp;<b>world</b> &amp; co</p><p>Two<br>lines</p><script>x()</script>"
    assert html_to_text(html) == "Hello world & co\n\nTwo\nlines"
    assert html_to_text("plain   text") == "plain text"
    assert html_to_text("") == ""
    assert html_to_text("<ul><li>a</li><li>b</li></ul>tail") == "a\n\nb\n\ntail"


PARAGRAPH = (
    "The committee met on Monday to discuss the new budget for the coming year, and members "
    "agreed after a long debate that spending on schools and roads should rise while the "
    "administration should shrink by a tenth over three years, with a review in the spring."
)  # 50 words


def entry(content: str = "", summary: str = "") -> Entry:
    return Entry(url="https://x.example/a", guid="a", content=content, summary=summary)


def paragraphs(n: int) -> str:
    return "".join(f"<p>{PARAGRAPH}</p>" for _ in range(n))


@pytest.mark.parametrize(
    ("item", "full"),
    [
        (entry(content=paragraphs(4)), True),
        (entry(summary=paragraphs(4)), True),  # full article in <description>
        (entry(content=paragraphs(2)), False),  # 100 words: a teaser
        (entry(content=paragraphs(4) + "<p>Read more</p>"), False),
        (entry(content=paragraphs(4)[:-4] + " […]</p>"), False),
        (entry(content=paragraphs(4)[:-4] + "…</p>"), False),
        (
            entry(content=paragraphs(4) + "<p>The post Budget appeared first on Town News.</p>"),
            False,
        ),
        (entry(content=PARAGRAPH * 4), False),  # 200 words, one block
        (entry(content=PARAGRAPH * 9), True),  # 450 words, one block
        (entry(content=paragraphs(1), summary=paragraphs(1)), False),  # summary repeated
        (entry(), False),
    ],
)
def test_feed_content_is_full(item: Entry, full: bool) -> None:
    assert feed_content_is_full(item) is full
