"""Schedules: cron in the configured timezone (DST-safe), intervals, realtime debounce."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.digest.schedules import parse_schedule, realtime_due, validate_schedule


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_parse_kinds() -> None:
    assert parse_schedule("realtime").realtime
    assert parse_schedule("every 30m").every == timedelta(minutes=30)
    assert parse_schedule("every 1h").every == timedelta(hours=1)
    assert parse_schedule(" every 2d ").every == timedelta(days=2)
    assert parse_schedule("0 8 * * *", "Europe/Berlin").cron is not None


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("0 8 * *", "cron"),
        ("0 25 * * *", "cron"),
        ("every 5x", "every 30m"),
        ("every 10s", "at least 1 minute"),
        ("hourly", "cron"),
    ],
)
def test_validate_names_the_problem(text: str, needle: str) -> None:
    error = validate_schedule(text)
    assert error is not None and needle in error and "'0 8 * * *'" in error


def test_validate_accepts_good_schedules_and_rejects_bad_timezone() -> None:
    for good in ("0 8 * * *", "*/15 * * * 1-5", "every 1h", "realtime"):
        assert validate_schedule(good, "Europe/Berlin") is None
    assert "timezone" in (validate_schedule("0 8 * * *", "Mars/Olympus") or "")


def test_cron_follows_local_time_across_dst() -> None:
    daily = parse_schedule("0 8 * * *", "Europe/Berlin")
    # 08:00 CET is 07:00 UTC; after the switch on 31 March 08:00 CEST is 06:00 UTC
    assert daily.next_after(utc(2024, 3, 30, 7, 0)) == utc(2024, 3, 31, 6, 0)
    assert daily.next_after(utc(2024, 10, 26, 6, 0)) == utc(2024, 10, 27, 7, 0)
    # 02:30 does not exist on the spring-forward day: the slot is not lost or doubled
    night = parse_schedule("30 2 * * *", "Europe/Berlin")
    after = night.next_after(utc(2024, 3, 30, 1, 30))
    assert after is not None and utc(2024, 3, 31, 0, 0) <= after <= utc(2024, 4, 1, 0, 30)


def test_missed_slots_mean_one_run() -> None:
    daily = parse_schedule("0 8 * * *", "UTC")
    last = utc(2024, 5, 1, 8, 0)
    start = utc(2024, 5, 4, 12, 0)  # three slots missed while the daemon was down
    assert daily.is_due(last, start)
    assert not daily.is_due(start, start + timedelta(hours=1))  # ran at start-up: done
    assert daily.is_due(start, utc(2024, 5, 5, 8, 0))
    assert not daily.is_due(utc(2024, 5, 1, 8, 0), utc(2024, 5, 1, 8, 0))


def test_interval() -> None:
    hourly = parse_schedule("every 1h")
    last = utc(2024, 5, 1, 8, 0)
    assert not hourly.is_due(last, last + timedelta(minutes=59))
    assert hourly.is_due(last, last + timedelta(hours=1))
    assert hourly.is_due(last, last + timedelta(hours=7))


def test_realtime_debounce() -> None:
    now = utc(2024, 5, 1, 8, 0)
    assert not realtime_due(None, None, now, 120)
    # a burst still arriving: wait for it to settle
    assert not realtime_due(now - timedelta(seconds=30), now - timedelta(seconds=10), now, 120)
    assert realtime_due(now - timedelta(seconds=300), now - timedelta(seconds=121), now, 120)
    # a trickle that never settles is sent after five debounce periods
    assert realtime_due(now - timedelta(seconds=600), now - timedelta(seconds=5), now, 120)
    assert not realtime_due(now - timedelta(seconds=500), now - timedelta(seconds=5), now, 120)
