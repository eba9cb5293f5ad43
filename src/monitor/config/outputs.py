"""The delivery sections of feeds.yaml: `channels` (email, Slack, Apprise) and `digests`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from monitor.config.fields import (
    Section,
    as_bool,
    as_int,
    as_str,
    as_str_list,
    choice,
    items,
    secret,
)
from monitor.config.model import ChannelConfig, DigestConfig, SmtpConfig, TopicConfig
from monitor.config.values import parse_duration

_NONE: tuple[str, ...] = ()
_DIGEST = ("name", "topics", "schedule", "channels", "max_stories", "send_empty", "order")
_CHANNEL = {
    "email": ("type", "to", "from", "reply_to", "list_id", "smtp", "timeout"),
    "slack": ("type", "webhook_url", "webhook_url_env", "timeout"),
    "apprise": ("type", "url", "url_env", "timeout"),
}
_SMTP = ("host", "port", "starttls", "ssl", "username", "password_env", "timeout")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


def channels(root: Section, env: Mapping[str, str]) -> dict[str, ChannelConfig]:
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
        return secret(s, f"{key}_env", env)
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
        password=secret(smtp_s, "password_env", env) if smtp_s.has("password_env") else None,
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


def digests(
    root: Section, topics: list[TopicConfig], channels: dict[str, ChannelConfig]
) -> list[DigestConfig]:
    digests: list[DigestConfig] = []
    topic_names = {t.name for t in topics}
    seen: set[str] = set()
    for s, _ in items(root, "digests"):
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
    from monitor.digest.schedules import validate_schedule

    result: str | None = validate_schedule(schedule)
    return result
