"""Edits feeds.yaml in place (feeds add/remove/import), keeping its comments, order and quoting."""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from monitor.config.load import load_config
from monitor.config.values import default_feed_name
from monitor.errors import ConfigError, MonitorError


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def _load(path: Path) -> tuple[list[str], Any]:
    """The file's lines (ends kept) and its ruamel round-trip document."""
    text = path.read_text(encoding="utf-8")
    return text.splitlines(keepends=True), _yaml().load(text) or CommentedMap()


def _dump(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def _write_validated(path: Path, text: str) -> None:
    """Write *text* to a temp file, validate it as a config, then atomically replace *path*."""
    fd, tmp_name = tempfile.mkstemp(prefix=".feeds-", suffix=".yaml", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            load_config(tmp, os.environ)
        except ConfigError as exc:
            problems = [p for p in exc.problems if "environment variable" not in p.message]
            if problems:
                raise ConfigError(problems) from None
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _item_spans(data: Any, lines: list[str]) -> list[tuple[int, int]] | None:
    """Line spans ``[start, stop)`` of each item of a block-style ``feeds:`` list: from the line
    of its ``-`` to its last line of content, without the blank lines and comment lines after it
    (ruamel hangs those on the item before, but they belong to what follows). None when the
    list is empty or written in flow style, or its lines are not laid out one item after another.
    """
    feeds = data.get("feeds")
    if not isinstance(feeds, CommentedSeq) or not len(feeds) or feeds.fa.flow_style():
        return None
    starts = [feeds.lc.item(i)[0] for i in range(len(feeds))]
    keys = list(data.keys())
    after = keys[keys.index("feeds") + 1 :]
    end = data.lc.key(after[0])[0] if after else len(lines)
    spans = []
    for i, start in enumerate(starts):
        stop = starts[i + 1] if i + 1 < len(starts) else end
        if not start < stop <= len(lines) or lines[start].lstrip()[:1] != "-":
            return None
        while stop > start + 1 and _is_blank_or_comment(lines[stop - 1]):
            stop -= 1
        spans.append((start, stop))
    return spans


def _entry_lines(entry: CommentedMap, dash_line: str) -> list[str]:
    """*entry* as block YAML lines, indented like the list item on *dash_line*."""
    indent = dash_line[: len(dash_line) - len(dash_line.lstrip())]
    body = _dump(entry).splitlines(keepends=True)
    return [(indent + "- " if n == 0 else indent + "  ") + line for n, line in enumerate(body)]


@dataclass(frozen=True)
class NewFeed:
    """A feed entry to write: `url`, and only the keys given (the rest keep their default)."""

    url: str
    name: str | None = None
    type: str | None = None  # "page"; "feed" or None write no key
    interval: str | None = None
    tags: tuple[str, ...] = ()
    full_text: str | None = None


def add_feed(
    path: Path,
    url: str,
    *,
    name: str | None = None,
    type: str | None = None,
    interval: str | None = None,
    tags: list[str] | None = None,
    full_text: str | None = None,
) -> str:
    """Append a feed entry; return its name. Refuses a duplicate name or URL."""
    feed = NewFeed(url, name, type, interval, tuple(tags or ()), full_text)
    return add_feeds(path, [feed])[0]


def add_feeds(path: Path, new: Sequence[NewFeed]) -> list[str]:
    """Append feed entries in one validated write; return their names. Refuses a duplicate
    name or URL (of the file's feeds or of each other).

    The rest of the file is kept byte for byte: the entries' lines go in after the last feed's.
    """
    lines, data = _load(path)
    feeds = data.get("feeds")
    if feeds is None:
        feeds = CommentedSeq()
        data["feeds"] = feeds
    urls = {item.get("url"): item.get("name") for item in feeds}
    names = {item.get("name") for item in feeds}
    entries = []
    for feed in new:
        if feed.url in urls:
            raise MonitorError(f"{feed.url} is already configured as {urls[feed.url]!r}")
        if feed.name and feed.name in names:
            raise MonitorError(
                f"a feed named {feed.name!r} exists already", "choose another --name"
            )
        urls[feed.url] = feed.name
        names.add(feed.name)
        entries.append(_entry(feed))
    spans = _item_spans(data, lines)
    if spans is None:
        feeds.extend(entries)
        _write_validated(path, _dump(data))
    else:  # below the last feed, above whatever comments and blank lines follow it
        start, stop = spans[-1]
        if not lines[stop - 1].endswith("\n"):
            lines[stop - 1] += "\n"
        lines[stop:stop] = [line for e in entries for line in _entry_lines(e, lines[start])]
        _write_validated(path, "".join(lines))
    return [feed.name or default_feed_name(feed.url) for feed in new]


def _entry(feed: NewFeed) -> CommentedMap:
    entry = CommentedMap()
    entry["url"] = feed.url
    if feed.name:
        entry["name"] = feed.name
    if feed.type and feed.type != "feed":
        entry["type"] = feed.type
    if feed.interval:
        entry["interval"] = feed.interval
    if feed.tags:
        seq = CommentedSeq(feed.tags)
        seq.fa.set_flow_style()
        entry["tags"] = seq
    if feed.full_text:
        entry["full_text"] = feed.full_text
    return entry


def remove_feed(path: Path, name: str) -> str:
    """Remove the feed called *name* (or with that URL); return the URL removed.

    Only the entry's own lines go; the comments and blank lines around it stay.
    """
    lines, data = _load(path)
    feeds = data.get("feeds") or []
    for index, item in enumerate(feeds):
        if name in (item.get("name"), item.get("url")) or (
            "name" not in item and default_feed_name(str(item.get("url"))) == name
        ):
            url = str(item.get("url") or "a URL from a secret")  # url_env, url_file, …
            spans = _item_spans(data, lines)
            if spans is None:
                del feeds[index]
                _write_validated(path, _dump(data))
                return url
            start, stop = spans[index]
            del lines[start:stop]
            if len(feeds) == 1:  # the list is empty now: say so, or `feeds:` would be null
                key = data.lc.key("feeds")[0]
                lines[key] = re.sub(r"^(\s*feeds:)", r"\1 []", lines[key], count=1)
            _write_validated(path, "".join(lines))
            return url
    raise MonitorError(f"no feed named {name!r}", "see `news-monitor feeds list`")
