"""feeds.yaml → Config: parse with line numbers, validate everything, report every problem."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.config import outputs
from monitor.config.fields import (
    Problems,
    Section,
    as_bool,
    as_int,
    as_networks,
    as_str,
    as_str_list,
    choice,
    items,
    secret_from,
    secret_keys,
)
from monitor.config.headers import check_origins, feed_headers
from monitor.config.model import (
    Config,
    FeedConfig,
    FetchConfig,
    FullTextRetry,
    Settings,
    TopicConfig,
    WorkersConfig,
)
from monitor.config.proxy import proxy_settings
from monitor.config.reading import Unreadable, read_tree
from monitor.config.values import default_feed_name, parse_duration, parse_size
from monitor.config.web import web_settings
from monitor.errors import ConfigError, QueryError
from monitor.redact import redact_url, userinfo_secrets

_NONE: tuple[str, ...] = ()

_TOP = ("settings", "feeds", "topics", "digests", "channels")
_SETTINGS = (
    "timezone", "poll_interval", "min_interval", "state_dir", "retention",
    "fingerprint_retention", "database_url", *secret_keys("database_url"), "concurrency",
    "extract_workers", "tick", "digest_check", "shutdown_grace", "lock_timeout",
    "realtime_debounce", "delivery_retry_base", "delivery_retry_cap", "log_level", "fetch",
    "full_text_retry", "web", "workers",
)  # fmt: skip
_WORKERS = ("concurrency", "heartbeat", "stalled_after", "reconnect_max")
_FETCH = (
    "connect_timeout", "read_timeout", "total_timeout", "max_body_size", "max_redirects",
    "per_host_limit", "global_limit", "user_agent", "http2", "allow_networks",
)  # fmt: skip
_FULL_TEXT_RETRY = ("attempts", "backoff")
_FEED = (
    "url",
    *secret_keys("url"),
    "headers",
    "name",
    "type",
    "interval",
    "tags",
    "full_text",
    "enabled",
)
_TOPIC = ("name", "query", "feeds", "languages")


def load_config(path: Path | str, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate *path*; raise ConfigError listing every problem found."""
    path = Path(path)
    env = dict(environ or {})
    problems = Problems(str(path))
    try:
        data = read_tree(path, problems)
    except Unreadable:
        raise ConfigError(problems.items) from None
    root = Section(data if data is not None else {}, "", problems, 1)
    root.check_keys(_TOP)
    settings = _settings(root.section("settings"), path, env)
    feeds = _feeds(root, env)
    proxy, proxy_problems = proxy_settings(env)
    channels = outputs.channels(root, env, proxy)
    topics = _topics(root, feeds)
    digests = outputs.digests(root, topics, channels)
    problems.items.extend(proxy_problems)
    if problems.items:
        raise ConfigError(problems.items)
    urls = [f.url for f in feeds] + [r.proxy for r in proxy.routes if r.proxy]
    secrets = [*problems.secrets, *(s for url in urls for s in userinfo_secrets(url))]
    return Config(
        path,
        settings,
        tuple(feeds),
        tuple(topics),
        tuple(digests),
        channels,
        tuple(secrets),
        proxy,
    )


