"""Edits feeds.yaml in place (feeds add/remove), keeping its comments, order and quoting."""

from __future__ import annotations

import os
import tempfile
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


def _load(path: Path) -> Any:
    return _yaml().load(path.read_text(encoding="utf-8")) or CommentedMap()


def _write_validated(path: Path, data: Any) -> None:
    """Write *data* to a temp file, validate it as a config, then atomically replace *path*."""
    fd, tmp_name = tempfile.mkstemp(prefix=".feeds-", suffix=".yaml", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            _yaml().dump(data, fh)
        try:
            load_config(tmp, os.environ)
        except ConfigError as exc:
            problems = [p for p in exc.problems if "environment variable" not in p.message]
            if problems:
                raise ConfigError(problems) from None
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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
    data = _load(path)
    feeds = data.get("feeds")
    if feeds is None:
        feeds = CommentedSeq()
        data["feeds"] = feeds
    for item in feeds:
        if item.get("url") == url:
            raise MonitorError(f"{url} is already configured as {item.get('name')!r}")
        if name and item.get("name") == name:
            raise MonitorError(f"a feed named {name!r} exists already", "choose another --name")
    entry = CommentedMap()
    entry["url"] = url
    if name:
        entry["name"] = name
    if type and type != "feed":
        entry["type"] = type
    if interval:
        entry["interval"] = interval
    if tags:
        seq = CommentedSeq(tags)
        seq.fa.set_flow_style()
        entry["tags"] = seq
    if full_text:
        entry["full_text"] = full_text
    feeds.append(entry)
    _write_validated(path, data)
    return name or default_feed_name(url)


def remove_feed(path: Path, name: str) -> str:
    """Remove the feed called *name* (or with that URL); return the URL removed."""
    data = _load(path)
    feeds = data.get("feeds") or []
    for index, item in enumerate(feeds):
        if name in (item.get("name"), item.get("url")) or (
            "name" not in item and default_feed_name(str(item.get("url"))) == name
        ):
            url = str(item.get("url"))
            del feeds[index]
            _write_validated(path, data)
            return url
    raise MonitorError(f"no feed named {name!r}", "see `news-monitor feeds list`")
