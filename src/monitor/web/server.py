"""Serving the app with uvicorn: alone (`news-monitor web`) or inside the daemon (`run` with
settings.web.listen), on the daemon's event loop and store, stopped with it.

The socket is bound here, so a busy port or a bad address is a clear error, not uvicorn's exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Generator

import uvicorn

from monitor.config import Config
from monitor.config.web import AUTH_HINT, refusal, split_listen
from monitor.errors import MonitorError
from monitor.store.db import Store
from monitor.web.app import build_app
from monitor.web.metrics import Metrics
from monitor.web.state import LoopProbe, WebState


class _Embedded(uvicorn.Server):
    """A uvicorn server that leaves the signals to its host (the daemon or asyncio.run)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def bind(listen: str, config: Config) -> socket.socket:
    """A listening socket on HOST:PORT; refused for a non-loopback host without auth."""
    try:
        host, port = split_listen(listen)
    except ValueError as exc:
        raise MonitorError(
            f"--listen: {exc}", "write it as HOST:PORT, e.g. 127.0.0.1:8080"
        ) from None
    why = refusal(listen, config.settings.web.auth)
    if why is not None:
        raise MonitorError(why, AUTH_HINT)
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise MonitorError(f"web: cannot resolve {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = info[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise MonitorError(
            f"web: cannot listen on {listen}: {exc.strerror}",
            "another program holds the port? pick another with --listen HOST:PORT",
        ) from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


def web_state(
    store: Store,
    config_of: Callable[[], Config],
    loop: LoopProbe | None = None,
    in_flight: Callable[[], int] | None = None,
) -> WebState:
    """The app's state; its actions (mutes) follow settings.web.actions as it starts."""
    actions = config_of().settings.web.actions
    return WebState(config_of, store, Metrics(store, config_of, in_flight), loop, actions)


async def serve(state: WebState, sock: socket.socket, stopping: asyncio.Event) -> None:
    """Serve until *stopping* is set; then finish the requests in hand (briefly) and return."""
    app = build_app(state)
    server = _Embedded(
        uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=5,
        )
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    stop = asyncio.create_task(stopping.wait())
    await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    stop.cancel()
    await task
    sock.close()
