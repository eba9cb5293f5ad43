"""`news-monitor web` (read-only) reads the state live: a state closed cleanly (no -wal file)
when the app starts, then written by another process, shows what that process committed (an
`immutable` open would not, whatever the app keeps)."""

from __future__ import annotations

from pathlib import Path

import httpx

from console import news_monitor, web_server
from webdemo import demo_state


def test_a_commit_after_the_app_started_shows(tmp_path: Path) -> None:
    with demo_state(tmp_path) as demo:
        assert not (tmp_path / "state" / "monitor.db-wal").exists()
        with web_server(demo.config) as base:
            story = httpx.get(base + "/api/v1/stories").json()["stories"][0]["id"]
            assert "Muted" not in httpx.get(f"{base}/stories/{story}").text
            said = news_monitor("--config", str(demo.config), "stories", "mute", str(story))
            assert said.returncode == 0, said.stderr
            assert "Muted until unmuted" in httpx.get(f"{base}/stories/{story}").text
            news_monitor("--config", str(demo.config), "stories", "unmute", str(story))
            assert "Muted" not in httpx.get(f"{base}/stories/{story}").text
