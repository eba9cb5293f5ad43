"""Parse stage: fetched feed bytes (RSS, Atom, RDF, CDF, JSON Feed) → ParsedFeed; no I/O."""

from __future__ import annotations

import calendar
import html
import io
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax import SAXParseException

import feedparser
from feedparser.datetimes import _parse_date
from feedparser.sanitizer import _sanitize_html
from feedparser.urls import resolve_relative_uris

from monitor.clock import utcnow
from monitor.errors import ParseError
from monitor.models import Entry, ParsedFeed
from monitor.parse.pages import discover
from monitor.parse.rss import parse_rss
from monitor.urls import join_url

FUTURE_SLACK = timedelta(days=2)  # a date further ahead than this is a publisher's bug
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # before the web: a placeholder, not a date
JSON_TYPES = ("application/feed+json", "application/json")
# bozo reasons that say the server mislabelled the feed, not that the feed is broken
BENIGN_BOZO = ("NonXMLContentType", "CharacterEncodingOverride")
# expat's messages for a document that ends inside an element, a tag or a CDATA section
TRUNCATED_XML = frozenset({"no element found", "unclosed token", "unclosed CDATA section"})
SY_PERIODS = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 604800,
    "monthly": 2592000,
    "yearly": 31536000,
}
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_HTML_START = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)[\s>]", re.I | re.S
)
_TYPE_PAGE_HINT = "if this is a section page without a feed, set `type: page` for this source"


def parse_feed(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
    fast: bool = True,
) -> ParsedFeed:
    """Parse a feed document fetched from `url`; raise ParseError when it holds nothing feed-like.

    `headers` are the HTTP response headers (charset, Content-Location, Content-Language).
    A malformed document that still yields entries comes back with `malformed` set.
    `fast=False` skips the plain-RSS fast path (parse_rss.py): feedparser reads everything.
    """
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    if not body.strip():
        raise ParseError(f"{url}: empty body, no feed", hint="check that the URL serves a feed")
    now = now or utcnow()
    try:
        if _looks_like_json(body, hdrs):
            return _parse_json_feed(body, url, now)
        return _parse_xml_feed(body, url, hdrs, now, fast)
    except ParseError:
        raise
    except Exception as exc:  # a feedparser bug on odd input must not take the daemon down
        raise ParseError(
            f"{url}: could not parse the feed ({exc})",
            hint="the document is probably not a feed",
        ) from exc


def _looks_like_json(body: bytes, hdrs: Mapping[str, str]) -> bool:
    ctype = hdrs.get("content-type", "").split(";")[0].strip().lower()
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return start == b"{" or (ctype in JSON_TYPES and start != b"<")  # XML labelled JSON is XML


def _parse_xml_feed(
    body: bytes, url: str, hdrs: dict[str, str], now: datetime, fast: bool
) -> ParsedFeed:
    base = (
        join_url(url, hdrs.get("content-location", "")) if url else hdrs.get("content-location", "")
    )
    hdrs["content-location"] = base
    # a stream, never the bytes themselves: feedparser would open bytes naming a local file
    # no sanitising here: feed HTML is only ever turned into text (ingest/assemble.html_to_text drops
    # scripts and styles) and escaped on output, and the sanitiser is a third of parse time
    d = parse_rss(body, hdrs) if fast else None  # plain RSS 2.0: same values, a third the time
    if d is None:
        d = feedparser.parse(io.BytesIO(body), response_headers=hdrs, sanitize_html=False)
    version = str(d.get("version") or "")
    raw_entries = list(d.get("entries") or [])
    reason = _bozo_reason(d)
    feed = d.get("feed") or {}
    if not version and not raw_entries:
        if _is_html(body) or not any(feed.get(k) for k in ("title", "link", "subtitle", "updated")):
            raise _not_a_feed(body, url, reason)
        version = "cdf" if b"<channel" in body.lower() else ""  # an item-less CDF channel
    entries = [_entry(e, base, now) for e in raw_entries]
    return ParsedFeed(
        entries=entries,
        format=_format(version),
        title=_plain(feed.get("title", ""), feed.get("title_detail")),
        link=_abs(base, feed.get("link")),
        ttl_seconds=_ttl(feed),
        malformed=reason,
    )


def _bozo_reason(d: Mapping[str, Any]) -> str | None:
    """Why feedparser found the document ill-formed, as a sentence (no parser internals)."""
    if not d.get("bozo"):
        return None
    exc = d.get("bozo_exception")
    if exc is None:
        return "the feed is not well-formed XML"
    if type(exc).__name__ in BENIGN_BOZO:
        return None
    if isinstance(exc, SAXParseException):
        where = f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}"
        message = str(exc.getMessage())
        if message in TRUNCATED_XML:
            return f"the XML is truncated at {where}"
        return f"the XML is not well-formed at {where} ({message})"
    return f"the feed is not well-formed: {exc}"


def _not_a_feed(body: bytes, url: str, reason: str | None) -> ParseError:
    if _is_html(body):
        feed_url = discover(body, url, limit=0).feed_url
        hint = (
            f"the page names its feed: use {feed_url} as the url" if feed_url else _TYPE_PAGE_HINT
        )
        return ParseError(f"{url}: got an HTML page where a feed was expected", hint=hint)
    detail = f" ({reason})" if reason else ""
    return ParseError(
        f"{url}: not a feed: no RSS, Atom or JSON Feed document found{detail}",
        hint="check the URL; " + _TYPE_PAGE_HINT,
    )


