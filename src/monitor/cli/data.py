"""Commands over stored data: export, import, stories, topics test (each imports what it uses);
the mutes of stories and topics are in `cli/mutes.py`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.cli import mutes
from monitor.cli.output import plural
from monitor.clock import utcnow
from monitor.config.values import parse_duration
from monitor.errors import MonitorError, QueryError

if TYPE_CHECKING:
    from monitor.cli.context import Context


def register(sub: Any) -> None:
    p = sub.add_parser("export", help="stored articles as JSON lines")
    p.add_argument("--since", help="only articles stored within this duration, e.g. 7d")
    p.add_argument("--format", choices=["jsonl"], default="jsonl")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("import", help="ingest articles from a JSON-lines file")
    p.add_argument("file", help="path, or - for standard input")
    p.add_argument("--format", choices=["jsonl"], default="jsonl")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("stories", help="story clusters with their articles and sources")
    p.add_argument("--topic", help="only stories with articles matching this topic")
    p.add_argument("--since", default="2d", help="stories seen within this duration (default 2d)")
    p.set_defaults(handler=cmd_stories)
    mutes.register_stories(p)

    topics = sub.add_parser("topics", help="try topic queries, mute a topic").add_subparsers(
        dest="topics_command", metavar="ACTION", required=True
    )
    p = topics.add_parser("test", help="stored articles that match a topic, with the hits")
    p.add_argument("name", nargs="?", help="a configured topic")
    p.add_argument("--query", help="try a query that is not in the config yet")
    p.add_argument(
        "--since", default="7d", help="articles stored within this duration (default 7d)"
    )
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(handler=cmd_topics_test)
    mutes.register_topics(topics)


def since_arg(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return utcnow() - timedelta(seconds=parse_duration(value))
    except ValueError as exc:
        raise MonitorError(f"--since: {exc}", "use a duration such as 2d, 12h or 30m") from None


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.store import articles as article_store

    since = since_arg(args.since)
    with ctx.reader.store.connect() as conn:
        for row in article_store.export_rows(conn, since):
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.ingest.importer import import_jsonl

    stream = sys.stdin if args.file == "-" else _open(args.file)
    with stream:
        report = import_jsonl(ctx.app.store, ctx.app.stages, stream)
    for line, problem in report.rejected[:50]:
        print(f"{args.file}:{line}: {problem}", file=sys.stderr)
    if ctx.json:
        ctx.emit_json(report.as_dict())
    else:
        print(
            f"imported {report.new} new articles ({report.known} already stored, "
            f"{len(report.rejected)} lines rejected)"
        )
    return 1 if report.rejected else 0


def _open(path: str) -> Any:
    try:
        return open(path, encoding="utf-8")  # noqa: SIM115 (closed by the caller's with)
    except OSError as exc:
        raise MonitorError(f"cannot read {path}: {exc.strerror}") from None


def cmd_stories(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.clock import span
    from monitor.store.story_queries import list_stories

    if args.topic and ctx.config.topic(args.topic) is None:
        raise MonitorError(
            f"no topic named {args.topic!r}", "see the topics: section of the config"
        )
    with ctx.reader.store.connect() as conn:
        stories = list_stories(conn, topic=args.topic, since=since_arg(args.since))
    if ctx.json:
        ctx.emit_json([s.as_dict() for s in stories])
        return 0
    for s in stories:
        sources = sorted({a.source for a in s.articles})
        print(f"#{s.id} {s.title}")
        print(
            f"   {plural(len(s.articles), 'article')}, {plural(len(sources), 'source')}, "
            f"last seen {s.last_seen:%Y-%m-%d %H:%M}"
        )
        if s.first is not None and s.first.second is not None:
            lead = s.first.lead
            assert lead is not None
            print(
                f"   first: {s.first.first.source}, {s.first.first.at:%Y-%m-%d %H:%M} — "
                f"{span(lead)} before {s.first.second.source}"
            )
        for a in s.articles:
            mark = f" (copy of #{a.duplicate_of})" if a.duplicate_of else ""
            print(f"   - {a.source}: {a.title}{mark}\n     {a.url}")
    if not stories:
        print("no stories in that window")
    return 0


def cmd_topics_test(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.topics.match import TopicSpec
    from monitor.topics.stage import topic_specs
    from monitor.topics.trial import try_topic

    config = ctx.config
    if args.query:
        spec = TopicSpec(name="query", query=args.query)
    elif args.name:
        topic = config.topic(args.name)
        if topic is None:
            raise MonitorError(f"no topic named {args.name!r}", "or try a query with --query '…'")
        spec = topic_specs(config, [topic])[0]
    else:
        raise MonitorError("name a topic or give --query", "news-monitor topics test NAME")
    since = since_arg(args.since)
    with ctx.reader.store.connect() as conn:
        try:
            results = try_topic(conn, spec, since, args.limit)
        except QueryError as exc:
            raise MonitorError(f"query: {exc.message}", exc.hint or "see docs/queries.md") from None
    if ctx.json:
        ctx.emit_json(results)
        return 0
    for r in results:
        print(
            f"[{r['score']:.2f}] {r['title']}\n       {r['url']}\n       hits: {', '.join(r['hits'])}"
        )
        print(f"       {r['snippet']}")
    print(f"{len(results)} matching articles")
    return 0
