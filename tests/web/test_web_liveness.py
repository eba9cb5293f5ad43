"""/readyz answers 503 with the reason when the scheduler loop stalls or the store cannot answer,
and the sd_notify watchdog pings only while both are alive (a real datagram socket)."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import httpx
import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.config import load_config
from monitor.daemon.liveness import loop_problem, ping_watchdog
from monitor.daemon.sdnotify import Notifier
from monitor.errors import StoreError
from monitor.store.db import Store
from monitor.web.app import build_app
from monitor.web.server import web_state
from monitor.web.state import LoopProbe


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text("settings:\n  state_dir: state\n")
    return path


def test_readyz_names_a_stalled_loop_and_a_broken_store(config: Path) -> None:
    cfg = load_config(config, {})
    store = Store.open(cfg.settings.state_dir)
    why: list[str | None] = [None]
    state = web_state(store, lambda: cfg, LoopProbe(lambda: why[0]))

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=build_app(state))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/readyz")

    ok = asyncio.run(ask())
    assert ok.status_code == 200 and ok.json()["checks"] == {"store": "ok", "scheduler": "ok"}
    why[0] = "no tick for 95s (tick every 10s)"
    stalled = asyncio.run(ask())
    assert stalled.status_code == 503
    assert stalled.json()["problems"] == ["scheduler: no tick for 95s (tick every 10s)"]

    def broken() -> None:
        raise StoreError("the database is locked by another process", "wait")

    store.ping = broken  # type: ignore[method-assign]
    both = asyncio.run(ask()).json()
    assert (
        both["ready"] is False
        and both["checks"]["store"] == "the database is locked by another process"
    )
    assert both["problems"][0] == "store: the database is locked by another process"
    store.close()


def test_the_watchdog_pings_only_while_the_loop_ticks(tmp_path: Path) -> None:
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.settimeout(0.5)
        notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"})

        async def scenario() -> list[str | None]:
            stopping = asyncio.Event()
            scheduler = AsyncIOScheduler()
            seen = [loop_problem(scheduler, stopping, None, 1.0)]  # not started
            scheduler.start()
            beat = time.monotonic()
            seen.append(loop_problem(scheduler, stopping, beat, 1.0))
            seen.append(loop_problem(scheduler, stopping, beat - 60, 1.0))  # stalled
            await ping_watchdog(notifier, lambda: seen[-1], lambda: None)
            await ping_watchdog(notifier, lambda: None, lambda: None)
            stopping.set()
            seen.append(loop_problem(scheduler, stopping, beat, 1.0))
            scheduler.shutdown(wait=False)
            return seen

        seen = asyncio.run(scenario())
        assert seen[0] == "not started" and seen[1] is None
        assert seen[2] is not None and seen[2].startswith("no tick for 60s")
        assert seen[3] == "stopping"
        assert sock.recv(100) == b"WATCHDOG=1"  # the second call only: the first was refused
        with pytest.raises(TimeoutError):
            sock.recv(100)
