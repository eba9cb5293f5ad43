"""`/topics/{name}.atom`: an Atom feed (RFC 4287) of a topic's stories, one entry per story,
updated when a source joins it (the entry's `updated` is the story's last coverage)."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from monitor.clock import utcnow
from monitor.web import views
from monitor.web.state import WebState, window

ATOM = "http://www.w3.org/2005/Atom"
ENTRIES = 50
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # no XML 1.0 character


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        node.text = _text(text)
    return node


def _stamp(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def topic_feed(request: Request) -> Response:
    state: WebState = request.app.state.web
    name = request.path_params["name"]
    topic = state.config.topic(name)
    if topic is None:
        return PlainTextResponse(f"no topic named {name!r}\n", status_code=404)
    _, since = window(request.query_params.get("window"), "30d")
    cards, _ = views.story_cards(state, name, since, ENTRIES, 0)
    base = str(request.base_url).rstrip("/")
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", f"{base}/topics/{quote(name)}.atom")
    _add(feed, "title", f"news-monitor: {topic.name}")
    _add(feed, "subtitle", topic.query)
    updated = max((c.view.last_seen for c in cards), default=utcnow())
    _add(feed, "updated", _stamp(updated))
    _add(_add(feed, "author"), "name", "news-monitor")
    _add(feed, "link", rel="self", href=f"{base}/topics/{quote(name)}.atom")
    _add(feed, "link", rel="alternate", href=f"{base}/?topic={quote(name)}", type="text/html")
    _add(feed, "generator", "news-monitor")
    for c in cards:
        entry = _add(feed, "entry")
        _add(entry, "id", f"{base}/stories/{c.view.id}")
        _add(entry, "title", c.view.title or f"story #{c.view.id}", type="text")
        _add(entry, "updated", _stamp(c.view.last_seen))
        _add(entry, "published", _stamp(c.view.first_seen))
        _add(entry, "link", rel="alternate", href=f"{base}/stories/{c.view.id}", type="text/html")
        sources = ", ".join(c.sources)
        summary = f"{len(c.sources)} sources ({sources}). {c.snippet}".strip()
        _add(entry, "summary", summary, type="text")
        for t in c.view.topics:
            _add(entry, "category", term=_text(t))
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(state.scrub(body.decode()), media_type="application/atom+xml; charset=utf-8")
