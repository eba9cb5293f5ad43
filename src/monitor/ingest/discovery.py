"""Feed autodiscovery: the feeds an HTML page declares, else those at the usual paths of its site.

`feeds add` and `feeds test` ask it about a URL that is not a feed. A declared feed
(`<link rel="alternate">`, found by `parse/pages.py`) counts only when it is fetched and parses
as one; the usual paths are probed one after another, and only when the page declares none
that reads, stopping at the first feed and at the first sign that the host is unwell. Each is
fetched as a URL found from the one asked about (a private address is refused off its host).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from monitor.config import Config
from monitor.errors import FetchError, HTTPStatusError, ParseError
from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings, fetch_settings
from monitor.models import FetchResult, ParsedFeed
from monitor.parse.feeds import parse_feed
from monitor.parse.pages import feed_links, is_comments_feed

USUAL_PATHS = ("/feed", "/rss.xml", "/atom.xml", "/index.xml", "/feed.json")
MAX_DECLARED = 5  # declared feeds fetched at most, in page order
GONE = frozenset({404, 410})  # a probed path that is not there; any other failure stops probing


@dataclass(frozen=True)
class FoundFeed:
    """A feed found for a page: where, its own title, its format, and how it was found."""

    url: str  # as declared or probed (what the config gets), not where a redirect ended
    title: str
    format: str  # "rss", "atom", "rdf", "json"
    via: str  # "declared" (the page's <link rel="alternate">) or "probed" (a usual path)


@dataclass(frozen=True)
class Discovery:
    """What a URL turned out to be: a feed itself (`parsed`), or a page and the feeds found."""

    url: str
    parsed: ParsedFeed | None  # the URL is a feed
    feeds: tuple[FoundFeed, ...] = ()
    not_a_feed: str | None = None  # why the URL is not a feed (the parser's message)


async def discover_url(config: Config | None, url: str, *, find: bool = True) -> Discovery:
    """Fetch `url` with the config's fetch settings; return it as a feed, else (when `find`)
    the feeds its page leads to. Raises FetchError when `url` itself cannot be fetched."""
    async with Fetcher(fetch_settings(config) if config else FetchSettings()) as fetcher:
        return await discover_in(fetcher, url, await fetcher.fetch(url), find=find)


async def discover_in(
    fetcher: Fetcher, url: str, result: FetchResult, *, find: bool = True
) -> Discovery:
    """The same for a document already fetched (`result`, the answer for `url`)."""
    try:
        parsed = await asyncio.to_thread(parse_feed, result.body, result.url, result.headers)
        return Discovery(url, parsed)
    except ParseError as exc:
        not_a_feed = exc.message
    if not find:
        return Discovery(url, None, (), not_a_feed)
    found = await _declared(fetcher, result, url)
    if not found:
        found = await _probed(fetcher, result.url, url)
    return Discovery(url, None, tuple(found), not_a_feed)


async def _declared(fetcher: Fetcher, page: FetchResult, source: str) -> list[FoundFeed]:
    links = await asyncio.to_thread(feed_links, page.body, page.url, page.headers)
    posts = [link for link in links if not is_comments_feed(link)]
    found = []
    for link in (posts or links)[:MAX_DECLARED]:
        parsed = await _read(fetcher, link.url, source)
        if parsed is not None:
            found.append(FoundFeed(link.url, parsed.title or link.title, parsed.format, "declared"))
    return found


async def _probed(fetcher: Fetcher, page_url: str, source: str) -> list[FoundFeed]:
    parts = urlsplit(page_url)
    for path in USUAL_PATHS:
        url = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
        try:
            parsed = await _read(fetcher, url, source, quiet=False)
        except HTTPStatusError as exc:
            if exc.status in GONE:
                continue
            return []
        except FetchError:
            return []  # unreachable, slow or refusing: ask it nothing more
        if parsed is not None:
            return [FoundFeed(url, parsed.title, parsed.format, "probed")]
    return []


async def _read(
    fetcher: Fetcher, url: str, source: str, *, quiet: bool = True
) -> ParsedFeed | None:
    """The feed at `url` (found from `source`), or None when it is not one; a fetch failure too
    unless not `quiet`."""
    try:
        result = await fetcher.fetch(url, source=source)
        return await asyncio.to_thread(parse_feed, result.body, result.url, result.headers)
    except ParseError:
        return None
    except FetchError:
        if quiet:
            return None
        raise
