"""Polling policy: backoff with jitter, adaptive intervals, Cache-Control, Retry-After (pure)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from monitor.ingest.polling import (
    DAY,
    adaptive_interval,
    backoff_delay,
    next_check_after_error,
    parse_cache_control_max_age,
)

NOW = datetime(2024, 10, 1, 12, 0, tzinfo=UTC)
HOUR = 3600.0
MIN = 60.0


def every(step: timedelta, count: int, start: datetime = NOW) -> list[datetime]:
    return [start - step * i for i in range(count)]


# --- backoff --------------------------------------------------------------------------------------


def test_no_error_means_the_normal_interval() -> None:
    assert backoff_delay(0, 900, rng=random.Random(1)) == 900


@pytest.mark.parametrize("errors", [1, 2, 3, 5, 6])
def test_backoff_doubles_with_equal_jitter(errors: int) -> None:
    rng = random.Random(7)
    delays = [backoff_delay(errors, 900, rng=rng) for _ in range(300)]
    low, high = 900 * 2 ** (errors - 1), 900 * 2**errors
    assert all(low <= d <= high for d in delays)
    assert max(delays) - min(delays) > (high - low) * 0.8  # the jitter really spreads


def test_backoff_is_capped_at_a_day_and_survives_huge_counts() -> None:
    rng = random.Random(3)
    for errors in (7, 20, 1000, 10**9):
        delay = backoff_delay(errors, 900, rng=rng)
        assert DAY / 2 <= delay <= DAY
    assert backoff_delay(3, 60, cap_seconds=300, rng=rng) <= 300


def test_backoff_never_polls_a_failing_source_sooner_than_a_healthy_one() -> None:
    rng = random.Random(5)
    assert all(backoff_delay(1, 20 * HOUR, rng=rng) >= 20 * HOUR for _ in range(100))
    assert backoff_delay(4, 7 * DAY, rng=rng) == 7 * DAY  # a weekly source keeps its week


def test_backoff_is_deterministic_given_the_rng() -> None:
    first = [backoff_delay(n, 600, rng=random.Random(42)) for n in range(1, 8)]
    again = [backoff_delay(n, 600, rng=random.Random(42)) for n in range(1, 8)]
    assert first == again


# --- after an error -------------------------------------------------------------------------------


def test_retry_after_is_a_floor() -> None:
    rng = random.Random(1)
    at = next_check_after_error(NOW, 1, 60, retry_after_seconds=2 * HOUR, rng=rng)
    assert at == NOW + timedelta(hours=2)


def test_retry_after_is_capped_at_a_day() -> None:
    at = next_check_after_error(NOW, 1, 60, retry_after_seconds=5 * DAY, rng=random.Random(1))
    assert at == NOW + timedelta(days=1)


def test_backoff_wins_over_a_short_retry_after() -> None:
    at = next_check_after_error(NOW, 4, 900, retry_after_seconds=10, rng=random.Random(1))
    assert NOW + timedelta(seconds=900 * 8) <= at <= NOW + timedelta(seconds=900 * 16)


def test_no_retry_after_is_plain_backoff() -> None:
    at = next_check_after_error(NOW, 2, 900, rng=random.Random(9))
    assert at - NOW == timedelta(seconds=backoff_delay(2, 900, rng=random.Random(9)))


# --- adaptive interval ----------------------------------------------------------------------------


def test_silent_source_uses_the_configured_interval() -> None:
    assert adaptive_interval(2 * HOUR, 5 * MIN, [], NOW) == 2 * HOUR
    old = every(timedelta(days=1), 5, start=NOW - timedelta(days=10))
    assert adaptive_interval(2 * HOUR, 5 * MIN, old, NOW) == 2 * HOUR


def test_hourly_publisher_is_polled_hourly() -> None:
    hourly = every(timedelta(hours=1), 24 * 7)
    assert adaptive_interval(6 * HOUR, 5 * MIN, hourly, NOW) == pytest.approx(HOUR, rel=0.01)


def test_busy_publisher_stops_at_the_floor_and_slow_one_at_the_configured_interval() -> None:
    busy = every(timedelta(minutes=1), 5000)
    assert adaptive_interval(HOUR, 10 * MIN, busy, NOW) == 10 * MIN
    daily = every(timedelta(days=1), 7)
    assert adaptive_interval(2 * HOUR, 10 * MIN, daily, NOW) == 2 * HOUR


def test_a_short_history_is_measured_over_at_least_a_day() -> None:
    fresh = every(timedelta(minutes=6), 20)  # a new source: 20 items within the last 2 hours
    assert adaptive_interval(4 * HOUR, MIN, fresh, NOW) == pytest.approx(DAY / 20)
    one = [NOW - timedelta(minutes=1)]
    assert adaptive_interval(4 * HOUR, MIN, one, NOW) == 4 * HOUR


def test_entries_from_the_future_or_older_than_a_week_do_not_count() -> None:
    two_hourly = every(timedelta(hours=2), 84)  # 84 a week → 2 h
    noise = [NOW + timedelta(days=30)] * 500 + [NOW - timedelta(days=7, hours=1)] * 500
    expected = adaptive_interval(6 * HOUR, MIN, two_hourly, NOW)
    assert adaptive_interval(6 * HOUR, MIN, two_hourly + noise, NOW) == expected
    assert expected == pytest.approx(2 * HOUR, rel=0.02)


def test_ttl_and_max_age_raise_the_interval_up_to_the_configured_one() -> None:
    hourly = every(timedelta(hours=1), 24 * 7)
    assert adaptive_interval(6 * HOUR, MIN, hourly, NOW, ttl_seconds=3 * HOUR) == 3 * HOUR
    assert adaptive_interval(6 * HOUR, MIN, hourly, NOW, max_age_seconds=2 * HOUR) == 2 * HOUR
    assert adaptive_interval(6 * HOUR, MIN, hourly, NOW, ttl_seconds=DAY) == 6 * HOUR
    assert adaptive_interval(6 * HOUR, MIN, hourly, NOW, max_age_seconds=60) == pytest.approx(
        HOUR, rel=0.01
    )  # never lowered


def test_a_floor_above_the_configured_interval_yields_the_configured_one() -> None:
    busy = every(timedelta(minutes=1), 5000)
    assert adaptive_interval(10 * MIN, HOUR, busy, NOW) == 10 * MIN


def test_naive_times_are_taken_as_utc() -> None:
    naive = [t.replace(tzinfo=None) for t in every(timedelta(hours=1), 24 * 7)]
    assert adaptive_interval(6 * HOUR, MIN, naive, NOW.replace(tzinfo=None)) == pytest.approx(
        HOUR, rel=0.01
    )


# --- Cache-Control --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=300", 300),
        ("public, Max-Age=600, must-revalidate", 600),
        ('max-age="120"', 120),
        ("private, max-age=0", 0),
        ("s-maxage=900", None),
        ("max-age=soon", None),
        ("max-age=-5", None),
        ("max-age=60, no-cache", None),
        ("no-store", None),
        ("", None),
    ],
)
def test_cache_control_max_age(value: str, expected: int | None) -> None:
    assert parse_cache_control_max_age({"cache-control": value}) == expected


def test_cache_control_header_name_is_case_insensitive_and_optional() -> None:
    assert parse_cache_control_max_age({"Cache-Control": "max-age=30"}) == 30
    assert parse_cache_control_max_age({"etag": '"x"'}) is None
