"""Start-up: a command imports what it uses, so `--help` and `check` answer at once (issue 14).

What a command loaded is read off `python -X importtime` running the installed script; the
times themselves are bench/startup.py's business, never a test's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from console import SCRIPT, clean_env

ROOT = Path(__file__).resolve().parents[1]
HEAVY = {"trafilatura", "numpy", "alembic"}


def loaded(*argv: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules `python -X importtime news-monitor ARGV` imported, by their top-level name."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(SCRIPT), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(env),
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def tops(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_importing_the_command_line_imports_no_stage() -> None:
    code = "import sys, monitor.cli; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    modules = set(done.stdout.split())
    assert not HEAVY & tops(modules)
    assert not {"sqlalchemy", "httpx", "monitor.app", "monitor.daemon"} & modules


def test_help_loads_neither_the_config_nor_the_store() -> None:
    modules = loaded("--help")
    assert not (HEAVY | {"sqlalchemy", "httpx", "ruamel"}) & tops(modules)
    assert "monitor.config.load" not in modules


@pytest.mark.parametrize("argv", [["check"], ["feeds", "list"]])
def test_config_commands_load_no_store(argv: list[str]) -> None:
    modules = loaded(*argv, env={"MONITOR_CONFIG": str(ROOT / "config" / "feeds.yaml")})
    assert "monitor.config.load" in modules  # it did read the config
    assert not (HEAVY | {"sqlalchemy", "httpx", "feedparser"}) & tops(modules)


def test_status_loads_the_store_but_no_pipeline(tmp_path: Path) -> None:
    env = {
        "MONITOR_CONFIG": str(ROOT / "config" / "feeds.yaml"),
        "MONITOR_STATE_DIR": str(tmp_path),
    }
    assert "alembic" in tops(loaded("status", env=env))  # a new state: the migrations run
    modules = loaded("status", env=env)  # a state at the newest version: none to run
    assert "sqlalchemy" in tops(modules)
    assert not (HEAVY | {"feedparser"}) & tops(modules)
    assert not {"monitor.ingest.pipeline", "monitor.extract.article", "monitor.daemon"} & modules
