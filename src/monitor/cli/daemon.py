"""Commands that run the pipeline on schedule: run, run --once."""

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


def cmd_run(args: argparse.Namespace, ctx: Context) -> int:
    import asyncio

    from monitor.cli import setup_logging
    from monitor.redact import learn_secrets

    config = ctx.config
    setup_logging(args.verbose, config.settings.log_level)
    learn_secrets(config.secrets)  # the new handlers' filters
    if args.once:
        return asyncio.run(_once(ctx))
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
