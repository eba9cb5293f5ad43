"""When a source is polled next: adaptive intervals after success, backoff after failure (pure).

Policy, in the order the pipeline applies it:

* Success → ``adaptive_interval``. The interval follows how often the source publishes
  (Miniflux's ``entry_frequency``): the entries it published during the last 7 days give a rate,
  and the interval is one entry's worth of that rate (``7 days / weekly count``), clamped between
  the floor and the configured interval. A source that published nothing in a week is polled at
  the configured interval. When the known entries span less than a week (a new source, a feed
  that lists only its latest items), the rate is measured over that span, but over no less than
  one day, so one fresh entry does not send a source to the floor. The feed's ``<ttl>`` and the
  response's ``Cache-Control: max-age`` are the publisher asking us to come back no sooner: they
  raise the interval up to, never above, the configured interval, and never lower it.
* Failure → ``next_check_after_error``. Exponential backoff from the source's normal interval
  with "equal jitter": after the n-th consecutive error the delay is drawn uniformly from
  ``[base·2^(n-1), base·2^n]``, capped at 24 h. Unlike full jitter it never retries sooner
  than the normal interval, so a failing server is never polled harder than a healthy one;
  the random half still spreads sources that failed together (one host down). A Retry-After
  (429/503) is a floor on the delay, itself capped at 24 h. The first success resets the error
  count, and the source is back on its adaptive interval.

Everything is deterministic given the ``random.Random`` passed in; there is no I/O here.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

DAY = 86_400.0
WEEK = 7 * DAY
FUTURE_SLACK = 3_600.0  # entries dated up to an hour ahead count as now (publishers' clocks)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def backoff_delay(
    error_count: int,
    base_seconds: float,
    cap_seconds: float = DAY,
    *,
    rng: random.Random,
) -> float:
    """Seconds to wait after `error_count` consecutive failures (0 → the normal interval).

    Equal jitter: uniform in ``[step/2, step]`` with ``step = min(cap, base·2^n)``, and never
    below the base. A base at or above the cap (a daily or weekly source) keeps its normal
    interval: failing never speeds a source up.
    """
    if error_count <= 0 or base_seconds >= cap_seconds:
        return float(base_seconds)
    step = min(cap_seconds, base_seconds * 2.0 ** min(error_count, 64))
    low = max(float(base_seconds), step / 2)
    return low + rng.random() * (step - low)


def adaptive_interval(
    configured_seconds: float,
    floor_seconds: float,
    entry_times: Iterable[datetime],
    now: datetime,
    ttl_seconds: float | None = None,
    max_age_seconds: float | None = None,
) -> float:
    """Seconds until the next poll after a success, from the source's publishing rate.

    `entry_times` are the published times of the source's entries known to the store (not only
    those in the latest document), aware or naive-UTC. Entries older than a week or dated in
    the future are ignored. The result lies in ``[min(floor, configured), configured]``; a
    `ttl_seconds` (feed ``<ttl>``) or `max_age_seconds` (Cache-Control) raises it toward the
    configured interval, never beyond.
    """
    ceiling = float(configured_seconds)
    floor = min(float(floor_seconds), ceiling)
    now = _utc(now)
    ages = [(now - _utc(t)).total_seconds() for t in entry_times]
    recent = [age for age in ages if -FUTURE_SLACK <= age < WEEK]
    if recent:
        window = min(WEEK, max(DAY, max(recent)))
        interval = window / len(recent)
    else:
        interval = ceiling
    publisher_hint = max(ttl_seconds or 0.0, max_age_seconds or 0.0)
    interval = max(interval, publisher_hint)
    return max(floor, min(ceiling, interval))


def parse_cache_control_max_age(headers: Mapping[str, str]) -> int | None:
    """The ``max-age`` of a Cache-Control header in seconds; None when absent, invalid or no-cache."""
    value = next((v for k, v in headers.items() if k.lower() == "cache-control"), None)
    if not value:
        return None
    max_age: int | None = None
    for directive in value.split(","):
        name, _, argument = directive.partition("=")
        name = name.strip().lower()
        if name in ("no-cache", "no-store"):
            return None
        if name == "max-age" and max_age is None:
            argument = argument.strip().strip('"')
            if not (argument.isascii() and argument.isdigit()):
                return None
            max_age = int(argument)
    return max_age


def next_check_after_error(
    now: datetime,
    error_count: int,
    interval_seconds: float,
    retry_after_seconds: float | None = None,
    *,
    rng: random.Random,
    cap_seconds: float = DAY,
) -> datetime:
    """When to try a failing source again: backoff, never before Retry-After, at most 24 h out.

    `error_count` counts this failure too (1 after the first). `interval_seconds` is the
    source's normal interval, the base of the backoff.
    """
    delay = backoff_delay(error_count, interval_seconds, cap_seconds, rng=rng)
    if retry_after_seconds is not None and retry_after_seconds > 0:
        delay = max(delay, min(retry_after_seconds, cap_seconds))
    return _utc(now) + timedelta(seconds=delay)
