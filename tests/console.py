"""The installed `news-monitor` console script, run in a subprocess as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

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
