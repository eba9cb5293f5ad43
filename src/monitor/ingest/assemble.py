"""Assemble stage: a feed entry and its extracted page (if fetched) → the Article to store; no I/O.

Which text an article gets (the feed's own, or its page's without a repeated headline) and
whose metadata wins (the entry's, then the page's). `steps.article_of` fetches and extracts the
page when `wants_page` says so, for the pipeline and for `feeds test` (probe.py) alike.
"""

from __future__ import annotations

from datetime import datetime

from monitor.extract.article import drop_title_line, feed_content_is_full, html_to_text
from monitor.models import Article, Entry, Extracted
from monitor.urls import canonical_url


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
    canonical = (
        canonical_url(extracted.canonical_url) if extracted and extracted.canonical_url else canon
    )
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
