"""Config loading: the shipped example, every problem reported with file:line: key, secrets."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.config.edit import add_feed, remove_feed
from monitor.config.values import parse_duration, parse_size
from monitor.errors import ConfigError, MonitorError
from monitor.fetch import fetch_settings
from monitor.fetch.settings import FetchSettings

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path, env or {})
    return [str(p) for p in info.value.problems]


def test_shipped_example_is_valid() -> None:
    config = load_config(ROOT / "config" / "feeds.yaml", {})
    assert [f.name for f in config.feeds] == ["Demo World", "Demo Ukraine section"]
    assert config.feeds[0].interval == 600
    assert config.feeds[1].type == "page"
    assert config.settings.state_dir == (ROOT / "state").resolve()
    assert config.topics[0].feeds == ("tag:world",)
    assert config.feed_names_for(config.topics[0]) == {"Demo World", "Demo Ukraine section"}
    assert config.digests[0].channels == ("analysts",)
    assert config.channels["analysts"].smtp.port == 25


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("1w", 604800)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["15", "15 minutes", "m15", "", "0s", 15, True])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_sizes() -> None:
    assert parse_size("10MiB") == 10 * 1024 * 1024
    assert parse_size("500kB") == 500_000
    with pytest.raises(ValueError):
        parse_size("ten megs")


def test_every_problem_is_reported_with_line_and_hint(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        settings:
          poll_intervall: 15m
          retention: 30 days
        feeds:
          - url: http://a.example/feed
            name: A
          - url: http://b.example/feed
            name: A
          - url: not-a-url
            name: C
        topics:
          - name: T
            query: '"unbalanced phrase'
        digests:
          - name: d
            topics: [T, Nope]
            channels: [missing]
        channels:
          slack:
            type: slack
            webhook_url_env: SLACK_HOOK
        """,
    )
    found = problems(path)
    text = "\n".join(found)
    assert (
        f"{path}:2: settings.poll_intervall: unknown key (hint: did you mean 'poll_interval'?)"
        in text
    )
    assert f"{path}:3: settings.retention:" in text and "not a duration" in text
    assert f"{path}:8: feeds[1].name: duplicate feed name 'A' (first at line 5)" in text
    assert f"{path}:9: feeds[2].url:" in text
    assert f"{path}:13: topics[0].query: column" in text
    assert "digests[0].topics: unknown topic 'Nope'" in text
    assert "digests[0].channels: unknown channel 'missing'" in text
    assert "channels.slack.webhook_url_env: environment variable SLACK_HOOK is not set" in text
    assert len(found) == 8


def test_secret_from_environment_is_resolved_and_not_in_repr(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        channels:
          team:
            type: slack
            webhook_url_env: SLACK_HOOK
        """,
    )
    config = load_config(path, {"SLACK_HOOK": "http://127.0.0.1:9/hook-secret"})
    assert config.channels["team"].webhook_url == "http://127.0.0.1:9/hook-secret"
    assert "hook-secret" not in repr(config)


def test_state_dir_env_override(tmp_path: Path) -> None:
    path = write(tmp_path, "settings:\n  state_dir: somewhere\n")
    assert load_config(path, {}).settings.state_dir == (tmp_path / "somewhere").resolve()
    assert load_config(path, {"MONITOR_STATE_DIR": "/x/y"}).settings.state_dir == Path("/x/y")


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds:\n  - url: http://a.example/\n   name: [broken\n")
    found = problems(path)
    assert len(found) == 1 and "not valid YAML" in found[0]
    assert found[0].startswith(f"{path}:")


def test_missing_file(tmp_path: Path) -> None:
    assert "does not exist" in problems(tmp_path / "nope.yaml")[0]


def test_wrong_types(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        settings: [1, 2]
        feeds:
          - url: http://a.example/
            tags: world
            enabled: "yes"
            type: podcast
        """,
    )
    text = "\n".join(problems(path))
    assert "settings: must be a mapping" in text
    assert "feeds[0].enabled: must be true or false" in text
    assert "feeds[0].type: must be one of feed, page" in text


