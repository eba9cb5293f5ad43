"""feeds.yaml → Config: parse with line numbers, validate everything, report every problem."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from monitor.config.fields import (
    Problems,
    Section,
    as_bool,
    as_int,
    as_str,
    as_str_list,
    choice,
    line_of,
)
from monitor.config.model import (
    ChannelConfig,
    Config,
    DigestConfig,
    FeedConfig,
    FetchConfig,
    Settings,
    SmtpConfig,
    TopicConfig,
)
from monitor.config.values import parse_duration, parse_size
from monitor.errors import ConfigError, QueryError

_NONE: tuple[str, ...] = ()

_TOP = ("settings", "feeds", "topics", "digests", "channels")
_SETTINGS = (
    "timezone", "poll_interval", "min_interval", "state_dir", "retention",
    "fingerprint_retention", "database_url", "database_url_env", "concurrency",
    "extract_workers", "tick", "shutdown_grace", "realtime_debounce",
    "delivery_retry_base", "delivery_retry_cap", "log_level", "fetch",
)  # fmt: skip
_FETCH = (
    "connect_timeout", "read_timeout", "total_timeout", "max_body_size", "max_redirects",
    "per_host_limit", "global_limit", "user_agent", "http2",
)  # fmt: skip
_FEED = ("url", "name", "type", "interval", "tags", "full_text", "enabled")
_TOPIC = ("name", "query", "feeds", "languages")
_DIGEST = ("name", "topics", "schedule", "channels", "max_stories", "send_empty", "order")
_CHANNEL = {
    "email": ("type", "to", "from", "reply_to", "list_id", "smtp", "timeout"),
    "slack": ("type", "webhook_url", "webhook_url_env", "timeout"),
    "apprise": ("type", "url", "url_env", "timeout"),
}
_SMTP = ("host", "port", "starttls", "ssl", "username", "password_env", "timeout")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def load_config(path: Path | str, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate *path*; raise ConfigError listing every problem found."""
    path = Path(path)
    env = dict(environ or {})
    problems = Problems(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add(0, "-", "the config file does not exist", "create it, or pass --config PATH")
        raise ConfigError(problems.items) from None
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(0, "-", f"cannot read the config file: {exc}")
        raise ConfigError(problems.items) from None
    try:
        data = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else 0
        problems.add(line, "-", f"not valid YAML: {exc.problem}", "check indentation and quoting")
        raise ConfigError(problems.items) from None
    except YAMLError as exc:
        problems.add(0, "-", f"not valid YAML: {exc}")
        raise ConfigError(problems.items) from None
    root = Section(data if data is not None else {}, "", problems, 1)
    root.check_keys(_TOP)
    settings = _settings(root.section("settings"), path, env)
    feeds = _feeds(root, settings)
    channels = _channels(root, env)
    topics = _topics(root, feeds)
    digests = _digests(root, topics, channels)
    if problems.items:
        raise ConfigError(problems.items)
    return Config(path, settings, tuple(feeds), tuple(topics), tuple(digests), channels)


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
    if s.has("database_url_env"):
        database_url = _secret(s, "database_url_env", env)
    f = s.section("fetch")
    f.check_keys(_FETCH)
    fd = FetchConfig()
    fetch = FetchConfig(
        connect_timeout=f.get("connect_timeout", parse_duration, fd.connect_timeout),
        read_timeout=f.get("read_timeout", parse_duration, fd.read_timeout),
        total_timeout=f.get("total_timeout", parse_duration, fd.total_timeout),
        max_body_bytes=f.get("max_body_size", parse_size, fd.max_body_bytes),
        max_redirects=f.get("max_redirects", as_int, fd.max_redirects),
        per_host_limit=f.get("per_host_limit", as_int, fd.per_host_limit),
        global_limit=f.get("global_limit", as_int, fd.global_limit),
        user_agent=f.opt("user_agent", as_str),
        http2=f.get("http2", as_bool, fd.http2),
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
        shutdown_grace=s.get("shutdown_grace", parse_duration, d.shutdown_grace),
        realtime_debounce=s.get("realtime_debounce", parse_duration, d.realtime_debounce),
        delivery_retry_base=s.get("delivery_retry_base", parse_duration, d.delivery_retry_base),
        delivery_retry_cap=s.get("delivery_retry_cap", parse_duration, d.delivery_retry_cap),
        log_level=s.get("log_level", choice("DEBUG", "INFO", "WARNING", "ERROR"), d.log_level),
        fetch=fetch,
    )


def _secret(s: Section, key: str, env: Mapping[str, str]) -> str | None:
    """Resolve a `*_env` key: the named environment variable must be set (never logged)."""
    name = s.get(key, as_str, "")
    if not name:
        return None
    if not _ENV_NAME.match(name):
        s.error(
            key, f"{name!r} is not an environment variable name", "name the variable, not its value"
        )
        return None
    value = env.get(name)
    if not value:
        s.error(key, f"environment variable {name} is not set", f"export {name}=… before starting")
        return None
    return value


def _items(root: Section, key: str) -> list[tuple[Section, int]]:
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


def _url(value: Any) -> str:
    text = as_str(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text!r} is not an http(s) URL")
    return text


def _feeds(root: Section, settings: Settings) -> list[FeedConfig]:
    feeds: list[FeedConfig] = []
    names: dict[str, int] = {}
    for s, _ in _items(root, "feeds"):
        s.check_keys(_FEED)
        url = s.get("url", _url, "", required=True, hint="every feed needs url: https://…")
        default_name = (
            (urlsplit(url).hostname or url) + urlsplit(url).path.rstrip("/") if url else ""
        )
        name = s.get("name", as_str, default_name)
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
            )
        )
    return feeds


