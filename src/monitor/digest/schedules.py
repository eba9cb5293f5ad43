"""Digest schedules: parse `schedule:` (cron, "every 1h", "realtime") and decide when one is due."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

_EVERY = re.compile(r"^every\s+(\d+)\s*(s|m|h|d)$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
REALTIME_MAX_WAIT = 5  # a realtime burst is sent at the latest after this many debounce periods


@dataclass(frozen=True)
class Schedule:
    """A parsed `schedule:`: exactly one of cron / every / realtime."""

    text: str
    cron: CronTrigger | None = None
    every: timedelta | None = None
    realtime: bool = False

    def next_after(self, anchor: datetime) -> datetime | None:
        """The first slot strictly after *anchor* (None for realtime, which has no slots)."""
        if self.every is not None:
            return anchor + self.every
        if self.cron is not None:
            nxt: datetime | None = self.cron.get_next_fire_time(
                None, anchor + timedelta(microseconds=1)
            )
            return nxt
        return None

    def is_due(self, last_run: datetime, now: datetime) -> bool:
        """Has a slot passed since *last_run*? Several missed slots still mean one run."""
        nxt = self.next_after(last_run)
        return nxt is not None and nxt <= now


def parse_schedule(text: str, timezone: str = "UTC") -> Schedule:
    """Parse a schedule; raises ValueError with a message naming what is wrong."""
    value = text.strip()
    if value.lower() == "realtime":
        return Schedule(value, realtime=True)
    every = _EVERY.match(value)
    if every:
        amount = int(every.group(1)) * _UNITS[every.group(2).lower()]
        if amount < 60:
            raise ValueError(f"{text!r}: an interval schedule must be at least 1 minute")
        return Schedule(value, every=timedelta(seconds=amount))
    if value.lower().startswith("every"):
        raise ValueError(f"{text!r}: write an interval as 'every 30m', 'every 1h' or 'every 1d'")
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {timezone!r}") from exc
    try:
        trigger = CronTrigger.from_crontab(value, timezone=zone)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a cron expression: {exc}") from exc
    return Schedule(value, cron=trigger)


def validate_schedule(text: str, timezone: str = "UTC") -> str | None:
    """The config loader's check: None when *text* is a valid schedule, else the problem."""
    try:
        parse_schedule(text, timezone)
    except ValueError as exc:
        return f"{exc} (use a cron expression like '0 8 * * *', 'every 1h' or 'realtime')"
    return None


def realtime_due(
    oldest: datetime | None, newest: datetime | None, now: datetime, debounce: float
) -> bool:
    """A realtime digest is due once new coverage has been quiet for *debounce* seconds.

    *oldest*/*newest* are the match times of the coverage not yet delivered. A steady
    trickle that never goes quiet is still sent after REALTIME_MAX_WAIT debounce periods.
    """
    if oldest is None or newest is None:
        return False
    wait = timedelta(seconds=debounce)
    return now - newest >= wait or now - oldest >= wait * REALTIME_MAX_WAIT
