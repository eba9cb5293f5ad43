"""A source's steps between fetch and store, shared by `Pipeline.poll` and `feeds test`.

`entries_of` reads the fetched document (a feed, or a section page: its own feed or its article
links); `key_entries` gives each entry its canonical URL, or skips it with the reason (a bad
link never fails its feed); `article_of` turns one entry into the article to store (the page fetched when
`wants_page` says so, extracted in the pool with a timeout, then `build_article`). Neither
logs nor stores: they return records, and the pipeline logs and stores what they say. Every URL
a document leads to is fetched with its configured source's URL, so the fetcher refuses it
when it reaches a private address off that host (an item so refused is skipped).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from monitor.errors import (
    AddressRefused,
    BodyIncomplete,
    ConnectFailed,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    ParseError,
)
from monitor.extract.article import ExtractPool
from monitor.fetch.client import PAGE_ACCEPT, Fetcher
from monitor.ingest.assemble import build_article, feed_text_of, wants_page
from monitor.models import Article, Entry, Extracted, FetchResult, ParsedFeed
from monitor.parse.feeds import parse_feed
from monitor.parse.pages import discover
from monitor.urls import MAX_URL_CHARS, canonical_url, link_problem, with_credentials

EXTRACT_TIMEOUT = 120.0  # seconds one page may take in the pool before the feed text is used
NO_LINK = "the item has no link"
NOTHING_TO_STORE = "the item has neither a title nor any text"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class SourceEntries:
    """A document's entries; for a section page, the feed it advertises and why it was not used."""

    parsed: ParsedFeed
    page: bool = False  # read as a section page
    feed_url: str | None = None
    feed_error: str | None = None  # the page's feed was unreadable: its links were used


@dataclass(frozen=True)
class Teaser:
    """An article stored with its feed's text for now: its page failed for a while (`error`),
    so it waits for its full text (ingest/retry.py)."""

    article: Article
    error: str


@dataclass(frozen=True)
class EntryArticle:
    """What one entry became, and how: the page wanted, extracted, failed or timed out."""

    article: Article | None  # None with neither text nor title (nothing to store)
    page_wanted: bool
    extracted: Extracted | None = None
    page_error: str | None = None  # the page could not be fetched; the feed's text is used
    timed_out: bool = False  # extraction took longer than EXTRACT_TIMEOUT
    retry_error: str | None = None  # the page failed for a while (or timed out): try it later
    no_text: bool = False  # the page was wanted, and neither it nor the feed gave text
    refused: Skip | None = None  # the link reached a private address: the item is skipped

    @property
    def text_from(self) -> str:
        return "page" if self.extracted is not None and self.extracted.text else "feed"

    @property
    def stored(self) -> Article | Teaser | None:
        """What to store: the article, as a Teaser when its page is to be tried again."""
        if self.article is not None and self.retry_error is not None:
            return Teaser(self.article, self.retry_error)
        return self.article

    def problems(self, url: str | None) -> list[str]:
        """What went wrong with the page at *url*, one phrase each (the poll logs them)."""
        found = [f"timed out on {url}"] if self.timed_out else []
        if self.page_error is not None:
            found.append(f"page {url}: {self.page_error}")
        if self.no_text:
            found.append(f"no text for {url}")
        return found


@dataclass(frozen=True)
class Document:
    """A fetched document; `incomplete` when the server closed before its end (what came is in
    `result`, without validators, so the next poll gets the whole document)."""

    result: FetchResult
    incomplete: BodyIncomplete | None = None


@dataclass(frozen=True)
class KeyedEntry:
    """An entry whose link can be stored, with its canonical URL (the article's identity)."""

    entry: Entry
    canon: str


@dataclass(frozen=True)
class Skip:
    """An item left out of a poll: why (a fixed phrase, so skips count by reason), and its link."""

    reason: str
    link: str | None


@dataclass(frozen=True)
class KeyedEntries:
    """A document's entries split into those to store and those skipped."""

    keyed: list[KeyedEntry]
    skipped: list[Skip]


def key_entries(entries: Iterable[Entry]) -> KeyedEntries:
    """Each entry keyed by its canonical URL, or skipped with the reason; never raises.

    A GUID the store could not hold (control characters, over MAX_URL_CHARS) is dropped, and
    the entry is known by its link alone.
    """
    keyed: list[KeyedEntry] = []
    skipped: list[Skip] = []
    for entry in entries:
        url = entry.url
        problem = link_problem(url) if url else NO_LINK
        if problem is not None or url is None:
            skipped.append(Skip(problem or NO_LINK, url))
            continue
        guid = _CONTROL.sub("", entry.guid or "").strip() or None
        if guid is not None and len(guid) > MAX_URL_CHARS:
            guid = None
        entry = replace(entry, guid=guid) if guid != entry.guid else entry
        keyed.append(KeyedEntry(entry, canonical_url(url)))
    return KeyedEntries(keyed, skipped)


