"""--config, -v and --json mean the same before and after the command (SPEC: `status --json`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console import news_monitor
from demosite import site_routes, write_config
from httpserver import LocalServer


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, LocalServer]]:
    """A config on the demo site whose state has one poll and one imported article in it."""
    tmp = tmp_path_factory.mktemp("options")
    with LocalServer(site_routes()) as server:
        config = write_config(
            tmp, f"- {{url: '{server.url('/world.rss')}', name: World, tags: [world]}}\n"
        )
        archive = tmp / "archive.jsonl"
        line = {"url": "https://e.example/a", "title": "Legion raid", "source": "Archive"}
        line |= {
            "text": "The Freedom of Russia Legion crossed.",
            "published": "2025-01-02T03:04:05Z",
        }
        archive.write_text(json.dumps(line) + "\n", encoding="utf-8")
        for argv in (["poll"], ["import", str(archive)]):
            done = news_monitor("--config", str(config), *argv)
            assert done.returncode == 0, done.stderr
        yield config, server


def listing(demo: tuple[Path, LocalServer], name: str) -> list[str]:
    config, server = demo
    return {
        "check": ["check"],
        "poll": ["poll", "--all"],
        "feeds list": ["feeds", "list"],
        "feeds test": ["feeds", "test", server.url("/world.rss"), "--limit", "1"],
        "status": ["status"],
        "stories": ["stories", "--since", "30d"],
        "topics test NAME": ["topics", "test", "Legion"],
        "topics test --query": ["topics", "test", "--query", "cycling lanes"],
        "import": ["import", str(config.parent / "archive.jsonl")],
    }[name]


def comparable(name: str, value: Any) -> Any:
    """Poll outcomes come in the order the polls finished, each taking its own time."""
    if name != "poll":
        return value
    return sorted(({**o, "seconds": None} for o in value), key=lambda o: o["source"])


LISTINGS = [
    "check",
    "poll",
    "feeds list",
    "feeds test",
    "status",
    "stories",
    "topics test NAME",
    "topics test --query",
    "import",
]


@pytest.mark.parametrize("name", LISTINGS)
def test_json_and_config_before_or_after_the_command(
    demo: tuple[Path, LocalServer], name: str
) -> None:
    config = str(demo[0])
    argv = listing(demo, name)
    before = news_monitor("--json", "--config", config, *argv)
    after = news_monitor(*argv, "--json", "--config", config)
    assert before.returncode == 0, before.stderr
    assert after.returncode == 0, after.stderr
    value = json.loads(after.stdout)
    assert value, f"`{name} --json` printed nothing to compare"
    assert comparable(name, value) == comparable(name, json.loads(before.stdout))
    split = news_monitor("--config", config, *argv, "--json")
    assert split.returncode == 0 and comparable(name, json.loads(split.stdout)) == comparable(
        name, value
    )


def test_a_nested_action_takes_them_after_its_group_too(demo: tuple[Path, LocalServer]) -> None:
    config = str(demo[0])
    done = news_monitor("feeds", "--config", config, "list", "--json")
    assert done.returncode == 0, done.stderr
    assert [f["name"] for f in json.loads(done.stdout)] == ["World"]


def test_the_option_after_the_command_wins(demo: tuple[Path, LocalServer], tmp_path: Path) -> None:
    config, missing = str(demo[0]), str(tmp_path / "none.yaml")
    done = news_monitor("--config", missing, "check", "--config", config)
    assert done.returncode == 0 and "ok — 1 feeds" in done.stdout, done.stderr
    done = news_monitor("--config", config, "check", "--config", missing)
    assert done.returncode == 1 and "none.yaml" in done.stderr
    done = news_monitor("--config", config, "export", "--config", missing)
    assert done.returncode == 1 and "none.yaml" in done.stderr


def test_verbose_after_the_command_shows_the_traceback(demo: tuple[Path, LocalServer]) -> None:
    config = str(demo[0])
    quiet = news_monitor("--config", config, "stories", "--topic", "Nope")
    loud = news_monitor("stories", "--topic", "Nope", "--config", config, "-v")
    assert quiet.returncode == loud.returncode == 1
    assert "no topic named 'Nope'" in quiet.stderr and "Traceback" not in quiet.stderr
    assert "no topic named 'Nope'" in loud.stderr and "Traceback" in loud.stderr
