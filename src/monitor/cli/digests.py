"""Commands about digests: digest preview, digest send."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from monitor.clock import utcnow
from monitor.errors import MonitorError

if TYPE_CHECKING:
    from monitor.cli.context import Context


def register(sub: Any) -> None:
    digest = sub.add_parser("digest", help="preview or send a digest").add_subparsers(
        dest="digest_command", metavar="ACTION", required=True
    )
    p = digest.add_parser("preview", help="render the next digest without sending it")
    p.add_argument("name")
    p.add_argument("--format", choices=["text", "html", "slack"], default="text")
    p.add_argument("--channel", help="whose watermark to use (default: the digest's first channel)")
    p.set_defaults(handler=cmd_preview)
    p = digest.add_parser("send", help="build and deliver a digest now")
    p.add_argument("name")
    p.set_defaults(handler=cmd_send)


def _digest(ctx: Context, name: str) -> None:
    if ctx.config.digest(name) is None:
        known = ", ".join(d.name for d in ctx.config.digests) or "none"
        raise MonitorError(f"no digest named {name!r}", f"configured digests: {known}")


def cmd_preview(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.digest import delivery

    _digest(ctx, args.name)
    print(
        delivery.preview(ctx.reader.store, ctx.config, args.name, args.format, channel=args.channel)
    )
    return 0


def cmd_send(args: argparse.Namespace, ctx: Context) -> int:
    import asyncio

    from monitor.digest import delivery

    _digest(ctx, args.name)
    outcomes = asyncio.run(delivery.send_now(ctx.app.store, ctx.config, args.name, utcnow()))
    failed = [o for o in outcomes if not o.ok]
    for o in outcomes:
        print(o.describe())
    if failed:
        raise MonitorError(
            f"{len(failed)} channel(s) failed; the digest stays queued and is retried",
            "see `news-monitor status`",
        )
    return 0