def refused_skip(exc: AddressRefused, link: str | None) -> Skip:
    """The skip of an item whose link (or its redirect) reached a private address."""
    what = "redirect" if exc.redirected else "link"
    return Skip(f"{what} to a private address {exc.address} refused; {exc.hint}", link)


async def fetch_document(
    fetcher: Fetcher, url: str, etag: str | None, last_modified: str | None, *, source: str
) -> Document:
    """GET a source's document (conditionally); one cut short comes back with what arrived.

    `source` is the configured URL (`url` may be where it moved to)."""
    try:
        return Document(
            await fetcher.fetch(url, etag=etag, last_modified=last_modified, source=source)
        )
    except BodyIncomplete as exc:
        return Document(FetchResult(exc.url, exc.status, exc.received, exc.headers), exc)


async def entries_of(
    fetcher: Fetcher, result: FetchResult, kind: str, *, source: str
) -> SourceEntries:
    """The entries of a fetched feed, or (`kind` "page") a section page's feed's or its links.

    Raises ParseError for an unreadable feed; a section page's unreadable feed, or one on a
    private address refused, gives its links. `source`: the configured URL.
    """
    if kind != "page":
        parsed = await asyncio.to_thread(parse_feed, result.body, result.url, result.headers)
        return SourceEntries(parsed)
    links = await asyncio.to_thread(discover, result.body, result.url, result.headers)
    feed_error = None
    if links.feed_url:
        try:
            feed = await fetcher.fetch(links.feed_url, source=source)
            parsed = await asyncio.to_thread(parse_feed, feed.body, feed.url, feed.headers)
            return SourceEntries(parsed, True, links.feed_url)
        except (ParseError, AddressRefused) as exc:
            feed_error = exc.message
    parsed = ParsedFeed(entries=list(links.entries), format="html-links")
    return SourceEntries(parsed, True, links.feed_url, feed_error)


async def article_of(
    fetcher: Fetcher,
    extractor: ExtractPool,
    entry: Entry,
    canon: str,
    full_text: str,
    *,
    source: str,
    origin: str,
    clock: Callable[[], datetime],
) -> EntryArticle:
    """The article entry `entry` (canonical URL `canon`) becomes under `full_text:`.

    `origin` is the source's configured URL: only its host may be private (see Fetcher.fetch),
    and a page on its scheme, host and port is fetched with its user name and password, as the
    feed itself is.
    """
    assert entry.url is not None
    feed_text = feed_text_of(entry)
    if not wants_page(full_text, entry, feed_text):
        article = build_article(entry, canon, None, feed_text, source=source, fetched=clock())
        return EntryArticle(article, page_wanted=False)
    read = await read_page(fetcher, extractor, entry.url, origin)
    if read.refused is not None:
        return EntryArticle(None, page_wanted=True, refused=refused_skip(read.refused, entry.url))
    extracted = read.extracted
    article = build_article(entry, canon, extracted, feed_text, source=source, fetched=clock())
    return EntryArticle(
        article,
        page_wanted=True,
        extracted=extracted,
        page_error=None if read.timed_out else read.error,
        timed_out=read.timed_out,
        retry_error=read.error if read.transient and article is not None else None,
        no_text=extracted is None and not feed_text,
    )


@dataclass(frozen=True)
class PageRead:
    """An article page fetched and extracted, or why not: `transient` when the failure may pass
    (a timeout, a 5xx or 429, a lost connection, extraction over EXTRACT_TIMEOUT), so the page is
    worth trying again later; a 404, a refused address or a page without text is not."""

    extracted: Extracted | None = None
    error: str | None = None
    transient: bool = False
    timed_out: bool = False
    refused: AddressRefused | None = None


async def read_page(fetcher: Fetcher, extractor: ExtractPool, url: str, origin: str) -> PageRead:
    """Fetch an article page (with its source's credentials on its host) and extract it."""
    try:
        page = await fetcher.fetch(with_credentials(url, origin), accept=PAGE_ACCEPT, source=origin)
        extracted = await asyncio.wait_for(extractor.extract(page.body, page.url), EXTRACT_TIMEOUT)
    except TimeoutError:
        error = f"{url}: extraction took longer than {EXTRACT_TIMEOUT:g}s"
        return PageRead(error=error, transient=True, timed_out=True)
    except AddressRefused as exc:
        return PageRead(refused=exc)
    except FetchError as exc:
        return PageRead(error=exc.message, transient=transient(exc))
    return PageRead(extracted)


def transient(exc: FetchError) -> bool:
    """Whether a page's fetch failed for a while only (its next attempt may succeed)."""
    if isinstance(exc, HTTPStatusError):
        return exc.status >= 500 or exc.status in (408, 425, 429)
    return isinstance(exc, FetchTimeout | ConnectFailed)