def _settings(s: Section, path: Path, env: Mapping[str, str]) -> Settings:
    s.check_keys(_SETTINGS)
    d = Settings()
    tz = s.get("timezone", as_str, d.timezone)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        s.error(
            "timezone", f"unknown time zone {tz!r}", "use an IANA name like Europe/Berlin or UTC"
        )
    state_dir = Path(s.get("state_dir", as_str, "../state"))
    if env.get("MONITOR_STATE_DIR"):
        state_dir = Path(env["MONITOR_STATE_DIR"])
    elif not state_dir.is_absolute():
        state_dir = (path.parent / state_dir).resolve()
    database_url = s.opt("database_url", as_str)
    if any(s.has(k) for k in secret_keys("database_url")):
        database_url = secret_from(s, "database_url", env)
    f = s.section("fetch")
    f.check_keys(_FETCH)
    fetch = FetchConfig(  # unset keys stay None: monitor.fetch.FetchSettings holds the defaults
        connect_timeout=f.opt("connect_timeout", parse_duration),
        read_timeout=f.opt("read_timeout", parse_duration),
        total_timeout=f.opt("total_timeout", parse_duration),
        max_body_bytes=f.opt("max_body_size", parse_size),
        max_redirects=f.opt("max_redirects", as_int),
        per_host_limit=f.opt("per_host_limit", as_int),
        global_limit=f.opt("global_limit", as_int),
        user_agent=f.opt("user_agent", as_str),
        http2=f.opt("http2", as_bool),
        allow_networks=f.opt("allow_networks", as_networks),
    )
    return Settings(
        timezone=tz,
        poll_interval=s.get("poll_interval", parse_duration, d.poll_interval),
        min_interval=s.get("min_interval", parse_duration, d.min_interval),
        state_dir=state_dir,
        retention=s.get("retention", parse_duration, d.retention),
        fingerprint_retention=s.get(
            "fingerprint_retention", parse_duration, d.fingerprint_retention
        ),
        database_url=database_url,
        concurrency=s.get("concurrency", as_int, d.concurrency),
        extract_workers=s.opt("extract_workers", as_int),
        tick=s.get("tick", parse_duration, d.tick),
        digest_check=s.get("digest_check", parse_duration, d.digest_check),
        shutdown_grace=s.get("shutdown_grace", parse_duration, d.shutdown_grace),
        lock_timeout=s.get("lock_timeout", parse_duration, d.lock_timeout),
        realtime_debounce=s.get("realtime_debounce", parse_duration, d.realtime_debounce),
        delivery_retry_base=s.get("delivery_retry_base", parse_duration, d.delivery_retry_base),
        delivery_retry_cap=s.get("delivery_retry_cap", parse_duration, d.delivery_retry_cap),
        log_level=s.get("log_level", choice("DEBUG", "INFO", "WARNING", "ERROR"), d.log_level),
        fetch=fetch,
        full_text_retry=_full_text_retry(s.section("full_text_retry")),
        web=web_settings(s.section("web"), env),
        workers=_workers(s.section("workers")),
    )


def _workers(s: Section) -> WorkersConfig:
    s.check_keys(_WORKERS)
    d = WorkersConfig()
    workers = WorkersConfig(
        concurrency=s.opt("concurrency", as_int),  # positive
        heartbeat=s.get("heartbeat", parse_duration, d.heartbeat),
        stalled_after=s.get("stalled_after", parse_duration, d.stalled_after),
        reconnect_max=s.get("reconnect_max", parse_duration, d.reconnect_max),
    )
    if workers.stalled_after < 2 * workers.heartbeat:
        s.error(
            "stalled_after",
            f"{workers.stalled_after:g}s is less than two heartbeats ({workers.heartbeat:g}s each)",
            "a live worker would count as gone; make stalled_after at least twice the heartbeat",
        )
    return workers


def _full_text_retry(s: Section) -> FullTextRetry:
    s.check_keys(_FULL_TEXT_RETRY)
    d = FullTextRetry()
    return FullTextRetry(
        attempts=s.get("attempts", _attempts, d.attempts),
        backoff=s.get("backoff", _durations, d.backoff),
    )


