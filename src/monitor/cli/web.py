"""`news-monitor web`: serve the web app (stories, topics, sources, digests, the JSON API,
topic feeds, health and metrics) over the state; and the daemon's web app under `run`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.cli.context import Context
    from monitor.daemon.scheduler import Daemon
    from monitor.workers.runner import Worker


def register(sub: Any) -> None:
    p = sub.add_parser(
        "web", help="serve the web app and its JSON API (read-only unless settings.web.actions)"
    )
    p.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help="where to listen (default: settings.web.listen, else 127.0.0.1:8080); "
        "a non-loopback address needs settings.web.auth",
    )
    p.add_argument(
        "--hash-password",
        action="store_true",
        help="read a password on standard input, print its settings.web.auth.password_hash",
    )
    p.set_defaults(handler=cmd_web)


def cmd_web(args: argparse.Namespace, ctx: Context) -> int:
    if args.hash_password:
        return _hash_password()
    import asyncio
    import signal

    from monitor.cli import setup_logging
    from monitor.config.web import DEFAULT_LISTEN
    from monitor.web.server import bind, serve, web_state

    config = ctx.config
    setup_logging(args.verbose, config.settings.log_level)
    listen = args.listen or config.settings.web.listen or DEFAULT_LISTEN
    sock = bind(listen, config)
    # read-only unless settings.web.actions lets the pages mute (then opened as `stories mute`
    # does); read live: what the daemon commits after the app started shows
    if config.settings.web.actions:
        store = ctx.app.store
    else:
        from monitor.store.db import Store

        s = config.settings
        store = Store.open(
            s.state_dir, s.database_url, read_only=True, lock_timeout=s.lock_timeout, live=True
        )
    state = web_state(store, lambda: config)

    async def main() -> int:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        host, port = sock.getsockname()[:2]
        print(f"serving http://{listen if args.listen else f'{host}:{port}'}/", flush=True)
        await serve(state, sock, stopping)
        return 0

    try:
        return asyncio.run(main())
    finally:
        if not config.settings.web.actions:
            store.close()  # ours (the app's store is closed with the context)


def _hash_password() -> int:
    import getpass
    import sys

    from monitor.web.guard import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("error: empty password", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


def attach(daemon: Daemon | Worker) -> None:
    """Serve the web app inside `run` or `worker` (settings.web.listen): on the daemon's loop
    and store, ready only while its scheduler ticks (a worker: while it takes jobs), counting
    its polls, stopped by its SIGTERM."""
    from monitor.web.server import bind, serve, web_state
    from monitor.web.state import LoopProbe

    listen = daemon.config.settings.web.listen
    assert listen is not None
    sock = bind(listen, daemon.config)
    state = web_state(
        daemon.app.store,
        lambda: daemon.config,
        LoopProbe(daemon.loop_problem),
        lambda: len(daemon.in_flight),
    )
    daemon.observers.append(state.metrics.observe_poll)
    daemon.services.append(lambda: serve(state, sock, daemon.stopping))
