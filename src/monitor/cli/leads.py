"""`news-monitor sources lead [--topic T] [--since 30d]`: who reports first, and by how much."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from monitor.cli.output import table
from monitor.errors import MonitorError

if TYPE_CHECKING:
    from monitor.cli.context import Context


def register(sub: Any) -> None:
    group = sub.add_parser("sources", help="how the sources compare: who reported first")
    actions = group.add_subparsers(dest="sources_command", metavar="ACTION", required=True)
    p = actions.add_parser("lead", help="per source: how often first, and its median lead")
    p.add_argument("--topic", help="only stories with articles matching this topic")
    p.add_argument("--since", default="30d", help="stories first reported within (default 30d)")
    p.set_defaults(handler=cmd_sources_lead)


def cmd_sources_lead(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.cli.data import since_arg
    from monitor.clock import span
    from monitor.store.first_reports import source_leads

    if args.topic and ctx.config.topic(args.topic) is None:
        raise MonitorError(
            f"no topic named {args.topic!r}", "see the topics: section of the config"
        )
    since = since_arg(args.since)
    assert since is not None  # --since has a default
    with ctx.reader.store.connect() as conn:
        leads = source_leads(conn, since, args.topic)
    if ctx.json:
        ctx.emit_json([lead.as_dict() for lead in leads])
        return 0
    if not leads:
        print("no story with two or more sources in that window")
        return 0
    rows = [
        (
            lead.source,
            lead.first,
            lead.stories,
            f"{lead.first / lead.stories:.0%}",
            span(lead.median_lead) if lead.median_lead is not None else None,
        )
        for lead in leads
    ]
    table(rows, ["source", "first", "stories", "share", "median lead"])
    return 0
