"""The installed `news-monitor` console script, run in a subprocess as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from peers import free_port

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("news-monitor")  # beside the interpreter in .venv/bin


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment without a MONITOR_* setting of the caller's, plus *extra*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return {**env, **(extra or {})}


def news_monitor(
    *argv: str, env: Mapping[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(env),
        cwd=cwd,
    )


@contextmanager
def web_server(
    config: Path, *args: str, env: dict[str, str] | None = None, listen: str | None = None
) -> Iterator[str]:
    """`news-monitor web --listen 127.0.0.1:PORT` in a subprocess; yields its base URL."""
    listen = listen or f"127.0.0.1:{free_port()}"
    proc = subprocess.Popen(
        [str(SCRIPT), "--config", str(config), "web", "--listen", listen, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(env),
    )
    base = f"http://{listen}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"web exited {proc.returncode}: {proc.stderr.read()}")  # type: ignore[union-attr]
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
