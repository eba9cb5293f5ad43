"""OPML subscription lists: read (every outline with an xmlUrl), plan an import, write OPML 2.0.

Read with defusedxml: no entity expansion, no external references, no network. Folders (outlines
without an xmlUrl that hold others) and `category` attributes become tags; a feed listed in
two folders (Feedly, Inoreader) is one subscription with both tags.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, replace
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

import defusedxml.ElementTree
from defusedxml import DefusedXmlException

from monitor.clock import utcnow
from monitor.config.edit import NewFeed
from monitor.config.model import FeedConfig
from monitor.config.values import default_feed_name
from monitor.errors import MonitorError
from monitor.redact import redact_url
from monitor.urls import canonical_url

MAX_OPML_BYTES = 10 * 1024 * 1024
PAGE_TYPES = frozenset({"html", "html+xpath"})  # ours for a section page; FreshRSS's scraped one


@dataclass(frozen=True)
class Subscription:
    """One feed of an OPML list: its URL, its name there (None without one), its tags."""

    url: str
    name: str | None
    tags: tuple[str, ...]
    type: str = "feed"  # "page" for an outline of type html (or FreshRSS's HTML+XPath)


@dataclass(frozen=True)
class Skipped:
    url: str
    reason: str  # "already configured as 'World'", "not an http(s) URL"


@dataclass(frozen=True)
class ImportPlan:
    """What `feeds import` adds (in list order) and what it leaves out, and why."""

    added: tuple[NewFeed, ...]
    skipped: tuple[Skipped, ...]


def read_opml(data: bytes, source: str) -> list[Subscription]:
    """The subscriptions of an OPML document, in document order; `source` names it in errors."""
    if len(data) > MAX_OPML_BYTES:
        raise MonitorError(f"{source}: larger than {MAX_OPML_BYTES // 2**20} MiB", _HINT)
    try:
        root = defusedxml.ElementTree.fromstring(data)
    except DefusedXmlException as exc:
        raise MonitorError(
            f"{source}: refused: the document declares entities or external references ({exc})",
            "an OPML subscription list needs neither; export it again from your reader",
        ) from None
    except ET.ParseError as exc:
        raise MonitorError(f"{source}: not well-formed XML ({exc})", _HINT) from None
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise MonitorError(f"{source}: not an OPML document (no <opml><body>)", _HINT)
    found: dict[str, Subscription] = {}
    _walk(body, (), found)
    if not found:
        raise MonitorError(f"{source}: no outline with an xmlUrl", _HINT)
    return list(found.values())


_HINT = "an OPML subscription list names each feed in an <outline xmlUrl=…> inside <body>"


def _walk(parent: Any, folders: tuple[str, ...], found: dict[str, Subscription]) -> None:
    for outline in parent.findall("outline"):
        attrs = {str(k).lower(): str(v).strip() for k, v in outline.attrib.items()}
        name = attrs.get("text") or attrs.get("title") or None
        url = attrs.get("xmlurl")
        if not url:  # a folder: its name is a tag of everything inside it
            _walk(outline, folders + ((name,) if name else ()), found)
            continue
        categories = [
            part.strip()
            for category in attrs.get("category", "").split(",")
            for part in category.split("/")
            if part.strip()
        ]
        tags = _unique([*categories, *folders])  # ours: `category` lists them all, in order
        kind = "page" if attrs.get("type", "").lower() in PAGE_TYPES else "feed"
        key = canonical_url(url)
        if key in found:  # listed again in another folder: one feed, with every tag
            first = found[key]
            found[key] = Subscription(
                first.url, first.name, _unique([*first.tags, *tags]), first.type
            )
        else:
            found[key] = Subscription(url, name, tags, kind)


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def plan_import(
    configured: Sequence[FeedConfig], subscriptions: Sequence[Subscription], tags: Sequence[str]
) -> ImportPlan:
    """The feeds to add: those not configured yet (by canonical URL), each with the extra
    `tags`, named as in the list, with a number added where the name is taken already."""
    by_url = {canonical_url(f.url): f.name for f in configured}
    names = {f.name for f in configured}
    added: list[NewFeed] = []
    skipped: list[Skipped] = []
    for sub in subscriptions:
        if urlsplit(sub.url).scheme not in ("http", "https") or not urlsplit(sub.url).hostname:
            skipped.append(Skipped(sub.url, "not an http(s) URL"))
            continue
        if canonical_url(sub.url) in by_url:
            skipped.append(
                Skipped(sub.url, f"already configured as {by_url[canonical_url(sub.url)]!r}")
            )
            continue
        name = sub.name or default_feed_name(sub.url)
        unique, n = name, 1
        while unique in names:
            n += 1
            unique = f"{name} ({n})"
        names.add(unique)
        keep = sub.name is not None or unique != name  # a default name needs no `name:` key
        feed_tags = _unique([*sub.tags, *tags])
        added.append(NewFeed(sub.url, unique if keep else None, sub.type, tags=feed_tags))
    return ImportPlan(tuple(added), tuple(skipped))


def write_opml(feeds: Sequence[FeedConfig], title: str, *, with_secrets: bool = False) -> str:
    """OPML 2.0 of `feeds`: untagged ones in the body, each tagged one in a folder per tag
    (as Feedly and Inoreader write a feed in two folders), its tags also as `category`.
    Credentials in a feed's URL are masked (``https://***@host/``) unless *with_secrets*."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(utcnow(), usegmt=True)
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in feeds:
        if not with_secrets:
            feed = replace(feed, url=redact_url(feed.url))
        if not feed.tags:
            _outline(body, feed)
        for tag in feed.tags:
            folder = folders.get(tag)
            if folder is None:  # made where the tag's first feed comes
                folder = folders[tag] = ET.SubElement(body, "outline", text=tag, title=tag)
            _outline(folder, feed)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _outline(parent: ET.Element, feed: FeedConfig) -> None:
    attrs = {
        "text": feed.name,
        "title": feed.name,
        "type": "html" if feed.type == "page" else "rss",
    }
    attrs["xmlUrl"] = feed.url
    plain = [t for t in feed.tags if "," not in t and "/" not in t]  # others: by folder only
    if plain:
        attrs["category"] = ",".join(plain)
    ET.SubElement(parent, "outline", attrs)
