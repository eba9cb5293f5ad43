"""Fast path for plain RSS 2.0: lxml instead of feedparser's SAX machinery, same values out.

`parse_rss` returns what `feedparser.parse` would (the few keys parse.py reads: version, feed
title/title_detail/link/ttl/sy_*, entry link/id/title/title_detail/summary/content/author/
published_parsed/updated_parsed), or None whenever the document holds anything it does not
reproduce exactly: then feedparser parses it. It reuses feedparser's own pieces for what it
reproduces (encoding detection, DOCTYPE handling, URL joining, HTML link resolution, dates), so
only the walk over the document is new; what it knows of feedparser's element keys and value
finishing is in parse_rss_rules.py. tests/test_parse_fastpath.py checks both paths agree.
"""

from __future__ import annotations

import logging
from typing import Any

from feedparser.datetimes import _parse_date
from feedparser.encodings import convert_to_utf8
from feedparser.mixin import _FeedParserMixin
from feedparser.sanitizer import replace_doctype
from feedparser.urls import _urljoin, make_safe_absolute_uri
from lxml import etree

from monitor.parse.rss_rules import (
    ENTITYISH,
    HTML_TYPES,
    IMAGE_CHILDREN,
    KNOWN,
    LINK_ATTRS,
    RESERVED,
    SAFE_CHANNEL,
    SAFE_ITEM,
    SKIP_CHILDREN,
    STANDARD_PREFIXES,
    STRUCTURE_ATTRS,
    VERSION_NAMESPACES,
    XML_NS,
    Unsupported,
    finish,
    has_handler,
    html_value,
    leaf_text,
    title_value,
)

log = logging.getLogger(__name__)
Doc = dict[str, Any]
BENIGN = ("NonXMLContentType", "CharacterEncodingOverride")
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, collect_ids=False
)


def parse_rss(body: bytes, headers: dict[str, str]) -> Doc | None:
    """feedparser's result for a plain RSS 2.0 document, or None to let feedparser parse it."""
    if b"<rss" not in body[:4096]:
        return None
    result: Doc = {}
    data = convert_to_utf8(headers, body, result)
    error = result.get("bozo_exception")
    if not result.get("encoding") or (error is not None and type(error).__name__ not in BENIGN):
        return None
    version, data, entities = replace_doctype(data)
    if version or entities:
        return None
    try:
        root = etree.fromstring(data, _PARSER)
        return _Walk(headers.get("content-location", "")).rss(root)
    except (etree.XMLSyntaxError, Unsupported, ValueError):
        return None
    except Exception:  # a fast-path bug on odd input must cost speed, never the feed
        log.warning("plain-RSS fast path failed; feedparser parses it", exc_info=True)
        return None


