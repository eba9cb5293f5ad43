"""Commands about sources: check, poll, status (with the mutes); `feeds …` are in cli/feeds.py.

Each command imports what it needs (the store, the pipeline) when it runs: `check` reads the
config only.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from monitor.cli import feeds
from monitor.cli.output import Progress, clip, short_iso, table
from monitor.errors import ConfigError

if TYPE_CHECKING:
    from monitor.cli.context import Context
    from monitor.ingest.pipeline import PollOutcome
    from monitor.ingest.retry import RetryReport


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
    import asyncio

    from monitor.cli.health import poll_summary
    from monitor.clock import utcnow

    progress = Progress()

    def step(outcome: PollOutcome, total: int) -> None:
        progress.step(outcome.source, total)

    names = args.sources or None

    async def poll_and_retry() -> tuple[list[PollOutcome], RetryReport | None]:
        started = utcnow()
        outcomes = await ctx.app.poll(names, force=bool(args.all or args.sources), progress=step)
        return outcomes, await ctx.app.retry_full_text(due_by=started)

    outcomes, retried = asyncio.run(poll_and_retry())
    if ctx.json:
        ctx.emit_json([o.__dict__ for o in outcomes])
        return 0
    poll_summary(outcomes, retried)
    return 0


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.cli.health import source_json, source_table
    from monitor.cli.mutes import status_table
    from monitor.clock import utcnow
    from monitor.digest.status import delivery_status
    from monitor.store import articles as article_store
    from monitor.store import full_text, mutes, task_queue
    from monitor.store import sources as source_store

    app = ctx.reader  # read-only: status works on a state this user may not write

    with app.store.connect() as conn:
        rows = source_store.all_sources(conn, app.source_names)
        counts = article_store.count_by_source(conn)
        digests = delivery_status(conn, ctx.config)
        muted = mutes.listed(conn, utcnow())
        waits = full_text.counts(conn)
        now = utcnow()
        workers = task_queue.workers_view(conn, now) if app.store.dialect == "postgresql" else []
        queue = task_queue.queue_depth(conn)
    if ctx.json:
        sources = [source_json(r, counts.get(r.name, 0)) for r in rows]
        ctx.emit_json(
            {
                "sources": sources,
                "digests": digests,
                "mutes": [m.as_dict() for m in muted],
                "full_text_waiting": waits.waiting,
                "full_text_given_up": waits.given_up,
                "workers": workers,  # the cluster's (PostgreSQL); [] on SQLite
                "queue": queue.as_dict() if queue is not None else None,
            }
        )
        return 0
    source_table(rows, counts)
    if waits.waiting or waits.given_up:
        print(
            f"full text: {waits.waiting} articles wait for their page, "
            f"{waits.given_up} given up (their feed's teaser kept)"
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
    if workers or queue is not None:
        worker_table(workers, queue)
    return 0


def worker_table(workers: list[dict[str, Any]], queue: Any) -> None:
    """The cluster's workers and its queue, under `status` on PostgreSQL."""
    print()
    table(
        [
            (
                w["name"],
                w["state"],
                short_iso(w["started"]),
                short_iso(w["last_heartbeat"]),
                f"{w['jobs_in_hand']}/{w['concurrency']}",
                ",".join(w["queues"]) if w["queues"] else "all",
            )
            for w in workers
        ],
        ["worker", "state", "started", "last heartbeat", "jobs", "queues"],
    )
    if queue is not None:
        q = queue.as_dict()
        print(
            f"queue: {q['due']} due, {q['scheduled']} scheduled, {q['running']} running, "
            f"{q['failed']} failed; oldest waiting since {short_iso(q['oldest_waiting'])}"
        )
