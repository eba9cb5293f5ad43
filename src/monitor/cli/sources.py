"""Commands about sources: check, poll, status (with the mutes); `feeds …` are in cli/feeds.py.

Each command imports what it needs (the store, the pipeline) when it runs: `check` reads the
config only.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

from monitor.cli import feeds
from monitor.cli.output import Progress, clip, iso, short_iso, short_time, table
from monitor.errors import ConfigError

if TYPE_CHECKING:
    from monitor.cli.context import Context
    from monitor.ingest.pipeline import PollOutcome
    from monitor.store.sources import SourceRow


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="validate the config file")
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("poll", help="poll sources now")
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="source names (default: those due)")
    p.add_argument("--all", action="store_true", help="poll every source now, due or not")
    p.set_defaults(handler=cmd_poll)

    feeds.register(sub)

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
    progress = Progress()

    def step(outcome: PollOutcome, total: int) -> None:
        progress.step(outcome.source, total)

    names = args.sources or None
    outcomes = asyncio.run(ctx.app.poll(names, force=bool(args.all or args.sources), progress=step))
    if ctx.json:
        ctx.emit_json([o.__dict__ for o in outcomes])
        return 0
    failed = [o for o in outcomes if not o.ok]
    new = sum(o.new_articles for o in outcomes)
    unchanged = sum(1 for o in outcomes if o.not_modified)
    print(
        f"polled {len(outcomes)} sources: {new} new articles, {unchanged} unchanged, {len(failed)} failed"
    )
    for o in failed:
        print(f"  {o.source}: {o.error}")
    return 0


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.cli.mutes import status_table
    from monitor.clock import utcnow
    from monitor.digest.delivery import delivery_status
    from monitor.store import articles as article_store
    from monitor.store import mutes
    from monitor.store import sources as source_store

    app = ctx.app

    with app.store.connect() as conn:
        rows = source_store.all_sources(conn, app.source_names)
        counts = article_store.count_by_source(conn)
        digests = delivery_status(conn, ctx.config)
        muted = mutes.listed(conn, utcnow())
    sources = [
        {
            "name": r.name,
            "url": r.fetch_url,
            "configured_url": r.url,
            "last_success": iso(r.last_success),
            "last_error": r.last_error,
            "last_error_at": iso(r.last_error_at),
            "error_count": r.error_count,
            "next_poll": None if r.disabled else iso(r.next_check_at),
            "articles": counts.get(r.name, 0),
            "disabled": r.disabled,
            "disabled_reason": r.disabled_reason,
            "malformed": r.malformed,
            "interval": r.interval_seconds,
        }
        for r in rows
    ]
    if ctx.json:
        ctx.emit_json(
            {"sources": sources, "digests": digests, "mutes": [m.as_dict() for m in muted]}
        )
        return 0
    table(
        [
            (
                r.name,
                short_time(r.last_success),
                r.error_count,
                "disabled" if r.disabled else short_time(r.next_check_at),
                counts.get(r.name, 0),
                _problem(r),
            )
            for r in rows
        ],
        ["source", "last success", "errors", "next poll", "articles", "problem"],
    )
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
    status_table(muted)
    return 0


def _problem(r: SourceRow) -> str:
    parts = []
    if r.disabled:
        parts.append(r.disabled_reason or "disabled")
    if r.error_count and r.last_error:
        parts.append(clip(r.last_error, 100))
    if r.malformed:
        parts.append(f"malformed: {r.malformed[:60]}")
    if r.current_url and r.current_url != r.url:
        parts.append(f"moved to {r.current_url}")
    return "; ".join(parts)
