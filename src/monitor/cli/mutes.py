"""Commands that mute: `stories mute|unmute ID`, `topics mute|unmute NAME`, and their `status` lines.

Mutes are kept in the state, not the config; each command imports the store when it runs.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.cli.output import clip, short_time, table
from monitor.clock import utcnow
from monitor.config.values import parse_duration
from monitor.errors import MonitorError

if TYPE_CHECKING:
    from monitor.cli.context import Context
    from monitor.store.mutes import Mute

STORY, TOPIC = "story", "topic"  # the kinds of monitor.store.mutes
STORIES_HINT = "`news-monitor stories --since 30d` lists the stories with their ids"


def register_stories(stories: argparse.ArgumentParser) -> None:
    """`stories mute ID [--for 7d]` and `stories unmute ID` (plain `stories` still lists)."""
    actions = stories.add_subparsers(dest="stories_command", metavar="ACTION")
    p = actions.add_parser("mute", help="leave a story out of later digests (updates too)")
    p.add_argument("id", type=story_id, metavar="ID", help="a story id, as `stories` shows it")
    p.add_argument("--for", dest="duration", help="e.g. 7d, 12h (default: until unmuted)")
    p.set_defaults(handler=cmd_story_mute)
    p = actions.add_parser("unmute", help="end a story's mute")
    p.add_argument("id", type=story_id, metavar="ID")
    p.set_defaults(handler=cmd_story_unmute)


def register_topics(topics: Any) -> None:
    """`topics mute NAME --for 1d` and `topics unmute NAME`."""
    p = topics.add_parser("mute", help="pause a topic's digests for a while")
    p.add_argument("name", help="a configured topic")
    p.add_argument("--for", dest="duration", required=True, help="e.g. 1d, 12h")
    p.set_defaults(handler=cmd_topic_mute)
    p = topics.add_parser("unmute", help="end a topic's mute")
    p.add_argument("name")
    p.set_defaults(handler=cmd_topic_unmute)


def story_id(value: str) -> int:
    """A story id as typed: `12`, or `#12` as `stories` prints it."""
    try:
        number = int(value.removeprefix("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a story id: {value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"not a story id: {value!r}")
    return number


def until_arg(value: str | None, now: datetime) -> datetime | None:
    if value is None:
        return None
    try:
        return now + timedelta(seconds=parse_duration(value))
    except ValueError as exc:
        raise MonitorError(f"--for: {exc}", "use a duration such as 7d, 12h or 30m") from None


def cmd_story_mute(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.store import mutes

    now = utcnow()
    until = until_arg(args.duration, now)
    with ctx.app.store.begin() as conn:
        title = mutes.story_title(conn, args.id)
        if title is None:
            raise MonitorError(f"there is no story #{args.id}", STORIES_HINT)
        mute = mutes.mute(conn, STORY, str(args.id), now, until)
    return _said(ctx, mute.as_dict(), f"muted {describe(mute)} {_ends(mute)}")


def cmd_story_unmute(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.store import mutes

    now = utcnow()
    with ctx.app.store.begin() as conn:
        title = mutes.story_title(conn, args.id)
        was = mutes.unmute(conn, STORY, str(args.id), now)
        if title is None and not was:
            raise MonitorError(f"there is no story #{args.id}", STORIES_HINT)
    label = f"story #{args.id}" + (f" ({clip(title, 60)})" if title else "")
    said = f"unmuted {label}" if was else f"{label} was not muted"
    return _said(ctx, {"kind": STORY, "story_id": args.id, "unmuted": was}, said)


def cmd_topic_mute(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.store import mutes

    if ctx.config.topic(args.name) is None:
        raise MonitorError(f"no topic named {args.name!r}", "see the topics: section of the config")
    now = utcnow()
    until = until_arg(args.duration, now)
    with ctx.app.store.begin() as conn:
        mute = mutes.mute(conn, TOPIC, args.name, now, until)
    return _said(ctx, mute.as_dict(), f"muted {describe(mute)} {_ends(mute)}")


def cmd_topic_unmute(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.store import mutes

    with ctx.app.store.begin() as conn:
        was = mutes.unmute(conn, TOPIC, args.name, utcnow())
    if not was and ctx.config.topic(args.name) is None:
        raise MonitorError(f"no topic named {args.name!r}", "see the topics: section of the config")
    said = f"unmuted topic {args.name!r}" if was else f"topic {args.name!r} was not muted"
    return _said(ctx, {"kind": TOPIC, "topic": args.name, "unmuted": was}, said)


def describe(mute: Mute) -> str:
    """'story #3 (Legion fighters seize village)', 'topic 'Legion'' for messages and `status`."""
    if mute.kind != STORY:
        return f"topic {mute.target!r}"
    label = f"story #{mute.target}" + (f" ({clip(mute.title, 60)})" if mute.title else "")
    return label + (f", split from #{mute.split_from}" if mute.split_from else "")


def status_table(found: list[Mute]) -> None:
    """The mutes in force, under `status`'s other tables (nothing when there is none)."""
    if not found:
        return
    print()
    rows = [(describe(m), short_time(m.until) if m.until else "when unmuted") for m in found]
    table([(*r, short_time(m.muted_at)) for r, m in zip(rows, found, strict=True)],
          ["muted", "ends", "since"])  # fmt: skip


def _ends(mute: Mute) -> str:
    return f"until {short_time(mute.until)}" if mute.until else "until you unmute it"


def _said(ctx: Context, value: dict[str, Any], line: str) -> int:
    if ctx.json:
        ctx.emit_json(value)
    else:
        print(line)
    return 0
