"""A poll slot that frees up takes the next due source at once, not at the next tick.

With `tick: 10m`, only the tick at start claims sources; 12 slow sources and 2 slots are all
polled well before a second tick only if each ending poll claims the next due source itself
(issue 15: concurrency 4 and a 10 s tick stored 180 of 300 articles in 150 s).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from console import SCRIPT, clean_env, news_monitor
from demosite import write_config
from httpserver import Exchange, LocalServer

RSS = b"""<rss version='2.0'><channel><title>Slow</title><item><title>One</title>
<link>http://127.0.0.1:9/one</link><guid>one</guid><description>Words.</description></item>
</channel></rss>"""
SOURCES = 12


def slow_feed(ex: Exchange) -> None:
    ex.sleep(0.3)
    ex.send(200, RSS, {"Content-Type": "application/rss+xml"})


def test_a_freed_slot_polls_the_next_due_source_before_the_next_tick(tmp_path: Path) -> None:
    routes = {f"/f{i}.rss": slow_feed for i in range(SOURCES)}
    with LocalServer(routes) as server:
        feeds = "".join(
            f"- {{url: '{server.url(f'/f{i}.rss')}', name: F{i}, full_text: never}}\n"
            for i in range(SOURCES)
        )
        config = write_config(tmp_path, feeds)
        text = config.read_text().replace("tick: 200ms", "tick: 10m\n  concurrency: 2")
        config.write_text(text)
        log_path = tmp_path / "daemon.log"
        with log_path.open("w") as log:
            daemon = subprocess.Popen(
                [str(SCRIPT), "--config", str(config), "run"],
                stdout=log, stderr=subprocess.STDOUT, env=clean_env(),
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 60  # far below the 10 min of a second tick
            while time.monotonic() < deadline and len(server.paths()) < SOURCES:
                time.sleep(0.2)
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)
        assert sorted(set(server.paths())) == sorted(routes), log_path.read_text()
        assert "stage=store" in log_path.read_text()
        done = news_monitor("--config", str(config), "status")
        assert done.returncode == 0
