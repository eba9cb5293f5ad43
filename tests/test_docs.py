"""Documentation stays true: every config key and every command is documented."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

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