def test_scope_names_unknown_feed_and_tag(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        feeds:
          - {url: http://a.example/, name: A, tags: [x]}
        topics:
          - {name: T, query: legion, feeds: [B, "tag:y", "tag:x", A]}
        """,
    )
    text = "\n".join(problems(path))
    assert "unknown feed 'B'" in text
    assert "no feed has the tag 'y'" in text
    assert text.count("topics[0].feeds") == 2


def test_add_and_remove_keep_comments_and_order(tmp_path: Path) -> None:
    original = (ROOT / "config" / "feeds.yaml").read_text(encoding="utf-8")
    path = tmp_path / "feeds.yaml"
    path.write_text(original, encoding="utf-8")
    name = add_feed(
        path, "http://127.0.0.1:8765/extra.rss", name="Extra", interval="1h", tags=["x"]
    )
    assert name == "Extra"
    edited = path.read_text(encoding="utf-8")
    assert "# news-monitor configuration" in edited
    assert "# replace the feeds below" in edited.lower()
    assert "state_dir: ../state           # relative to this file" in edited
    config = load_config(path, {})
    assert [f.name for f in config.feeds] == ["Demo World", "Demo Ukraine section", "Extra"]
    assert config.feeds[2].tags == ("x",) and config.feeds[2].interval == 3600
    with pytest.raises(MonitorError):
        add_feed(path, "http://127.0.0.1:8765/extra.rss")
    remove_feed(path, "Extra")
    assert path.read_text(encoding="utf-8") == original
    with pytest.raises(MonitorError):
        remove_feed(path, "Extra")


def test_edits_keep_the_comments_after_the_last_feed(tmp_path: Path) -> None:
    """ruamel hangs the comment block after the last feed on that feed: adding a feed without
    tags, then removing it, used to drop the block (and a second add landed below it)."""
    original = (ROOT / "config" / "feeds.yaml").read_text(encoding="utf-8")
    path = tmp_path / "feeds.yaml"
    path.write_text(original, encoding="utf-8")
    add_feed(path, "http://b.example/x.rss", name="B")
    add_feed(path, "http://c.example/x.rss", name="C", full_text="never")
    last = "    name: Demo Ukraine section\n    tags: [world]\n"
    added = "  - url: http://b.example/x.rss\n    name: B\n"
    added += "  - url: http://c.example/x.rss\n    name: C\n    full_text: never\n"
    assert path.read_text(encoding="utf-8") == original.replace(last, last + added)
    remove_feed(path, "B")
    remove_feed(path, "C")
    assert path.read_text(encoding="utf-8") == original


def test_edits_touch_only_the_entrys_lines(tmp_path: Path) -> None:
    text = (
        "settings: {poll_interval: 1h}\n"
        "feeds:\n"
        "- {url: 'http://a.example/', name: A}   # first\n"
        "# B is slow on Mondays\n"
        "- url: http://b.example/\n"
        "  name: B\n"
        "  interval: 2h    # really\n"
        "\n"
        "# the end of the feeds\n"
        "topics: []\n"
    )
    path = write(tmp_path, text)  # (dedent leaves it as it is: its lines start at column 0)
    add_feed(path, "http://c.example/", name="C")
    assert path.read_text(encoding="utf-8") == text.replace(
        "  interval: 2h    # really\n",
        "  interval: 2h    # really\n- url: http://c.example/\n  name: C\n",
    )
    remove_feed(path, "A")
    remove_feed(path, "C")
    assert path.read_text(encoding="utf-8") == text.replace(
        "- {url: 'http://a.example/', name: A}   # first\n", ""
    )
    remove_feed(path, "B")  # the last one: an empty list, still a valid config
    assert [f.name for f in load_config(path, {}).feeds] == []


def test_add_refuses_an_edit_that_breaks_the_config(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds:\n  - url: http://a.example/\n")
    with pytest.raises(ConfigError):
        add_feed(path, "http://b.example/", interval="soon")
    assert "b.example" not in path.read_text(encoding="utf-8")


def test_fetch_keys_override_the_fetchers_defaults_and_the_rest_keep_them(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        settings:
          fetch:
            connect_timeout: 3s
            max_body_size: 2MiB
            http2: false
        """,
    )
    got = fetch_settings(load_config(path, {}))
    default = FetchSettings()
    assert (got.connect_timeout, got.max_body_bytes, got.http2) == (3.0, 2 * 1024 * 1024, False)
    assert got.read_timeout == default.read_timeout
    assert got.per_host_limit == default.per_host_limit
    assert got.user_agent == default.user_agent
    assert fetch_settings(load_config(write(tmp_path, "feeds: []\n"), {})) == default
