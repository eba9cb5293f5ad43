"""What every request of the web app reads: the config (the daemon's, reloaded on SIGHUP), the
store, the metrics, and a probe of the scheduler loop when the app runs inside the daemon."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.clock import utcnow
from monitor.config import Config
from monitor.errors import MonitorError
from monitor.redact import Redactor
from monitor.store.data_version import data_version
from monitor.store.db import Store
from monitor.web.answers import Answers
from monitor.web.metrics import Metrics

DEFAULT_WINDOW = "all"  # the home page: every story, newest activity first, paged
WINDOWS = {"6h": 6 * 3600, "1d": 86400, "2d": 2 * 86400, "7d": 7 * 86400, "30d": 30 * 86400}
PAGE_SIZE = 25


@dataclass
class LoopProbe:
    """Why the scheduler loop is not alive (None: it is); absent when no loop runs here."""

    check: Callable[[], str | None]


@dataclass
class WebState:
    config_of: Callable[[], Config]
    store: Store
    metrics: Metrics
    loop: LoopProbe | None = None
    actions: bool = False  # settings.web.actions at start: the pages may mute and unmute
    csrf_token: str = ""
    started: datetime = field(default_factory=utcnow)
    answers: Answers = field(init=False)

    def __post_init__(self) -> None:
        self.answers = Answers(data_version(self.store))
        self.metrics.keep_totals(self.answers.keep)

    def changed(self) -> None:
        """This process wrote to the store (a mute): the answers kept are forgotten now."""
        self.answers.changed()

    @property
    def config(self) -> Config:
        return self.config_of()

    def scrub(self, text: str) -> str:
        """*text* with every secret of the config and any URL's userinfo masked: no password,
        token or webhook reaches a page or an API answer."""
        config = self.config
        cached = getattr(self, "_redactor", None)
        if cached is None or cached[0] is not config:
            cached = (config, Redactor.of(config.secrets))
            self._redactor = cached
        return cached[1](text)

    def source_names(self) -> list[str]:
        return [f.name for f in self.config.feeds]


class BadRequest(MonitorError):
    """A query parameter the app cannot use: answered 400 with the message."""


def window(value: str | None, default: str = DEFAULT_WINDOW) -> tuple[str, datetime | None]:
    """A time window name (6h … 30d, or "all") → (name, since)."""
    name = default if value is None else value
    if name == "all":
        return name, None
    if name not in WINDOWS:
        raise BadRequest(f"window must be one of {', '.join([*WINDOWS, 'all'])}, not {name!r}")
    return name, utcnow() - timedelta(seconds=WINDOWS[name])


def number(value: str | None, default: int, *, low: int = 0, high: int = 10**9, what: str) -> int:
    if value is None:
        return default
    try:
        n = int(value)
    except ValueError:
        raise BadRequest(f"{what} must be a whole number, not {value[:40]!r}") from None
    if not low <= n <= high:
        raise BadRequest(f"{what} must be between {low} and {high}")
    return n


def instant(value: str | None, what: str) -> datetime | None:
    """An ISO 8601 time (a naive one is UTC), or a duration back from now (7d)."""
    if value is None:
        return None
    from datetime import UTC

    from monitor.config.values import parse_duration

    try:
        return utcnow() - timedelta(seconds=parse_duration(value))
    except (ValueError, OverflowError):
        pass
    try:
        parsed = datetime.fromisoformat(value.upper())  # RFC 3339 allows a lower-case t and z
    except ValueError:
        raise BadRequest(f"{what} must be ISO 8601 or a duration such as 7d") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