def _attempts(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ValueError(f"must be a whole number from 0 (no retries) to 100, not {value!r}")
    return value


def _durations(value: Any) -> tuple[float, ...]:
    """One duration or a list of them, like [10m, 30m, 2h]."""
    found = tuple(parse_duration(v) for v in as_str_list(value))
    if not found:
        raise ValueError("must list at least one duration, like [10m, 30m, 2h]")
    return found


def _url(value: Any) -> str:
    text = as_str(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{redact_url(text)!r} is not an http(s) URL")
    return text


def _feed_url(s: Section, env: Mapping[str, str]) -> str:
    """`url:`, or `url_env` / `url_file` / `url_credential` for a URL that holds credentials
    (only its user name and password are secrets, as in an inline URL: see load_config)."""
    given = [k for k in secret_keys("url") if s.has(k)]
    if not given:
        return s.get("url", _url, "", required=True, hint="every feed needs url: https://…")
    if s.has("url"):
        s.error("url", f"give url or {given[0]}, not both", "the URL comes from one place")
        return ""
    value = secret_from(s, "url", env, record=False)
    if value is None:
        return ""
    try:
        return _url(value.strip())
    except ValueError as exc:
        s.error(given[0], f"the URL it holds {exc}", "it must hold one http(s) URL")
        return ""


def _feeds(root: Section, env: Mapping[str, str]) -> list[FeedConfig]:
    feeds: list[FeedConfig] = []
    names: dict[str, int] = {}
    for s, _ in items(root, "feeds"):
        s.check_keys(_FEED)
        url = _feed_url(s, env)
        name = s.get("name", as_str, default_feed_name(url) if url else "")
        if name in names:
            s.error(
                "name" if s.has("name") else "url",
                f"duplicate feed name {name!r} (first at line {names[name]})",
                "give each feed a unique name:",
            )
        names.setdefault(name, s.line)
        interval = s.opt("interval", parse_duration)
        if interval is not None and interval < 30:
            s.error("interval", "must be at least 30s", "polling faster than that is impolite")
        feeds.append(
            FeedConfig(
                url=url,
                name=name,
                type=s.get("type", choice("feed", "page"), "feed"),
                interval=interval,
                tags=s.get("tags", as_str_list, _NONE),
                full_text=s.get("full_text", choice("auto", "always", "never"), "auto"),
                enabled=s.get("enabled", as_bool, True),
                line=s.line,
                headers=feed_headers(s.section("headers"), env) if s.has("headers") else (),
            )
        )

    def conflict(feed: FeedConfig, message: str, hint: str) -> None:
        root.problems.add(feed.line, "feeds.headers", message, hint)

    check_origins(feeds, conflict)
    return feeds


def _topics(root: Section, feeds: list[FeedConfig]) -> list[TopicConfig]:
    topics: list[TopicConfig] = []
    feed_names = {f.name for f in feeds}
    tags = {t for f in feeds for t in f.tags}
    seen: set[str] = set()
    for s, _ in items(root, "topics"):
        s.check_keys(_TOPIC)
        name = s.get("name", as_str, "", required=True)
        if name in seen:
            s.error("name", f"duplicate topic name {name!r}", "topic names must be unique")
        seen.add(name)
        query = s.get(
            "query",
            as_str,
            "",
            required=True,
            hint="for example: query: '\"exact phrase\" OR word'",
        )
        if query:
            error = query_error(query)
            if error is not None:
                message = f"{error.message} (topic {name!r})" if name else error.message
                s.error("query", message, error.hint or "see docs/queries.md")
        scope = s.get("feeds", as_str_list, _NONE)
        for item in scope:
            if item.startswith("tag:") and item[4:] not in tags:
                s.error(
                    "feeds",
                    f"no feed has the tag {item[4:]!r}",
                    f"known tags: {', '.join(sorted(tags)) or 'none'}",
                )
            elif not item.startswith("tag:") and item not in feed_names:
                s.error("feeds", f"unknown feed {item!r}", "name a feed by its name:, or use tag:X")
        languages = tuple(x.lower() for x in s.get("languages", as_str_list, _NONE))
        topics.append(TopicConfig(name, query, scope, languages, s.line))
    return topics


def query_error(query: str) -> QueryError | None:
    """The QueryError of a malformed query, or None."""
    from monitor.topics.query import parse_query

    try:
        parse_query(query)
    except QueryError as exc:
        return exc
    return None
