"""The project's exception tree: every library error is translated into one of these at its edge.

MonitorError            message + hint; the CLI prints both, without a traceback
├── ConfigError         an invalid feeds.yaml; carries every Problem found
├── QueryError          a malformed topic query, with the column of the fault
├── FetchError          anything that went wrong getting a URL
│   ├── FetchTimeout        connect/read/total timeout
│   ├── BodyTooLarge        body (or decompressed body) over the size cap
│   ├── TooManyRedirects    redirect loop or over the redirect limit
│   ├── HTTPStatusError     a non-2xx/304 answer (status, retry_after)
│   └── ConnectFailed       DNS, refused, TLS, protocol errors
│       └── BodyIncomplete      closed before the body's end (what came is kept)
├── ParseError          bytes that are not a feed (an HTML page, empty body, ...)
├── StoreError          the state database failed: at open or mid-work (store/faults.py)
└── DeliveryError       a channel refused or could not be reached (retryable flag)
"""

from __future__ import annotations

from dataclasses import dataclass


class MonitorError(Exception):
    """A user-facing error: what went wrong and how to fix it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Problem:
    """One validation problem in a config file."""

    file: str
    line: int
    key: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file  # 0: not in a file's lines
        text = f"{where}: {self.key}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


class ConfigError(MonitorError):
    """The config file is invalid; `problems` lists every fault found."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0] if problems else None
        message = "\n".join(str(p) for p in problems) or "invalid configuration"
        super().__init__(message, first.hint if first else None)
        self.problems = problems


class QueryError(MonitorError):
    """A malformed topic query; `position` is the 1-based column of the fault."""

    def __init__(self, message: str, position: int, hint: str | None = None) -> None:
        super().__init__(f"column {position}: {message}", hint)
        self.reason = message
        self.position = position


class FetchError(MonitorError):
    """Getting a URL failed."""

    retryable = True


class FetchTimeout(FetchError):
    """Connect, read or total timeout."""


class BodyTooLarge(FetchError):
    """The body is larger than the configured cap."""


class TooManyRedirects(FetchError):
    """A redirect loop or more redirects than allowed."""


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(
        self, message: str, status: int, retry_after: float | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint)
        self.status = status
        self.retry_after = retry_after
        self.retryable = status not in (400, 401, 403, 404, 410)


class ConnectFailed(FetchError):
    """DNS failure, refused connection, TLS or protocol error."""


class AddressRefused(FetchError):
    """A URL the program found leads to a private address outside settings.fetch.allow_networks."""

    retryable = False

    def __init__(
        self, message: str, hint: str | None = None, *, address: str, redirected: bool
    ) -> None:
        super().__init__(message, hint)
        self.address = address
        self.redirected = redirected  # refused at a redirect's target, not the URL itself


class BodyIncomplete(ConnectFailed):
    """The response ended before its body did: the server closed the connection early.

    `received` holds the bytes that came (decoded), so a feed can still be salvaged from them.
    """

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        url: str,
        status: int,
        headers: dict[str, str],
        received: bytes,
    ) -> None:
        super().__init__(message, hint)
        self.url = url
        self.status = status
        self.headers = headers
        self.received = received


class ParseError(MonitorError):
    """The bytes are not a feed we can read."""


class StoreError(MonitorError):
    """The state database cannot be used: locked, full, unreachable, damaged, too old."""


class DeliveryError(MonitorError):
    """A channel could not deliver a digest."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        retryable: bool = True,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.retryable = retryable
        self.retry_after = retry_after
