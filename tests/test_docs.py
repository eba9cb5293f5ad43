"""Documentation stays true: every config key and every command is documented, and every
example command in README.md and docs/*.md runs as written."""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from console import SCRIPT, clean_env, news_monitor
from demosite import site_server
from monitor.cli import build_parser
from monitor.config import load as config_load
from monitor.config import outputs as config_outputs
from monitor.digest.channels import channel_types
from monitor.digest.channels.email import SMTP_KEYS

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DOC = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")

KEYS = sorted(
    set(config_load._TOP)
    | set(config_load._SETTINGS)
    | set(config_load._FETCH)
    | set(config_load._FEED)
    | set(config_load._TOPIC)
    | set(config_load._WORKERS)
    | set(config_outputs._DIGEST)
    | set(SMTP_KEYS)
    | {k for kind in channel_types().values() for k in ("type", *kind.keys, "timeout")}
)


@pytest.mark.parametrize("key", KEYS)
def test_every_config_key_is_documented(key: str) -> None:
    assert f"`{key}" in CONFIG_DOC or f".{key}`" in CONFIG_DOC, (
        f"docs/configuration.md lacks `{key}`"
    )


def commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    found: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                full = f"{prefix} {name}".strip()
                nested = commands(sub, full)
                found.extend(nested or [full])
    return found


@pytest.mark.parametrize("command", commands(build_parser()))
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"`{command}" in README, f"README.md lacks the command `{command}`"


def test_example_config_mentions_only_documented_keys() -> None:
    example = (ROOT / "config" / "feeds.yaml").read_text(encoding="utf-8")
    for line in example.splitlines():
        stripped = line.strip().lstrip("- #").strip()
        if ":" in stripped and not stripped.startswith(("http", "'")):
            key = stripped.split(":", 1)[0].strip()
            if key.isidentifier():
                assert key in KEYS or key in {"analysts", "team-slack"}, key  # channel names


# Example commands: `news-monitor …` lines of fenced code blocks and inline code spans. The
# other shell lines (./run.sh, sudo, systemctl, journalctl, the benchmarks) are not among them.

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
INLINE = re.compile(r"`(news-monitor [^`]+)`")  # not the bare name
COMMENT = re.compile(r"\s+#(?:\s.*)?$")  # a shell comment after the command
DEMO_HOST = "127.0.0.1:8765"  # where config/feeds.yaml and the examples expect the demo site

SKIPPED = {  # command as written → why the test does not run it
    "news-monitor import": "names the command in prose; it needs a FILE",
}


def skip_reason(command: str) -> str | None:
    """Why *command* is not run, or None; besides SKIPPED, these rules."""
    words = shlex.split(command)
    if command in SKIPPED:
        return SKIPPED[command]
    if any(w.startswith("[") or re.fullmatch(r"[A-Z][A-Z_]+…?", w) for w in words):
        return "a synopsis: its [options] and upper-case words (URL, COMMAND) are placeholders"
    if "run" in words and "--once" not in words:
        return "starts the daemon, which runs until SIGTERM"
    if "web" in words:
        return "serves until SIGTERM, or reads a password on stdin (tests/web/test_web_access.py)"
    if "worker" in words:
        return "a worker needs PostgreSQL and runs until SIGTERM (tests/workers/)"
    return None


def examples() -> list[tuple[str, str]]:
    """(where, command) of every example, in document order."""
    found: list[tuple[str, str]] = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT).as_posix()
        for block in FENCE.finditer(text):
            line_no = text.count("\n", 0, block.start(1)) + 1
            for n, line in enumerate(block.group(1).splitlines()):
                command = COMMENT.sub("", line.strip().removeprefix("$ "))
                if command.startswith("news-monitor "):
                    found.append((f"{name}:{line_no + n}", command))
        prose = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
        for span in INLINE.finditer(prose):
            found.append((f"{name}:{prose.count(chr(10), 0, span.start()) + 1}", span.group(1)))
    return found


EXAMPLES = examples()


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A folder with the shipped config/feeds.yaml (pointing at the demo site served here on
    loopback) and a state that has polled it once; yields it and the site's host:port."""
    home = tmp_path_factory.mktemp("docs")
    with site_server() as server:
        host = f"127.0.0.1:{server.port}"
        shipped = (ROOT / "config" / "feeds.yaml").read_text(encoding="utf-8")
        (home / "config").mkdir()
        (home / "config" / "feeds.yaml").write_text(
            shipped.replace(DEMO_HOST, host), encoding="utf-8"
        )
        done = news_monitor("poll", env={"MONITOR_STATE_DIR": str(home / "state")}, cwd=home)
        assert done.returncode == 0 and "2 sources" in done.stdout, done.stdout + done.stderr
        yield home, host


def test_examples_are_found() -> None:
    assert len(EXAMPLES) >= 10 and ("README.md:34", "news-monitor check") in EXAMPLES


@pytest.mark.parametrize("command", sorted(SKIPPED))
def test_a_skipped_example_is_still_in_the_docs(command: str) -> None:
    assert command in {c for _, c in EXAMPLES}, f"{command!r} is gone: drop it from SKIPPED"


@pytest.mark.parametrize(("where", "command"), EXAMPLES, ids=[f"{w} {c}" for w, c in EXAMPLES])
def test_an_example_command_runs_as_written(
    demo_home: tuple[Path, str], tmp_path: Path, where: str, command: str
) -> None:
    reason = skip_reason(command)
    if reason:
        pytest.skip(f"{where}: {reason}")
    home, host = demo_home
    shutil.copytree(home, tmp_path, dirs_exist_ok=True)  # its own copy of the config and state
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command.replace(DEMO_HOST, host)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=clean_env(
            {
                "PATH": f"{SCRIPT.parent}:/usr/bin:/bin",
                "MONITOR_STATE_DIR": str(tmp_path / "state"),
            }
        ),
    )
    # 141, quietly, is how `news-monitor … | head` ends when head leaves first (docs/cli.md)
    quiet_pipe = "|" in command and done.returncode == 141 and not done.stderr
    assert done.returncode == 0 or quiet_pipe, (
        f"{where}: `{command}` exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    )
