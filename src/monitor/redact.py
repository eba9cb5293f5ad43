"""Secrets out of text: URL credentials and known secret values become ``***`` (one helper).

Every boundary where a library's error, a server's reply or a configured URL becomes a message,
a log line, a stored error or an export goes through here: `redact_url` for one URL,
`Redactor` for free text (it always masks URL userinfo, and masks the secret values it was
given), `RedactingFilter` for every log record.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

MASK = "***"
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s@'\"<>]+@")
_SHORTEST = 4  # shorter "secrets" (a one-letter password) would mask ordinary words
_TOKEN_PIECE = 12  # a path segment or query value this long of a secret URL is itself secret


def redact_url(url: str) -> str:
    """*url* with its userinfo (``user:password@``) replaced by ``***@``; other URLs unchanged."""
    if "@" not in url:  # no userinfo without one: skip the scan (a page is tens of kB)
        return url
    return _USERINFO.sub(rf"\1{MASK}@", url)


def strip_userinfo(url: str) -> str:
    """*url* without ``user:password@``: what the state may keep of a URL with credentials."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_url(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def userinfo_secrets(url: str) -> tuple[str, ...]:
    """The credentials of *url* (its user name and password), which are secrets."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ()
    return tuple(p for p in (parts.username, parts.password) if p)


def url_secrets(url: str) -> tuple[str, ...]:
    """The pieces of a secret URL (a webhook) that a server may echo: the URL, its path and
    query, its credentials, and each long path segment or query value (the tokens)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return (url,)
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    pieces = [url, tail if len(tail) > 1 else "", *userinfo_secrets(url)]
    pieces += re.split(r"[/?&=]", tail)
    return tuple(p for p in pieces if len(p) >= _TOKEN_PIECE or p in (url, tail))


def login_secrets(user: str | None, password: str) -> tuple[str, ...]:
    """A password and the base64 forms SMTP AUTH PLAIN and LOGIN send it in (a server may echo
    them back in its reply)."""
    forms = [password, base64.b64encode(password.encode()).decode()]
    forms.append(base64.b64encode(f"\0{user or ''}\0{password}".encode()).decode())
    return tuple(forms)


@dataclass(frozen=True)
class Redactor:
    """Masks *secrets* (and their percent-encoded forms) and every URL's userinfo in a text."""

    secrets: tuple[str, ...] = ()

    @classmethod
    def of(cls, *groups: Iterable[str]) -> Redactor:
        values = {s for group in groups for s in group if s and len(s) >= _SHORTEST}
        values |= {quote(s, safe="") for s in values} | {quote(s) for s in values}
        return cls(tuple(sorted(values, key=len, reverse=True)))  # longest first

    def __call__(self, text: str) -> str:
        for value in self.secrets:
            if value in text:
                text = text.replace(value, MASK)
        return redact_url(text)


def redact(text: str, *secrets: str) -> str:
    """*text* with *secrets* and URL userinfo masked."""
    return Redactor.of(secrets)(text)


class RedactingFilter(logging.Filter):
    """A handler filter: each record's message and traceback text pass through the Redactor,
    which learns the config's secrets once the config is read (`learn`)."""

    def __init__(self) -> None:
        super().__init__()
        self.redactor = Redactor()

    def learn(self, secrets: Iterable[str]) -> None:
        self.redactor = Redactor.of(self.redactor.secrets, secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.redactor(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor(record.stack_info)
        return True


def install_filter(logger: logging.Logger) -> None:
    """Put a RedactingFilter on each of *logger*'s handlers (the CLI's root logger)."""
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def learn_secrets(secrets: Iterable[str]) -> None:
    """Teach the filters on the root logger's handlers a config's secrets (at load, at reload)."""
    for handler in logging.getLogger().handlers:
        for f in handler.filters:
            if isinstance(f, RedactingFilter):
                f.learn(secrets)
