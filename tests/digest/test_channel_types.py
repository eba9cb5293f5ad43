"""Third-party channel types: registered by a call or found by entry point, never by config code."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demosite import write_config
from httpserver import Exchange, LocalServer
from monitor.config import load_config
from monitor.digest import delivery
from monitor.digest.channels import ENTRY_POINT_GROUP, register, registry
from monitor.errors import ConfigError
from peers import T0, Data, open_store

PLUGIN = Path(__file__).resolve().parents[1] / "plugins" / "pigeon_channel.py"


class Loft:
    """A route of LocalServer that keeps every JSON note posted to it."""

    def __init__(self) -> None:
        self.notes: list[dict[str, Any]] = []

    def __call__(self, ex: Exchange) -> None:
        self.notes.append(json.loads(ex.body()))
        ex.send(200, b"coo")


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The pigeon type registered by a call, for this test only."""
    sys.path.insert(0, str(PLUGIN.parent))
    try:
        import pigeon_channel

        monkeypatch.setattr(registry, "CHANNEL_TYPES", dict(registry.channel_types()))
        register(pigeon_channel.CHANNEL_TYPE)
        yield
    finally:
        sys.path.remove(str(PLUGIN.parent))


def pigeon_config(tmp_path: Path, channel: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            topics:
              - {name: Legion, query: legion}
            digests:
              - {name: legion-daily, topics: [Legion], channels: [coop]}
            channels:
              coop:
            """
        )
        + textwrap.indent(textwrap.dedent(channel), "    "),
        encoding="utf-8",
    )
    return path


def test_a_registered_type_is_validated_rendered_and_sent(registered: None, tmp_path: Path) -> None:
    bad = pigeon_config(tmp_path, "type: pigeon\ncolour: pink\nwings: 2\n")
    with pytest.raises(ConfigError) as info:
        load_config(bad, {})
    assert [str(p) for p in info.value.problems] == [
        f"{bad}:9: channels.coop.wings: unknown key (hint: known keys: type, loft, colour, timeout)",
        f"{bad}:7: channels.coop.loft: is required (hint: the URL of the loft)",
        f"{bad}:8: channels.coop.colour: must be one of grey, white, not 'pink'",
    ]
    loft = Loft()
    with LocalServer({"/loft": loft}) as server:
        path = pigeon_config(
            tmp_path, f"type: pigeon\nloft: {server.url('/loft')}\ncolour: white\n"
        )
        config = load_config(path, {})
        store = open_store(tmp_path / "state")
        try:
            Data(store).article("Legion unit defects", story=1)
            (outcome,) = asyncio.run(delivery.send_now(store, config, "legion-daily", T0))
        finally:
            store.close()
    assert outcome.status == "delivered", outcome.error
    (note,) = loft.notes
    assert note["note"] == "white pigeon: [news-monitor] legion-daily — 1 story"
    assert "Legion unit defects" in note["text"] and note["id"] == outcome.message_id


def test_unknown_types_list_the_registered_ones(registered: None, tmp_path: Path) -> None:
    path = pigeon_config(tmp_path, "type: owl\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    problem, unknown_channel = info.value.problems  # coop is not a channel then
    assert "unknown channel 'coop'" in str(unknown_channel)
    assert str(problem).endswith(
        "must be one of email, slack, apprise, pigeon, not 'owl'"
        " (hint: type: email, slack, apprise or pigeon)"
    )


def test_a_type_from_an_entry_point_works_in_every_command(
    tmp_path: Path, server: LocalServer
) -> None:
    site = tmp_path / "site"  # what `pip install pigeon-channel` would leave in site-packages
    dist = site / "pigeon_channel-1.0.dist-info"
    dist.mkdir(parents=True)
    shutil.copy(PLUGIN, site / PLUGIN.name)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pigeon-channel\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\npigeon = pigeon_channel:CHANNEL_TYPE\n"
    )
    loft = Loft()
    server.routes["/loft"] = loft
    config = write_config(
        tmp_path,
        f"- {{url: '{server.url('/world.rss')}', name: World}}\n",
        "digests:\n  - {name: legion-daily, topics: [Legion], channels: [coop]}\n"
        f"channels:\n  coop: {{type: pigeon, loft: '{server.url('/loft')}'}}\n",
    )

    def cli(*argv: str, plugin: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": str(site) if plugin else ""}
        return subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(config), *argv],
            capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
        )  # fmt: skip

    without = cli("check", plugin=False)
    assert without.returncode == 1
    assert (
        "channels.coop.type: must be one of email, slack, apprise, not 'pigeon'" in without.stderr
    )
    checked = cli("check")
    assert checked.returncode == 0 and "ok" in checked.stdout, checked.stderr
    assert cli("poll").returncode == 0
    preview = cli("digest", "preview", "legion-daily")
    assert preview.returncode == 0 and "Legion" in preview.stdout, preview.stderr
    sent = cli("digest", "send", "legion-daily")
    assert sent.returncode == 0 and "legion-daily → coop: delivered" in sent.stdout, sent.stderr
    (note,) = loft.notes
    assert note["note"].startswith("grey pigeon: [news-monitor] legion-daily — ")
    assert note["text"].strip() in preview.stdout
