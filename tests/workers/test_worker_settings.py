"""settings.workers as read and refused, and the periods of the periodic jobs as cron."""

from __future__ import annotations

from pathlib import Path

import pytest
from croniter import croniter

from monitor.config import load_config
from monitor.config.model import WorkersConfig
from monitor.errors import ConfigError
from monitor.workers.cron import every, period


def config(tmp_path: Path, workers: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(f"settings:\n  state_dir: state\n  workers: {workers}\n")
    return path


def test_settings_workers_are_read_with_their_defaults(tmp_path: Path) -> None:
    got = load_config(config(tmp_path, "{heartbeat: 2s, stalled_after: 5s}"), {}).settings
    assert got.workers == WorkersConfig(heartbeat=2.0, stalled_after=5.0)
    assert got.workers.jobs(got.concurrency) == 20  # settings.concurrency
    more = load_config(config(tmp_path, "{concurrency: 40}"), {}).settings.workers
    assert more.jobs(20) == 40 and more.reconnect_max == 30.0


@pytest.mark.parametrize(
    ("workers", "key", "words"),
    [
        (
            "{heartbeat: 10s, stalled_after: 15s}",
            "settings.workers.stalled_after",
            "two heartbeats",
        ),
        ("{concurrency: 0}", "settings.workers.concurrency", "must be positive"),
        ("{beat: 1s}", "settings.workers.beat", "unknown"),
    ],
)
def test_bad_settings_workers_name_the_key(
    tmp_path: Path, workers: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(config(tmp_path, workers), {})
    problems = [p for p in info.value.problems if p.key == key]
    assert problems and words in problems[0].message, info.value.problems


@pytest.mark.parametrize(
    ("seconds", "cron", "runs_every"),
    [
        (0.2, "* * * * * *", 1),
        (10, "* * * * * */10", 10),
        (7, "* * * * * */6", 6),
        (15, "* * * * * */15", 15),
        (120, "*/2 * * * *", 120),
        (3600, "0 * * * *", 3600),
        (4 * 3600, "0 */4 * * *", 4 * 3600),
    ],
)
def test_a_period_becomes_a_cron_of_even_steps(seconds: float, cron: str, runs_every: int) -> None:
    assert every(seconds) == cron and period(seconds) == runs_every
    it = croniter(cron, 0)
    times = [it.get_next(float) for _ in range(5)]
    assert {b - a for a, b in zip(times, times[1:], strict=False)} == {runs_every}
