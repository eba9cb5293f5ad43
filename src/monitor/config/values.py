"""Parsing of the value kinds used in feeds.yaml: durations, sizes."""

from __future__ import annotations

import re

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "b": 1,
    "kb": 1000,
    "kib": 1024,
    "mb": 1000**2,
    "mib": 1024**2,
    "gb": 1000**3,
    "gib": 1024**3,
}


def parse_duration(value: object) -> float:
    """'30s', '15m', '2h', '1d', '1w', or combined like '1h30m' → seconds. Raises ValueError."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(
            f"{value!r} is not a duration; write it with a unit, like 30s, 15m, 2h or 1d"
        )
    text = value.strip().lower().replace(" ", "")
    pos = 0
    total = 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"{value!r} is not a duration; write it like 30s, 15m, 2h or 1d")
    if total <= 0:
        raise ValueError(f"{value!r} must be longer than zero")
    return total


def parse_size(value: object) -> int:
    """'10MiB', '500kB', 1048576 → bytes. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a size")
    if isinstance(value, int):
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a size; write it like 10MiB or 500kB")
    return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()])


def format_duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def default_feed_name(url: str) -> str:
    """The name of a feed configured without one: its host, its port when the URL gives one,
    and its path (two feeds on one host and different ports get different names)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or url
    try:
        port = parts.port
    except ValueError:  # out of range: the URL is refused elsewhere; name it by its host
        port = None
    return host + (f":{port}" if port is not None else "") + parts.path.rstrip("/")