class _Walk:
    def __init__(self, content_location: str) -> None:
        self.base0 = make_safe_absolute_uri("", content_location) or ""
        self.bases: dict[tuple[str, str | None], str] = {}
        self.prefix_of: dict[str, str] = {}  # namespace URI → the one prefix declared for it
        self.uri_of: dict[str | None, str] = {}  # prefix → the one URI it names

    def base(self, parent: str, el: Any) -> str:
        """feedparser's baseuri inside `el` (unknown_starttag), given its parent's."""
        attr = el.get(f"{XML_NS}base") or el.get("base")
        key = (parent, attr)
        found = self.bases.get(key)
        if found is None:
            if attr and not parent:
                raise Unsupported("xml:base without a base: feedparser's stack leaks it")
            wanted = attr or parent
            found = make_safe_absolute_uri(parent, wanted) or parent if parent else parent
            self.bases[key] = found
        return found

    def declare(self, el: Any, parent_nsmap: dict[str | None, str]) -> dict[str | None, str]:
        nsmap: dict[str | None, str] = el.nsmap
        if nsmap == parent_nsmap:
            return nsmap
        for prefix, uri in nsmap.items():
            if parent_nsmap.get(prefix) == uri:
                continue
            lower = uri.lower()
            if prefix is None or lower in VERSION_NAMESPACES or "backend.userland.com" in lower:
                raise Unsupported("default or version-setting namespace")
            if self.uri_of.setdefault(prefix, uri) != uri:
                raise Unsupported(f"prefix {prefix} names two namespaces")
            if self.prefix_of.setdefault(uri, prefix) != prefix:
                raise Unsupported(f"{uri} has two prefixes")
            if lower not in KNOWN and prefix in STANDARD_PREFIXES:
                raise Unsupported(f"{prefix} would be read as feedparser's {prefix} namespace")
        return nsmap

    def key(self, el: Any) -> str:
        """The name feedparser dispatches `el` on (_start_<key>)."""
        tag = str(el.tag)
        if tag[0] != "{":
            return tag.lower()
        uri, local = tag[1:].split("}", 1)
        standard = KNOWN.get(uri.lower())
        prefix = self.prefix_of[uri] if standard is None else standard
        return f"{prefix}_{local.lower()}" if prefix else local.lower()

    def rss(self, root: Any) -> Doc:
        if root.tag != "rss" or not str(root.get("version", "")).startswith("2."):
            raise Unsupported("not RSS 2.x")
        if set(root.attrib) - STRUCTURE_ATTRS - {"version"}:
            raise Unsupported("rss attributes")
        nsmap = self.declare(root, {})
        base = self.base(self.base0, root)
        channels = [c for c in root if isinstance(c.tag, str)]
        if len(channels) != 1 or channels[0].tag != "channel":
            raise Unsupported("not one channel")
        feed, entries = self.channel(channels[0], base, nsmap)
        return {"version": "rss20", "feed": feed, "entries": entries, "bozo": False}

    def channel(self, channel: Any, parent: str, nsmap: dict[str | None, str]) -> Any:
        if set(channel.attrib) - STRUCTURE_ATTRS:
            raise Unsupported("channel attributes")
        nsmap = self.declare(channel, nsmap)
        base = self.base(parent, channel)
        feed: Doc = {}
        entries: list[Doc] = []
        for el in channel:
            if not isinstance(el.tag, str):
                continue  # a comment or processing instruction
            child_ns = self.declare(el, nsmap)
            key = self.key(el)
            if key == "item":
                entries.append(self.item(el, base, child_ns))
            elif key == "image":
                self.image(el, child_ns)
            elif key in SKIP_CHILDREN:
                self.skip(el, SKIP_CHILDREN[key], child_ns)
            elif key == "title":
                if "title" in feed or set(el.attrib) - STRUCTURE_ATTRS:
                    raise Unsupported("channel title")
                feed["title"], feed["title_detail"] = title_value(el, self.base(base, el))
            elif key == "link":
                href, text = self.link(el, self.base(base, el))
                if href is not None:
                    feed["link"] = ENTITYISH.sub(r"&\g<1>", href) if text else href
            elif key in ("ttl", "sy_updateperiod", "sy_updatefrequency"):
                if set(el.attrib) - STRUCTURE_ATTRS:
                    raise Unsupported(f"{key} attributes")
                feed[key] = finish(leaf_text(el))
            else:
                self.ignore(el, key, SAFE_CHANNEL)
        return feed, entries

    def ignore(self, el: Any, key: str, safe: frozenset[str]) -> None:
        if len(el) or key in RESERVED or (has_handler(key) and key not in safe):
            raise Unsupported(key)

    def image(self, image: Any, nsmap: dict[str | None, str]) -> None:
        for el in image:
            if isinstance(el.tag, str):
                self.declare(el, nsmap)
                if el.tag not in IMAGE_CHILDREN or len(el):
                    raise Unsupported(f"image/{el.tag}")

    def skip(self, parent: Any, child: str, nsmap: dict[str | None, str]) -> None:
        for el in parent:
            if isinstance(el.tag, str):
                self.declare(el, nsmap)
                if el.tag != child or len(el):
                    raise Unsupported(f"{parent.tag}/{el.tag}")

    def link(self, el: Any, base: str) -> tuple[str | None, bool]:
        """<link>URL</link> or an Atom link → (the link it sets or None, whether it was text)."""
        attrs = {k.lower(): v for k, v in el.attrib.items() if k not in STRUCTURE_ATTRS}
        if len(attrs) != len(set(el.attrib) - STRUCTURE_ATTRS) or len(el):
            raise Unsupported("link attributes")
        if not attrs:
            text = leaf_text(el)
            return finish(_urljoin(base, text) if text else text), True
        if set(attrs) - LINK_ATTRS or not attrs.get("href"):
            raise Unsupported("link attributes")
        rel = attrs.get("rel", "alternate").lower()
        default = "application/atom+xml" if rel == "self" else "text/html"
        kind = _FeedParserMixin.map_content_type(attrs.get("type", default).lower())
        if rel == "alternate" and kind in HTML_TYPES:
            return str(_urljoin(base, attrs["href"])), False
        return None, False

    def item(self, item: Any, parent: str, nsmap: dict[str | None, str]) -> Doc:
        if set(item.attrib) - STRUCTURE_ATTRS:
            raise Unsupported("item attributes")
        base = self.base(parent, item)
        entry: Doc = {}
        seen: set[str] = set()
        summary_from_content: str | None = None
        for el in item:
            if not isinstance(el.tag, str):
                continue
            self.declare(el, nsmap)
            key = self.key(el)
            if key in seen and key not in SAFE_ITEM:
                raise Unsupported(f"two {key}")
            seen.add(key)
            here = self.base(base, el)
            plain = not (set(el.attrib) - STRUCTURE_ATTRS)
            if key == "title" and plain:
                entry["title"], entry["title_detail"] = title_value(el, here)
            elif key == "link":
                href, text = self.link(el, here)
                if href is not None and text:
                    entry["link"] = ENTITYISH.sub(r"&\g<1>", href.replace("&amp;", "&"))
                elif href is not None:
                    entry["link"] = href
            elif key == "guid":
                entry.update(self.guid(el, here, entry))
            elif key == "description" and plain:
                entry["summary"] = html_value(leaf_text(el), here)
            elif key == "content_encoded" and plain:
                value = html_value(leaf_text(el), here)
                entry["content"] = [{"type": "text/html", "value": value}]
                summary_from_content = value
            elif key in ("author", "dc_creator"):
                if "author" in entry:
                    raise Unsupported("two authors")
                entry["author"] = finish(leaf_text(el))
            elif key in ("pubdate", "dc_date"):
                field = "published_parsed" if key == "pubdate" else "updated_parsed"
                entry[field] = _parse_date(finish(leaf_text(el)))
            else:
                self.ignore(el, key, SAFE_ITEM)
        if summary_from_content is not None:
            entry.setdefault("summary", summary_from_content)
        if "published_parsed" in entry:  # FeedParserDict's fallback for a missing updated date
            entry.setdefault("updated_parsed", entry["published_parsed"])
        return entry

    def guid(self, el: Any, base: str, entry: Doc) -> Doc:
        attrs = [k for k in el.attrib if k not in STRUCTURE_ATTRS]
        if [k.lower() for k in attrs] not in ([], ["ispermalink"]):
            raise Unsupported("guid attributes")
        permalink = (el.get(attrs[0]) if attrs else "true") == "true"
        text = leaf_text(el)
        value = finish(_urljoin(base, text) if permalink and text else text)
        found: Doc = {"id": value}
        if permalink and "link" not in entry:
            found["link"] = value
        return found
