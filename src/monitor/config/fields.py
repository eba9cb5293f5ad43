"""A validating reader over one YAML mapping: typed getters that record Problems with lines."""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from monitor.errors import Problem
from monitor.redact import url_secrets

T = TypeVar("T")
_MISSING = object()


class Problems:
    """Collects every problem of one file, so `check` can print them all."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Problem] = []
        self.secrets: list[str] = []  # every secret value read, for the log filter and exports

    def secret(self, value: str) -> str:
        """Record *value* as a secret (a URL with its pieces a server or library may echo)."""
        self.secrets.extend(url_secrets(value) if "://" in value else (value,))
        return value

    def add(self, line: int, key: str, message: str, hint: str | None = None) -> None:
        self.items.append(Problem(self.file, line, key, message, hint))


def line_of(node: Any, key: Any = None, default: int = 1) -> int:
    """1-based line of *key* in mapping *node* (or of item *key* in a sequence, or of node)."""
    try:
        if key is None:
            return int(node.lc.line) + 1
        if isinstance(node, CommentedSeq):
            return int(node.lc.item(key)[0]) + 1
        return int(node.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return default


class Section:
    """One mapping of the file (e.g. a feed entry) with the dotted key path that names it."""

    def __init__(self, node: Any, path: str, problems: Problems, line: int) -> None:
        self.path = path
        self.problems = problems
        self.line = line
        self.node: CommentedMap | dict[str, Any]
        if isinstance(node, dict):
            self.node = node
            self.line = line_of(node, default=line)
        else:
            self.node = {}
            if node is not None:
                problems.add(line, path, f"must be a mapping of keys, not {type(node).__name__}")

    def key_path(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def line_for(self, key: str) -> int:
        return line_of(self.node, key, self.line) if key in self.node else self.line

    def error(self, key: str, message: str, hint: str | None = None) -> None:
        self.problems.add(self.line_for(key), self.key_path(key), message, hint)

    def check_keys(self, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for key in self.node:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = (
                    f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(allowed)}"
                )
                self.error(str(key), "unknown key", hint)

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        return self.node.get(key, default)

    def has(self, key: str) -> bool:
        return key in self.node

    def get(
        self,
        key: str,
        convert: Callable[[Any], T],
        default: T,
        *,
        required: bool = False,
        hint: str | None = None,
    ) -> T:
        """Read *key* through *convert* (which raises ValueError/TypeError with a message)."""
        if key not in self.node or self.node[key] is None:
            if required:
                self.problems.add(self.line, self.key_path(key), "is required", hint)
            return default
        try:
            return convert(self.node[key])
        except (ValueError, TypeError) as exc:
            self.error(key, str(exc), hint)
            return default

    def opt(self, key: str, convert: Callable[[Any], T], hint: str | None = None) -> T | None:
        """Like `get`, with None when the key is absent."""
        if key not in self.node or self.node[key] is None:
            return None
        try:
            return convert(self.node[key])
        except (ValueError, TypeError) as exc:
            self.error(key, str(exc), hint)
            return None

    def section(self, key: str) -> Section:
        return Section(self.node.get(key), self.key_path(key), self.problems, self.line_for(key))


def as_str(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"must be a text, not {type(value).__name__}")
    text = str(value).strip()
    if not text:
        raise ValueError("must not be empty")
    return text


def as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, not {value!r}")
    return value


def as_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a whole number, not {value!r}")
    if value <= 0:
        raise ValueError(f"must be positive, not {value}")
    return value


def as_str_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.strip(),)
    if not isinstance(value, list):
        raise ValueError(f"must be a list, like [a, b], not {type(value).__name__}")
    return tuple(as_str(v) for v in value)


def as_networks(value: Any) -> tuple[str, ...]:
    """A list of CIDR networks ("10.0.0.0/8", "fd00::/8"; a lone address is its own network)."""
    networks = as_str_list(value)
    for text in networks:
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(f"{text!r} is not a network like 10.0.0.0/8 or fd00::/8") from None
    return networks


def choice(*options: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        text = as_str(value)
        if text not in options:
            raise ValueError(f"must be one of {', '.join(options)}, not {text!r}")
        return text

    return convert


ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SECRET_SOURCES = ("env", "file", "credential")  # KEY_env, KEY_file, KEY_credential


def secret_keys(key: str) -> tuple[str, ...]:
    """The keys that may hold the secret *key*: ``KEY_env``, ``KEY_file``, ``KEY_credential``."""
    return tuple(f"{key}_{kind}" for kind in SECRET_SOURCES)


def secret(s: Section, key: str, env: Mapping[str, str], record: bool = True) -> str | None:
    """Resolve a `*_env` key: the named environment variable must be set (never logged).
    *record*: the whole value is a secret (False: the caller records its secret pieces)."""
    name = s.get(key, as_str, "")
    if not name:
        return None
    if not ENV_NAME.match(name):
        s.error(
            key, f"{name!r} is not an environment variable name", "name the variable, not its value"
        )
        return None
    value = env.get(name)
    if not value:
        s.error(key, f"environment variable {name} is not set", f"export {name}=… before starting")
        return None
    return s.problems.secret(value) if record else value


def secret_from(s: Section, key: str, env: Mapping[str, str], record: bool = True) -> str | None:
    """The secret *key* from whichever of `KEY_env`, `KEY_file` (a file holding it) or
    `KEY_credential` (a systemd credential, in $CREDENTIALS_DIRECTORY) is given; None if none."""
    given = [k for k in secret_keys(key) if s.has(k)]
    if len(given) > 1:
        s.error(given[1], f"give one of {', '.join(given)}", "the secret comes from one place")
        return None
    if not given:
        return None
    if given[0].endswith("_env"):
        return secret(s, given[0], env, record)
    name = s.get(given[0], as_str, "")
    if not name:
        return None
    if given[0].endswith("_file"):
        path = Path(name).expanduser()
        if not path.is_absolute():
            path = Path(s.problems.file).parent / path
        hint = "check the path and that this user may read it"
        return _read_secret(s, given[0], path, hint, record)
    directory = env.get("CREDENTIALS_DIRECTORY")
    if not directory:
        s.error(
            given[0],
            "$CREDENTIALS_DIRECTORY is not set: no systemd credentials are loaded",
            f"run under systemd with LoadCredential={name}:/path/to/secret in the unit",
        )
        return None
    if "/" in name or name in (".", ".."):
        s.error(given[0], f"{name!r} is not a credential name", "name it as in LoadCredential=")
        return None
    return _read_secret(s, given[0], Path(directory) / name, f"add LoadCredential={name}:…", record)


def _read_secret(s: Section, key: str, path: Path, hint: str, record: bool) -> str | None:
    """The content of *path* without its trailing newline (the value itself is never shown)."""
    try:
        value = path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        s.error(key, f"cannot read the secret in {path}: {reason}", hint)
        return None
    if not value:
        s.error(key, f"the secret file {path} is empty", hint)
        return None
    return s.problems.secret(value) if record else value


def secret_or_value(s: Section, key: str, env: Mapping[str, str]) -> str | None:
    """`KEY_env`, `KEY_file`, `KEY_credential` (the secret from there) or else `KEY` itself;
    one of them required."""
    if any(s.has(k) for k in secret_keys(key)):
        return secret_from(s, key, env)
    if s.has(key):
        value = s.opt(key, as_str)
        if value:
            s.problems.secret(value)
        return value
    s.problems.add(
        s.line, s.key_path(f"{key}_env"), "is required", f"set {key}_env: NAME_OF_ENV_VAR"
    )
    return None


def items(root: Section, key: str) -> list[tuple[Section, int]]:
    """The entries of a list section (feeds, topics, digests), each with its own line."""
    node = root.raw(key, None)
    if node is None:
        return []
    if not isinstance(node, list):
        root.error(key, "must be a list of entries (each starting with '- ')")
        return []
    return [
        (Section(item, f"{key}[{i}]", root.problems, line_of(node, i)), i)
        for i, item in enumerate(node)
    ]
