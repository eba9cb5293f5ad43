"""Typed settings read from feeds.yaml: what the rest of the program receives, never raw YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from monitor.config.proxy import ProxySettings
from monitor.config.web import WebConfig


@dataclass(frozen=True)
class FetchConfig:
    """HTTP client limits (settings.fetch) as written: None where the file leaves a key out.

    The defaults live in one place, `monitor.fetch.FetchSettings`; `monitor.fetch.fetch_settings` merges.
    """

    connect_timeout: float | None = None
    read_timeout: float | None = None
    total_timeout: float | None = None
    max_body_bytes: int | None = None
    max_redirects: int | None = None
    per_host_limit: int | None = None
    global_limit: int | None = None
    user_agent: str | None = None
    http2: bool | None = None
    allow_networks: tuple[str, ...] | None = None  # CIDRs, validated


@dataclass(frozen=True)
class FullTextRetry:
    """settings.full_text_retry: how an article whose page failed for a while (a timeout, a 5xx,
    a lost connection, extraction over its time) is tried again; `attempts` 0: never."""

    attempts: int = 5
    backoff: tuple[float, ...] = (600.0, 1800.0, 7200.0, 21600.0, 43200.0)  # seconds

    def delay(self, retry: int) -> float:
        """Seconds before retry number *retry* (0: the first); the last delay repeats."""
        return self.backoff[min(retry, len(self.backoff) - 1)]


@dataclass(frozen=True)
class WorkersConfig:
    """settings.workers: the worker processes on a PostgreSQL database (docs/scale.md)."""

    concurrency: int | None = None  # jobs one worker runs at once; None: settings.concurrency
    heartbeat: float = 10.0  # seconds between a worker's heartbeats
    stalled_after: float = 30.0  # seconds without a heartbeat before a worker counts as gone
    reconnect_max: float = 30.0  # the longest wait between reconnects to a lost database

    def jobs(self, settings_concurrency: int) -> int:
        return self.concurrency or settings_concurrency


@dataclass(frozen=True)
class Settings:
    """The `settings:` block."""

    timezone: str = "UTC"
    poll_interval: float = 15 * 60  # seconds, default per source
    min_interval: float = 5 * 60  # floor of the adaptive interval
    state_dir: Path = Path("state")
    retention: float = 30 * 86400
    fingerprint_retention: float = 180 * 86400
    database_url: str | None = None
    concurrency: int = 20  # sources polled at once
    extract_workers: int | None = None  # None: one per CPU
    tick: float = 10.0  # seconds between scheduler ticks that claim due sources
    digest_check: float = 15.0  # seconds between the daemon's looks for due digests
    shutdown_grace: float = 30.0  # seconds SIGTERM waits for work in hand
    lock_timeout: float = 15.0  # seconds a database statement waits for another's lock
    realtime_debounce: float = 120.0  # seconds a realtime digest waits for a burst to settle
    delivery_retry_base: float = 60.0  # first retry delay of a failed delivery, doubling
    delivery_retry_cap: float = 6 * 3600
    log_level: str = "INFO"
    fetch: FetchConfig = field(default_factory=FetchConfig)
    full_text_retry: FullTextRetry = field(default_factory=FullTextRetry)
    web: WebConfig = field(default_factory=WebConfig)  # settings.web (config/web.py)
    workers: WorkersConfig = field(default_factory=WorkersConfig)  # settings.workers


@dataclass(frozen=True)
class FeedConfig:
    """One entry of `feeds:`."""

    url: str
    name: str
    type: str = "feed"  # feed | page
    interval: float | None = None  # seconds; None: settings.poll_interval
    tags: tuple[str, ...] = ()
    full_text: str = "auto"  # auto | always | never
    enabled: bool = True
    line: int = 0
    # request headers for this source's own origin (scheme, host, port); values are secrets
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class TopicConfig:
    """One entry of `topics:`."""

    name: str
    query: str
    feeds: tuple[str, ...] = ()  # feed names or tag:X; empty: every feed
    languages: tuple[str, ...] = ()  # empty: every language
    line: int = 0


@dataclass(frozen=True)
class DigestConfig:
    """One entry of `digests:`."""

    name: str
    topics: tuple[str, ...]
    channels: tuple[str, ...]
    schedule: str = "0 8 * * *"  # cron in settings.timezone, "every 1h", or "realtime"
    max_stories: int = 25
    send_empty: bool = False
    order: str = "relevance"  # relevance | recency
    line: int = 0


@dataclass(frozen=True, kw_only=True)
class ChannelConfig:
    """One entry of `channels:`: what every type has. Each channel type (monitor.digest.channels)
    parses its own subclass with its own fields, e.g. EmailChannel, SlackChannel."""

    name: str
    type: str  # a registered channel type: email | slack | apprise | a plugin's
    timeout: float = 30.0
    line: int = 0
    proxy: ProxySettings = field(default_factory=ProxySettings, repr=False)  # the environment's


@dataclass(frozen=True)
class Config:
    """The whole validated feeds.yaml."""

    path: Path
    settings: Settings
    feeds: tuple[FeedConfig, ...] = ()
    topics: tuple[TopicConfig, ...] = ()
    digests: tuple[DigestConfig, ...] = ()
    channels: dict[str, ChannelConfig] = field(default_factory=dict)
    # every secret value the file led to (passwords, secret URLs, feed URL credentials): what
    # logs, stored errors and exports must mask (monitor.redact)
    secrets: tuple[str, ...] = field(default=(), repr=False)
    proxy: ProxySettings = field(default_factory=ProxySettings)  # from the environment

    def feed(self, name: str) -> FeedConfig | None:
        return next((f for f in self.feeds if f.name == name), None)

    def topic(self, name: str) -> TopicConfig | None:
        return next((t for t in self.topics if t.name == name), None)

    def digest(self, name: str) -> DigestConfig | None:
        return next((d for d in self.digests if d.name == name), None)

    def feed_names_for(self, topic: TopicConfig) -> frozenset[str] | None:
        """The source names a topic's `feeds:` scope allows (None: every source)."""
        if not topic.feeds:
            return None
        names: set[str] = set()
        for item in topic.feeds:
            if item.startswith("tag:"):
                tag = item[4:]
                names.update(f.name for f in self.feeds if tag in f.tags)
            else:
                names.add(item)
        return frozenset(names)
