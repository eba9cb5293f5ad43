"""What the plain-RSS fast path (parse_rss.py) knows of feedparser: element keys, values.

Which element keys feedparser dispatches on and which of them touch the keys parse.py reads
(anything else means `Unsupported`: feedparser parses the document), and how feedparser
finishes a value (the tail of its pop(), relative links in HTML resolved, titles typed).
"""

from __future__ import annotations

import re
from typing import Any

from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import resolve_relative_uris

XML_NS = "{http://www.w3.org/XML/1998/namespace}"
STRUCTURE_ATTRS = frozenset({f"{XML_NS}base", f"{XML_NS}lang"})
KNOWN: dict[str, str] = {k.lower(): v for k, v in _FeedParserMixin.namespaces.items()}
STANDARD_PREFIXES = frozenset(v for v in KNOWN.values() if v)
# versions feedparser infers from a namespace declaration (track_namespace); not plain RSS
VERSION_NAMESPACES = frozenset(
    {"http://my.netscape.com/rdf/simple/0.9/", "http://purl.org/rss/1.0/"}
)
# keys feedparser stores that parse.py reads: an unknown element of that name would set them
RESERVED = frozenset(
    {"link", "links", "id", "title", "title_detail", "summary", "summary_detail", "content"}
    | {"author", "authors", "author_detail", "published", "published_parsed", "updated"}
    | {"updated_parsed", "guidislink", "ttl", "sy_updateperiod", "sy_updatefrequency"}
)
# leaves whose feedparser handlers touch nothing parse.py reads
SAFE_ITEM = frozenset(
    {"category", "enclosure", "comments", "source", "dc_subject", "media_content"}
    | {"media_thumbnail", "dc_language", "dc_rights"}
)
SAFE_CHANNEL = frozenset(
    {"description", "language", "copyright", "managingeditor", "webmaster", "pubdate"}
    | {"lastbuilddate", "category", "generator", "docs", "cloud", "rating", "dc_language"}
    | {"dc_rights", "dc_publisher", "dc_creator", "dc_date", "dc_subject", "sy_updatebase"}
)
IMAGE_CHILDREN = frozenset({"title", "link", "description", "url", "href", "width", "height"})
SKIP_CHILDREN = {"skiphours": "hour", "skipdays": "day"}
LINK_ATTRS = frozenset({"rel", "type", "href", "hreflang", "title", "length"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
ENTITYISH = re.compile("&([A-Za-z0-9_]+);")


class Unsupported(Exception):
    """Something the fast path does not reproduce exactly: use feedparser."""


def has_handler(key: str) -> bool:
    """Whether feedparser has a _start_/_end_ handler for an element key."""
    return hasattr(_FeedParserMixin, "_start_" + key) or hasattr(_FeedParserMixin, "_end_" + key)


def finish(text: str) -> str:
    """The tail of feedparser's pop(): undo UTF-8 read as Latin-1, map C1 controls as cp1252."""
    try:
        text = text.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return text.translate(_cp1252)


def leaf_text(el: Any) -> str:
    """A leaf element's stripped text; Unsupported if anything is nested in it."""
    if len(el):  # child elements, comments or processing instructions: feedparser's business
        raise Unsupported(el.tag)
    return str(el.text or "").strip()


def html_value(text: str, base: str) -> str:
    """HTML with its relative links resolved against `base`, finished."""
    return finish(resolve_relative_uris(text, base, "utf-8", "text/html"))


def title_value(el: Any, base: str) -> tuple[str, dict[str, str]]:
    """A title's value and title_detail, HTML or plain as feedparser decides."""
    text = leaf_text(el)
    if _FeedParserMixin.looks_like_html(text):
        return html_value(text, base), {"type": "text/html"}
    return finish(text), {"type": "text/plain"}