def _topics(root: Section, feeds: list[FeedConfig]) -> list[TopicConfig]:
    topics: list[TopicConfig] = []
    feed_names = {f.name for f in feeds}
    tags = {t for f in feeds for t in f.tags}
    seen: set[str] = set()
    for s, _ in _items(root, "topics"):
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
                s.error("query", error.message, error.hint or "see docs/queries.md")
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
    from monitor.query import parse_query

    try:
        parse_query(query)
    except QueryError as exc:
        return exc
    return None


def _channels(root: Section, env: Mapping[str, str]) -> dict[str, ChannelConfig]:
    node = root.section("channels")
    channels: dict[str, ChannelConfig] = {}
    for name in list(node.node):
        s = node.section(str(name))
        kind = s.get(
            "type", choice(*_CHANNEL), "", required=True, hint="type: email, slack or apprise"
        )
        if not kind:
            continue
        s.check_keys(_CHANNEL[kind])
        channel = ChannelConfig(name=str(name), type=kind, line=s.line)
        channel = replace(channel, timeout=s.get("timeout", parse_duration, channel.timeout))
        if kind == "email":
            channel = _email(s, channel, env)
        elif kind == "slack":
            channel = replace(channel, webhook_url=_either(s, "webhook_url", env))
        else:
            channel = replace(channel, apprise_url=_either(s, "url", env))
        channels[str(name)] = channel
    return channels


def _either(s: Section, key: str, env: Mapping[str, str]) -> str | None:
    if s.has(f"{key}_env"):
        return _secret(s, f"{key}_env", env)
    if s.has(key):
        return s.opt(key, as_str)
    s.problems.add(
        s.line, s.key_path(f"{key}_env"), "is required", f"set {key}_env: NAME_OF_ENV_VAR"
    )
    return None


def _address(value: Any) -> str:
    text = as_str(value)
    if not _EMAIL.match(text):
        raise ValueError(f"{text!r} is not an e-mail address")
    return text


def _email(s: Section, channel: ChannelConfig, env: Mapping[str, str]) -> ChannelConfig:
    to = s.get("to", lambda v: tuple(_address(x) for x in as_str_list(v)), _NONE, required=True)
    smtp_s = s.section("smtp")
    smtp_s.check_keys(_SMTP)
    d = SmtpConfig()
    smtp = SmtpConfig(
        host=smtp_s.get("host", as_str, d.host),
        port=smtp_s.get("port", as_int, d.port),
        starttls=smtp_s.get("starttls", as_bool, d.starttls),
        ssl=smtp_s.get("ssl", as_bool, d.ssl),
        username=smtp_s.opt("username", as_str),
        password=_secret(smtp_s, "password_env", env) if smtp_s.has("password_env") else None,
        timeout=smtp_s.get("timeout", parse_duration, d.timeout),
    )
    if smtp.ssl and smtp.starttls:
        smtp_s.error(
            "starttls",
            "ssl and starttls exclude each other",
            "ssl: implicit TLS (465); starttls: upgrade (587)",
        )
    return replace(
        channel,
        to=to,
        sender=s.get("from", _address, "", required=True) or None,
        reply_to=s.opt("reply_to", _address),
        list_id=s.opt("list_id", as_str),
        smtp=smtp,
    )


def _digests(
    root: Section, topics: list[TopicConfig], channels: dict[str, ChannelConfig]
) -> list[DigestConfig]:
    digests: list[DigestConfig] = []
    topic_names = {t.name for t in topics}
    seen: set[str] = set()
    for s, _ in _items(root, "digests"):
        s.check_keys(_DIGEST)
        name = s.get("name", as_str, "", required=True)
        if name in seen:
            s.error("name", f"duplicate digest name {name!r}", "digest names must be unique")
        seen.add(name)
        wanted = s.get("topics", as_str_list, _NONE, required=True)
        for t in wanted:
            if t not in topic_names:
                s.error(
                    "topics",
                    f"unknown topic {t!r}",
                    f"known topics: {', '.join(sorted(topic_names)) or 'none'}",
                )
        via = s.get("channels", as_str_list, _NONE, required=True)
        for c in via:
            if c not in channels:
                s.error(
                    "channels",
                    f"unknown channel {c!r}",
                    f"known channels: {', '.join(sorted(channels)) or 'none'}",
                )
        schedule = s.get("schedule", as_str, "0 8 * * *")
        problem = schedule_error(schedule)
        if problem:
            s.error("schedule", problem, 'cron like "0 8 * * *", "every 1h" or "realtime"')
        digests.append(
            DigestConfig(
                name=name,
                topics=wanted,
                channels=via,
                schedule=schedule,
                max_stories=s.get("max_stories", as_int, 25),
                send_empty=s.get("send_empty", as_bool, False),
                order=s.get("order", choice("relevance", "recency"), "relevance"),
                line=s.line,
            )
        )
    return digests


def schedule_error(schedule: str) -> str | None:
    from monitor.schedules import validate_schedule

    result: str | None = validate_schedule(schedule)
    return result
