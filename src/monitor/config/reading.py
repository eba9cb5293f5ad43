"""feeds.yaml's bytes → its YAML tree, bounded: file size, nesting depth, values after aliases.

A config is a few kilobytes; junk megabytes or an alias bomb must be refused in milliseconds,
before ruamel spends seconds and hundreds of megabytes on them (docs/configuration.md#limits).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from monitor.config.fields import Problems

MAX_CONFIG_BYTES = 1024 * 1024  # 1 MiB: a config with thousands of feeds is a few hundred KiB
MAX_DEPTH = 50  # nested mappings and lists; feeds.yaml itself needs five
MAX_VALUES = 250_000  # keys, values and items, each alias (*name) counted as what it stands for


class Unreadable(Exception):
    """The file could not become a YAML tree; its problems are recorded."""


def read_tree(path: Path, problems: Problems) -> Any:
    """The YAML tree of *path* (None when empty); Unreadable after recording why not."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        problems.add(0, "-", "the config file does not exist", "create it, or pass --config PATH")
        raise Unreadable from None
    except OSError as exc:
        problems.add(0, "-", f"cannot read the config file: {exc}")
        raise Unreadable from None
    if len(raw) > MAX_CONFIG_BYTES:
        problems.add(
            0,
            "-",
            f"the config file is larger than {MAX_CONFIG_BYTES // 1024} KiB; is it the right file?",
            "a feeds.yaml is a few KiB; split long lists of feeds out with `news-monitor import`"
            " or OPML, or pass the right file with --config PATH",
        )
        raise Unreadable
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.add(0, "-", f"cannot read the config file: not UTF-8 text ({exc.reason})")
        raise Unreadable from None
    yaml = YAML(typ="rt")
    yaml.max_depth = MAX_DEPTH
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else 0
        if "maximum depth" in str(exc.problem):
            problems.add(line, "-", f"nested deeper than {MAX_DEPTH} levels", _hint(exc))
        else:
            problems.add(line, "-", f"not valid YAML: {exc.problem}", _hint(exc))
        raise Unreadable from None
    except (YAMLError, RecursionError) as exc:
        problems.add(0, "-", f"not valid YAML: {exc or 'nested too deep'}")
        raise Unreadable from None
    if _size(tree, {}) > MAX_VALUES:
        problems.add(
            0,
            "-",
            f"the config stands for more than {MAX_VALUES:,} values once its aliases (*name)"
            " are expanded",
            "write the values out, or use fewer anchors (&name) and aliases (*name)",
        )
        raise Unreadable
    return tree


def _size(node: Any, memo: dict[int, int]) -> int:
    """How many values *node* holds with every alias expanded; each shared node sized once."""
    if not isinstance(node, dict | list):
        return 1
    known = memo.get(id(node))
    if known is None:
        children = [*node.keys(), *node.values()] if isinstance(node, dict) else node
        known = memo[id(node)] = 1 + sum(_size(c, memo) for c in children)
    return known


def _hint(exc: MarkedYAMLError) -> str:
    if "maximum depth" in str(exc.problem):
        return f"feeds.yaml nests at most {MAX_DEPTH} levels; check for a stray '[' or '{{'"
    return "check indentation and quoting"
