"""Commands about sources: check, poll, feeds list|add|remove|test, status.

Each command imports what it needs (the store, the pipeline) when it runs: `check` and
`feeds list` read the config only.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

from monitor.cli.output import Progress, clip, short_iso, table
from monitor.config.values import format_duration
from monitor.errors import ConfigError, MonitorError

if TYPE_CHECKING:
    from monitor.cli.context import Context
    from monitor.ingest.pipeline import PollOutcome


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="validate the config file")
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("poll", help="poll sources now")
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="source names (default: those due)")
    p.add_argument("--all", action="store_true", help="poll every source now, due or not")
    p.set_defaults(handler=cmd_poll)

    feeds = sub.add_parser("feeds", help="list, add, remove or test sources").add_subparsers(
        dest="feeds_command", metavar="ACTION", required=True
    )
    p = feeds.add_parser("list", help="configured sources")
    p.set_defaults(handler=cmd_feeds_list)
    p = feeds.add_parser("add", help="add a source to the config file (keeps its comments)")
    p.add_argument("url")
    p.add_argument("--name")
    p.add_argument("--type", choices=["feed", "page"], default="feed")
    p.add_argument("--interval", help="e.g. 10m, 2h")
    p.add_argument("--tag", action="append", default=[], help="repeatable")
    p.add_argument(
        "--full-text",
        choices=["auto", "always", "never"],
        help="auto (default): fetch the article page unless the feed carries the whole text; "
        "always: fetch every page; never: the feed's text only",
    )
    p.set_defaults(handler=cmd_feeds_add)
    p = feeds.add_parser("remove", help="remove a source from the config file")
    p.add_argument("name")
    p.set_defaults(handler=cmd_feeds_remove)
    p = feeds.add_parser("test", help="fetch a URL and show what would be extracted")
    p.add_argument("url")
    p.add_argument("--type", choices=["feed", "page"], default=None)
    p.add_argument("--limit", type=int, default=5, help="entries to extract (default 5)")
    p.set_defaults(handler=cmd_feeds_test)

    p = sub.add_parser("status", help="health of every source and digest")
    p.set_defaults(handler=cmd_status)


def cmd_check(args: argparse.Namespace, ctx: Context) -> int:
    try:
        config = ctx.config
    except ConfigError as exc:
        if ctx.json:
            ctx.emit_json({"ok": False, "problems": [p.__dict__ for p in exc.problems]})
            return 1
        raise
    if ctx.json:
        ctx.emit_json({"ok": True, "problems": []})
    else:
        print(
            f"{config.path}: ok — {len(config.feeds)} feeds, {len(config.topics)} topics, "
            f"{len(config.digests)} digests, {len(config.channels)} channels"
        )
    return 0


def cmd_poll(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.cli.health import poll_summary

    progress = Progress()

    def step(outcome: PollOutcome, total: int) -> None:
        progress.step(outcome.source, total)

    names = args.sources or None
    outcomes = asyncio.run(ctx.app.poll(names, force=bool(args.all or args.sources), progress=step))
    if ctx.json:
        ctx.emit_json([o.__dict__ for o in outcomes])
        return 0
    poll_summary(outcomes)
    return 0


def cmd_feeds_list(args: argparse.Namespace, ctx: Context) -> int:
    config = ctx.config
    rows: list[dict[str, Any]] = [
        {
            "name": f.name,
            "url": f.url,
            "type": f.type,
            "interval": format_duration(f.interval or config.settings.poll_interval),
            "tags": list(f.tags),
            "full_text": f.full_text,
            "enabled": f.enabled,
        }
        for f in config.feeds
    ]
    if ctx.json:
        ctx.emit_json(rows)
    else:
        table(
            [(r["name"], r["type"], r["interval"], ",".join(r["tags"]), r["url"]) for r in rows],
            ["name", "type", "interval", "tags", "url"],
        )
    return 0


def cmd_feeds_add(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.config import edit

    name = edit.add_feed(
        ctx.config_path,
        args.url,
        name=args.name,
        type=args.type,
        interval=args.interval,
        tags=args.tag,
        full_text=args.full_text,
    )
    print(f"added {name!r} to {ctx.config_path}")
    return 0


def cmd_feeds_remove(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.config import edit

    url = edit.remove_feed(ctx.config_path, args.name)
    print(f"removed {args.name!r} ({url}) from {ctx.config_path}")
    return 0


def cmd_feeds_test(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.ingest.probe import probe_url

    try:
        config = ctx.config
    except ConfigError:
        config = None  # testing a URL needs no valid config
    report = asyncio.run(probe_url(args.url, config, kind=args.type, limit=args.limit))
    if ctx.json:
        ctx.emit_json(report)
        return 0 if report["ok"] else 1
    if not report["ok"]:
        raise MonitorError(report["error"], report.get("hint"))
    print(f"{report['url']}: {report['format']}, {report['entries']} entries")
    if report.get("feed_url"):
        print(f"  uses its feed: {report['feed_url']}")
    if report.get("malformed"):
        print(f"  malformed, salvaged: {report['malformed']}")
    if report.get("skipped"):
        print(f"  skipped {report['skipped']}")
    for item in report["items"]:
        print(f"\n* {item['title']}\n  {item['url']}")
        print(
            f"  published: {item['published'] or '-'}  language: {item['language'] or '-'}  text from: {item['text_from']}"
        )
        print(f"  {item['text'][:300]}{'…' if len(item['text']) > 300 else ''}")
    return 0


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.cli.health import source_json, source_table
    from monitor.digest.delivery import delivery_status
    from monitor.store import articles as article_store
    from monitor.store import sources as source_store

    app = ctx.app

    with app.store.connect() as conn:
        rows = source_store.all_sources(conn, app.source_names)
        counts = article_store.count_by_source(conn)
        digests = delivery_status(conn, ctx.config)
    if ctx.json:
        sources = [source_json(r, counts.get(r.name, 0)) for r in rows]
        ctx.emit_json({"sources": sources, "digests": digests})
        return 0
    source_table(rows, counts)
    print()
    table(
        [
            (
                d["name"],
                d["channel"],
                short_iso(d["last_delivery"]),
                d.get("pending", 0),
                clip(d["last_error"], 100) if d.get("last_error") else "-",
            )
            for d in digests
        ],
        ["digest", "channel", "last delivery", "pending", "last error"],
    )
    return 0
