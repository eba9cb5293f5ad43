"""Assemble stage: a feed entry and its extracted page (if fetched) → the Article to store; no I/O.

Which text an article gets (the feed's own, or its page's without a repeated headline) and
whose metadata wins (the entry's, then the page's). `steps.article_of` fetches and extracts the
page when `wants_page` says so, for the pipeline and for `feeds test` (probe.py) alike.
"""

from __future__ import annotations

import re
from datetime import datetime

import lxml.html
from lxml import etree

from monitor.models import Article, Entry, Extracted
from monitor.urls import canonical_url, link_problem

FULL_MIN_WORDS = 150  # below this, feed content is a teaser
FULL_MIN_PARAGRAPHS = 2  # ... and a single block under FULL_LONG_WORDS is one too
FULL_LONG_WORDS = 400
TRUNCATED = re.compile(
    r"(…|\.\.\.|\[\s*(…|\.\.\.)\s*\]|\(more\W*\)|read (the )?(more|full \w+|rest)|continue reading|"
    r"the post .{1,200} appeared first on .{1,200})\W*$",
    re.I,
)
BLOCK_TAGS: tuple[str, ...] = (
    "p",
    "div",
    "li",
    "blockquote",
    "pre",
    "table",
    "tr",
    "section",
    "article",
    "figure",
)
BLOCK_TAGS += ("h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "dt", "dd", "header", "footer")
DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "svg")


def feed_text_of(entry: Entry) -> str:
    """The plain text the feed itself carries for an entry (its content, else its summary)."""
    html = entry.content or entry.summary
    return html_to_text(html) if html else ""


def wants_page(full_text: str, entry: Entry, feed_text: str) -> bool:
    """Whether the article page must be fetched (`full_text:` always / never / auto)."""
    if full_text == "never":
        return False
    return full_text == "always" or not feed_content_is_full(entry, feed_text)


def body_text(extracted: Extracted | None, title: str, feed_text: str) -> str:
    """The article body to store: the page's text without a repeated headline, else the feed's."""
    if extracted is not None and extracted.text:
        return drop_title_line(extracted.text, title)
    return feed_text


def build_article(
    entry: Entry,
    canon: str,
    extracted: Extracted | None,
    feed_text: str,
    *,
    source: str,
    fetched: datetime,
) -> Article | None:
    """The article an entry (canonical URL `canon`) becomes; None with neither text nor title."""
    assert entry.url is not None
    title = entry.title or (extracted.title if extracted and extracted.title else "")
    text = body_text(extracted, title, feed_text)
    if not text and not entry.title:
        return None
    declared = extracted.canonical_url if extracted else None
    canonical = canonical_url(declared) if declared and link_problem(declared) is None else canon
    return Article(
        url=entry.url,
        canonical_url=canonical,
        title=title,
        text=text,
        source=source,
        guid=entry.guid,
        author=entry.author or (extracted.author if extracted else None),
        published=entry.published or entry.updated or (extracted.published if extracted else None),
        fetched=fetched,
        language=extracted.language if extracted else None,
        site_name=extracted.site_name if extracted else None,
    )


def drop_title_line(text: str, title: str) -> str:
    """*text* without a first line that only repeats the headline (trafilatura keeps the h1)."""
    first, _, rest = text.partition("\n")
    if title and rest and " ".join(first.split()).casefold() == " ".join(title.split()).casefold():
        return rest.lstrip("\n")
    return text


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment (feed content): blocks become paragraphs, scripts dropped."""
    if "<" not in html and "&" not in html:
        return _tidy(html)
    try:
        doc = lxml.html.document_fromstring(f"<html><body><div>{html}</div></body></html>")
    except (etree.ParserError, ValueError):
        return ""
    for el in list(doc.iter(*DROP_TAGS)):
        el.drop_tree()
    for el in doc.iter("br"):
        el.tail = "\n" + (el.tail or "")
    for el in doc.iter(*BLOCK_TAGS):
        el.text = "\n\n" + (el.text or "")
        el.tail = "\n\n" + (el.tail or "")
    return _tidy(str(doc.text_content()))


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.replace("\r", "").split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def feed_content_is_full(entry: Entry, text: str | None = None) -> bool:
    """Whether the feed's own content is the whole article (`full_text: auto`), so no page fetch.

    The rule: take the entry's content (else its summary, which many RSS feeds fill with
    the whole article) as plain text. It is the full article when it has at least 150 words
    in at least 2 paragraphs (or 400 words in one block), and does not end like a teaser:
    "…", "...", "[…]", "(more…)", "Read more", "Continue reading", "Read the full story",
    "The post X appeared first on Y". A summary merely repeated as content is judged by the
    same thresholds, so a repeated teaser stays a teaser. `text`, when given, is that plain
    text already computed by the caller.
    """
    if text is None:
        text = html_to_text(entry.content or entry.summary or "")
    words = len(re.findall(r"\w+", text))
    paragraphs = sum(1 for block in text.split("\n\n") if len(re.findall(r"\w+", block)) >= 5)
    if words < FULL_MIN_WORDS:
        return False
    if paragraphs < FULL_MIN_PARAGRAPHS and words < FULL_LONG_WORDS:
        return False
    return not TRUNCATED.search(text[-300:])
