"""The records that flow between pipeline stages (frozen dataclasses, no behaviour)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FetchResult:
    """What fetch.py got for one URL."""

    url: str  # the final URL after redirects
    status: int  # 200, 304, ...
    body: bytes  # empty on 304
    headers: dict[str, str]  # lower-cased names
    etag: str | None = None
    last_modified: str | None = None
    permanent_redirect: str | None = None  # new URL when a 301/308 chain was followed
    elapsed: float = 0.0
    http_version: str = ""  # "HTTP/1.1", "HTTP/2" of the last hop; "" when not known

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class Entry:
    """One item of a feed (or one article link of a section page)."""

    url: str | None
    guid: str | None
    title: str = ""
    summary: str = ""  # HTML or text as the feed gives it
    content: str = ""  # the feed's full content (HTML), when it carries one
    author: str | None = None
    published: datetime | None = None  # aware, UTC
    updated: datetime | None = None


@dataclass(frozen=True)
class ParsedFeed:
    """What parse.py salvaged from a feed document."""

    entries: list[Entry]
    format: str  # "rss", "atom", "rdf", "json", "html-links"
    title: str = ""
    link: str | None = None
    ttl_seconds: int | None = None  # RSS <ttl>, sy:updatePeriod
    malformed: str | None = None  # why the document was not well-formed, when salvaged


@dataclass(frozen=True)
class Extracted:
    """The article text and metadata that extract.py found in a page."""

    text: str
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    language: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None


@dataclass(frozen=True)
class Article:
    """An article ready to be stored: the merge of feed entry and extraction."""

    url: str
    canonical_url: str
    title: str
    text: str
    source: str  # the configured source name
    guid: str | None = None
    author: str | None = None
    published: datetime | None = None
    fetched: datetime | None = None
    language: str | None = None
    site_name: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SkipCount:
    """Items of one document left out for one reason: how many, and the first one's link."""

    reason: str
    count: int
    example: str | None = None
