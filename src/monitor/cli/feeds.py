"""The `feeds` commands: list, add (with autodiscovery), remove, test, import and export (OPML).

Each imports what it needs when it runs: `list` and `export` read the config only; `add` and
`test` fetch (autodiscovery, `ingest/discovery.py`); `import` reads OPML (`config/opml.py`) and
edits the config in place (`config/edit.py`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.cli.output import plural, table
from monitor.config.values import default_feed_name, format_duration
from monitor.errors import ConfigError, MonitorError
from monitor.redact import redact_url

if TYPE_CHECKING:
    from monitor.cli.context import Context
    from monitor.ingest.discovery import Discovery, FoundFeed


def register(sub: Any) -> None:
    feeds = sub.add_parser(
        "feeds", help="list, add, remove, test, import or export sources"
    ).add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    p = feeds.add_parser("list", help="configured sources")
    p.set_defaults(handler=cmd_feeds_list)
    p = feeds.add_parser(
        "add",
        help="add a source to the config file (keeps its comments); "
        "on a web page, finds the feeds it declares",
    )
    p.add_argument("url")
    p.add_argument("--name")
    p.add_argument("--type", choices=["feed", "page"], default="feed")
    p.add_argument("--pick", type=int, metavar="N", help="the Nth of several feeds found")
    p.add_argument("--yes", action="store_true", help="the first of several feeds found")
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
    p = feeds.add_parser("import", help="add the feeds of an OPML subscription list")
    p.add_argument("file", metavar="FILE", help="an .opml file, or - for standard input")
    p.add_argument("--tag", action="append", default=[], help="tag every feed added (repeatable)")
    p.add_argument("--dry-run", action="store_true", help="say what would be added; write nothing")
    p.set_defaults(handler=cmd_feeds_import)
    p = feeds.add_parser("export", help="the configured sources as an OPML 2.0 subscription list")
    p.add_argument("--format", choices=["opml"], default="opml")
    p.add_argument(
        "--with-secrets",
        action="store_true",
        help="keep the credentials of feed URLs (user:password@); masked as *** by default",
    )
    p.set_defaults(handler=cmd_feeds_export)


def cmd_feeds_list(args: argparse.Namespace, ctx: Context) -> int:
    config = ctx.config
    rows: list[dict[str, Any]] = [
        {
            "name": f.name,
            "url": redact_url(f.url),
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
    import asyncio

    from monitor.config import edit
    from monitor.ingest.discovery import discover_url

    found = asyncio.run(discover_url(ctx.config, args.url, find=args.type != "page"))
    url = args.url
    if args.type == "page" and found.parsed is not None:
        raise MonitorError(
            f"{url} is a feed ({found.parsed.format}), not a section page",
            f"add it as a feed: news-monitor feeds add {url}",
        )
    if args.type != "page" and found.parsed is None:
        url = _chosen(found, args.pick, args.yes).url
    name = edit.add_feed(
        ctx.config_path,
        url,
        name=args.name,
        type=args.type,
        interval=args.interval,
        tags=args.tag,
        full_text=args.full_text,
    )
    print(f"added {name!r} to {ctx.config_path}")
    return 0


def _chosen(found: Discovery, pick: int | None, yes: bool) -> FoundFeed:
    """The feed to add of those found for a page: the one, the `--pick`ed, or with `--yes` the
    first; several without either are listed, and the command asks for one."""
    from monitor.ingest.discovery import USUAL_PATHS

    feeds = found.feeds
    if not feeds:
        raise MonitorError(
            f"no feed found at {found.url}: the page declares none, and none answers at "
            + ", ".join(USUAL_PATHS),
            f"to follow the page's article links, add it as a section page: "
            f"news-monitor feeds add {found.url} --type page",
        )
    if pick is not None and not 1 <= pick <= len(feeds):
        raise MonitorError(
            f"--pick {pick}: {found.url} has {plural(len(feeds), 'feed')}",
            f"pick a number from 1 to {len(feeds)}",
        )
    if len(feeds) > 1 and pick is None and not yes:
        print(f"{found.url} declares {plural(len(feeds), 'feed')}:")
        _print_found(feeds)
        raise MonitorError(
            f"{found.url} declares {len(feeds)} feeds: which one?",
            "choose one with --pick N, or the first with --yes",
        )
    chosen = feeds[(pick or 1) - 1]
    how = "declared by the page" if chosen.via == "declared" else "at a usual path of the site"
    print(f"found {chosen.url} ({chosen.format}, {how})")
    return chosen


def _print_found(feeds: Sequence[FoundFeed]) -> None:
    for n, feed in enumerate(feeds, 1):
        print(f"  {n}. {feed.url}  {feed.format}  {feed.title or '-'}  ({feed.via})")


def cmd_feeds_remove(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.config import edit

    url = edit.remove_feed(ctx.config_path, args.name)
    print(f"removed {args.name!r} ({redact_url(url)}) from {ctx.config_path}")
    return 0


def cmd_feeds_test(args: argparse.Namespace, ctx: Context) -> int:
    import asyncio

    from monitor.ingest.discovery import FoundFeed
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
    if "discovered" in report:
        found = [FoundFeed(**f) for f in report["discovered"]]
        print(f"  {plural(len(found), 'feed')} found for it (`feeds add` adds one):")
        _print_found(found)
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


def cmd_feeds_import(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.config import edit, opml

    source = "standard input" if args.file == "-" else args.file
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        raise MonitorError(f"cannot read {source}: {exc.strerror}", "check the path") from None
    config = ctx.config
    plan = opml.plan_import(config.feeds, opml.read_opml(data, source), args.tag)
    names = [f.name or default_feed_name(f.url) for f in plan.added]
    if plan.added and not args.dry_run:
        names = edit.add_feeds(ctx.config_path, plan.added)
    if ctx.json:
        ctx.emit_json(
            {
                "dry_run": args.dry_run,
                "added": [
                    {"name": n, "url": f.url, "type": f.type, "tags": list(f.tags)}
                    for n, f in zip(names, plan.added, strict=True)
                ],
                "skipped": [{"url": s.url, "reason": s.reason} for s in plan.skipped],
            }
        )
        return 0
    verb = "would add" if args.dry_run else "added"
    print(f"{verb} {plural(len(plan.added), 'feed')} to {ctx.config_path}")
    for name, feed in zip(names, plan.added, strict=True):
        print(f"  + {name}  {feed.url}" + (f"  [{', '.join(feed.tags)}]" if feed.tags else ""))
    if plan.skipped:
        print(f"skipped {len(plan.skipped)}:")
        for skipped in plan.skipped:
            print(f"  - {skipped.url}: {skipped.reason}")
    return 0


def cmd_feeds_export(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.config import opml

    title = f"news-monitor: {ctx.config_path.name}"
    sys.stdout.write(opml.write_opml(ctx.config.feeds, title, with_secrets=args.with_secrets))
    return 0
