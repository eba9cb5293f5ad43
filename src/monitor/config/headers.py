"""A feed's `headers:`: request headers for its own origin, every value a secret.

    headers:
      X-Api-Key_env: FEED_API_KEY          # from the environment
      Authorization_file: /etc/nm/feed-auth  # or KEY_credential: a systemd credential
      Accept-Language: en                  # a plain value (still masked in every output)

They are sent with every request to the feed's scheme, host and port (its document, its
article pages there, a redirect that stays there), never to another origin.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from monitor.config.fields import SECRET_SOURCES, Section, as_str, secret_from
from monitor.config.model import FeedConfig
from monitor.urls import origin

_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP token (RFC 9110)
# set by news-monitor itself, per request
RESERVED = frozenset(
    [
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "accept-encoding",
        "if-none-match",
        "if-modified-since",
        "te",
        "upgrade",
    ]
)


def feed_headers(s: Section, env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The headers of one feed's `headers:` mapping, validated (problems go to *s*)."""
    found: dict[str, str] = {}
    for key in [str(k) for k in s.node]:
        name = next((key[: -len(k) - 1] for k in SECRET_SOURCES if key.endswith(f"_{k}")), key)
        if name.lower() in (n.lower() for n in found):
            if name != key or s.has(name):  # the same header from two places
                s.error(key, f"header {name} is given twice", "give each header once")
            continue
        if not _NAME.match(name):
            s.error(key, f"{name!r} is not an HTTP header name", "letters, digits and -")
            continue
        if name.lower() in RESERVED:
            s.error(key, f"{name} is set by news-monitor itself", "leave it out")
            continue
        value = secret_from(s, name, env) if name != key else _plain(s, key)
        if value is None:
            continue
        if "\r" in value or "\n" in value:
            s.error(key, "a header value may not hold a line break")
            continue
        found[name] = value
    return tuple(found.items())


def _plain(s: Section, key: str) -> str | None:
    value = s.get(key, as_str, "")
    return s.problems.secret(value) if value else None


def origin_headers(feeds: Sequence[FeedConfig]) -> dict[str, tuple[tuple[str, str], ...]]:
    """The headers per origin (``scheme://host:port``) of the feeds that set some."""
    return {origin(f.url): f.headers for f in feeds if f.headers and origin(f.url)}


def check_origins(
    feeds: Sequence[FeedConfig], error: Callable[[FeedConfig, str, str], None]
) -> None:
    """Feeds on one origin must agree on their headers (they are sent per origin)."""
    seen: dict[str, FeedConfig] = {}
    for feed in feeds:
        key = origin(feed.url)
        other = seen.setdefault(key, feed)
        if other is not feed and (other.headers or feed.headers) and other.headers != feed.headers:
            error(
                feed,
                f"feeds {other.name!r} and {feed.name!r} are on one origin ({key}) with "
                "different headers:",
                "headers go to a scheme, host and port: give them the same headers",
            )