def _is_html(body: bytes) -> bool:
    return bool(_HTML_START.match(body[:4096])) or b"<html" in body[:2048].lower()


def _format(version: str) -> str:
    if version in ("rss090", "rss10"):
        return "rdf"
    for prefix in ("rss", "atom", "cdf", "json"):
        if version.startswith(prefix):
            return prefix
    return "rss"


def _entry(e: Mapping[str, Any], base: str, now: datetime) -> Entry:
    link = _abs(base, e.get("link"))
    guid = str(e.get("id") or "").strip() or link
    contents = [c.get("value") or "" for c in e.get("content") or []]
    updated = _date(e.get("updated_parsed"), now)
    author = e.get("author") or next((a.get("name") for a in e.get("authors") or [] if a), None)
    return Entry(
        url=link,
        guid=guid,
        title=_plain(e.get("title", ""), e.get("title_detail")),
        summary=str(e.get("summary") or ""),
        content=max(contents, key=len, default=""),
        author=_collapse(author) or None if author else None,
        # dc:date and Atom 0.3 <modified> arrive as "updated": the best publication date there is
        published=_date(e.get("published_parsed"), now) or updated,
        updated=updated,
    )


def _plain(value: Any, detail: Mapping[str, Any] | None = None) -> str:
    """Plain text of a title: tags stripped (HTML titles), entities decoded, whitespace collapsed."""
    text = str(value or "")
    if detail is not None and "html" in str(detail.get("type", "")):
        text = _TAG.sub(" ", text)
    return _collapse(html.unescape(text))


def _collapse(text: Any) -> str:
    return _SPACE.sub(" ", str(text)).strip()


def _abs(base: str, link: Any) -> str | None:
    if not link:
        return None
    href = str(link).strip()
    return join_url(base, href) if base else href  # a bad link is skipped later, not fatal here


def _date(parsed: Any, now: datetime) -> datetime | None:
    if not parsed:
        return None
    try:
        value = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return None
    return _sane(value, now)


def _sane(value: datetime, now: datetime) -> datetime | None:
    return value if EARLIEST <= value <= now + FUTURE_SLACK else None


def _ttl(feed: Mapping[str, Any]) -> int | None:
    ttl = _positive_int(feed.get("ttl"))
    if ttl:
        return ttl * 60
    period = SY_PERIODS.get(str(feed.get("sy_updateperiod") or "").strip().lower())
    if period is None:
        return None
    frequency = _positive_int(feed.get("sy_updatefrequency")) or 1
    return max(period // frequency, 60)


def _positive_int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _parse_json_feed(body: bytes, url: str, now: datetime) -> ParsedFeed:
    try:
        doc = json.loads(body.decode("utf-8-sig", errors="replace"))
    except ValueError as exc:
        raise ParseError(
            f"{url}: invalid JSON ({exc})", hint="check that the URL serves a feed"
        ) from exc
    if not isinstance(doc, dict) or not (
        "jsonfeed.org" in str(doc.get("version", "")) or isinstance(doc.get("items"), list)
    ):
        raise ParseError(
            f"{url}: JSON document, but not a JSON Feed (no version/items)",
            hint="check the URL; JSON Feed 1.0/1.1 is supported",
        )
    base = url
    items = [i for i in doc.get("items") or [] if isinstance(i, dict)]
    feed_author = _json_author(doc)
    return ParsedFeed(
        entries=[_json_entry(i, base, now, feed_author) for i in items],
        format="json",
        title=_collapse(html.unescape(str(doc.get("title") or ""))),
        link=_abs(base, doc.get("home_page_url")),
        ttl_seconds=None,
        malformed=None if isinstance(doc.get("items"), list) else "no items list",
    )


def _json_entry(
    item: Mapping[str, Any], base: str, now: datetime, feed_author: str | None
) -> Entry:
    link = _abs(base, item.get("url") or item.get("external_url"))
    content_html = str(item.get("content_html") or "")
    if content_html:
        content_html = _sanitize_html(
            resolve_relative_uris(content_html, base, "utf-8", "text/html"), "utf-8", "text/html"
        )
    content_text = str(item.get("content_text") or "")
    content = content_html or html.escape(content_text)
    summary = str(item.get("summary") or "")
    return Entry(
        url=link,
        guid=str(item.get("id") or "").strip() or link,
        title=_collapse(html.unescape(str(item.get("title") or ""))),
        summary=html.escape(summary) if summary else "",
        content=content,
        author=_json_author(item) or feed_author,
        published=_iso_date(item.get("date_published"), now),
        updated=_iso_date(item.get("date_modified"), now),
    )


def _json_author(obj: Mapping[str, Any]) -> str | None:
    authors = obj.get("authors")
    candidates = authors if isinstance(authors, list) else [obj.get("author")]
    for a in candidates:
        if isinstance(a, dict) and a.get("name"):
            return _collapse(a["name"])
        if isinstance(a, str) and a.strip():
            return _collapse(a)
    return None


def _iso_date(value: Any, now: datetime) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        struct = _parse_date(value)  # RFC 822 and friends, as feedparser reads them
        if not struct:
            return None
        parsed = datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return _sane(parsed.astimezone(UTC), now)
