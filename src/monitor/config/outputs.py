"""The delivery sections of feeds.yaml: `channels` (each read by its registered type) and `digests`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from monitor.config.fields import Section, as_bool, as_int, as_str, as_str_list, choice, items
from monitor.config.model import ChannelConfig, DigestConfig, TopicConfig
from monitor.config.proxy import ProxySettings
from monitor.config.values import parse_duration

_NONE: tuple[str, ...] = ()
_DIGEST = ("name", "topics", "schedule", "channels", "max_stories", "send_empty", "order")


def channels(
    root: Section, env: Mapping[str, str], proxy: ProxySettings
) -> dict[str, ChannelConfig]:
    """Each channel read by its type from the registry (monitor.digest.channels.registry)."""
    from monitor.digest.channels.registry import types_for  # digest imports config

    node = root.section("channels")
    sections = node.node.values() if isinstance(node.node, Mapping) else ()
    declared = [str(c.get("type")) for c in sections if isinstance(c, Mapping)]
    types = types_for(declared)  # entry points are scanned only for a type not built in
    names = list(types)
    hint = "type: " + (f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0])
    channels: dict[str, ChannelConfig] = {}
    for name in list(node.node):
        s = node.section(str(name))
        kind = s.get("type", choice(*names), "", required=True, hint=hint)
        if not kind:
            continue
        channel_type = types[kind]
        s.check_keys(("type", *channel_type.keys, "timeout"))
        common = ChannelConfig(name=str(name), type=kind, line=s.line, proxy=proxy)
        common = replace(common, timeout=s.get("timeout", parse_duration, common.timeout))
        channels[str(name)] = channel_type.parse(s, common, env)
    return channels


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
