"""Commands that run the pipeline on schedule: run, run --once, worker (PostgreSQL)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from monitor.clock import utcnow

if TYPE_CHECKING:
    from monitor.cli.context import Context


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="the daemon: poll and send digests on schedule until SIGTERM")
    p.add_argument(
        "--once",
        action="store_true",
        help="poll what is due, process, deliver digests that are due, exit (for cron)",
    )
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser(
        "worker",
        help="one worker process of a cluster on a PostgreSQL database (docs/scale.md)",
    )
    p.add_argument(
        "--concurrency",
        type=_positive,
        metavar="N",
        help="jobs at once (default: settings.workers.concurrency, else settings.concurrency)",
    )
    p.add_argument(
        "--queues",
        type=_queues,
        metavar="A,B",
        help="take jobs only from these queues: upkeep, poll, deliver (default: all)",
    )
    p.set_defaults(handler=cmd_worker)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least 1")
    return int(value)


QUEUES = ("upkeep", "poll", "deliver")  # workers/jobs.py QUEUES (not imported: --help stays fast)


def _queues(value: str) -> list[str]:
    names = [q.strip() for q in value.split(",") if q.strip()]
    unknown = [q for q in names if q not in QUEUES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown queue(s) {', '.join(unknown) or value!r}; the queues are {', '.join(QUEUES)}"
        )
    return names


def cmd_run(args: argparse.Namespace, ctx: Context) -> int:
    import asyncio

    from monitor.cli import setup_logging
    from monitor.redact import learn_secrets

    config = ctx.config
    setup_logging(args.verbose, config.settings.log_level)
    learn_secrets(config.secrets)  # the new handlers' filters
    if args.once:
        return asyncio.run(_once(ctx))
    if config.settings.database_url:  # PostgreSQL: this host's worker of the cluster
        return _work(ctx, kind="daemon")
    from monitor.daemon.scheduler import Daemon

    async def main() -> int:
        daemon = Daemon(ctx.config_path, config, ctx.environ)
        if config.settings.web.listen:
            from monitor.cli.web import attach

            try:
                attach(daemon)  # binds now: a busy port stops the start, not the first request
            except BaseException:
                daemon.close()
                raise
        return await daemon.run()

    return asyncio.run(main())


def cmd_worker(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.cli import setup_logging
    from monitor.redact import learn_secrets
    from monitor.workers import require_postgres

    config = ctx.config
    require_postgres(config)  # before the logging: a SQLite config is a user error
    setup_logging(args.verbose, config.settings.log_level)
    learn_secrets(config.secrets)
    return _work(ctx, kind="worker", concurrency=args.concurrency, queues=args.queues)


def _work(
    ctx: Context, *, kind: str, concurrency: int | None = None, queues: list[str] | None = None
) -> int:
    """A worker (with the web app when settings.web.listen is set) until SIGTERM."""
    import asyncio

    from monitor.workers import Worker

    async def main() -> int:
        worker = Worker(
            ctx.config_path, ctx.config, ctx.environ,
            concurrency=concurrency, queues=queues, kind=kind,
        )  # fmt: skip
        if ctx.config.settings.web.listen:
            from monitor.cli.web import attach

            try:
                attach(worker)
            except BaseException:
                worker.close()
                raise
        return await worker.run()

    return asyncio.run(main())


async def _once(ctx: Context) -> int:
    from monitor.digest import delivery

    started = utcnow()
    outcomes = await ctx.app.poll()
    await ctx.app.retry_full_text(due_by=started)
    failed = sum(1 for o in outcomes if not o.ok)
    new = sum(o.new_articles for o in outcomes)
    await delivery.run_due(ctx.app.store, ctx.config, utcnow())
    print(f"polled {len(outcomes)} sources: {new} new articles, {failed} failed")
    return 0
