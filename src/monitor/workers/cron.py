"""A period in seconds as the cron expression of a periodic job (procrastinate's periodic
tasks take cron with a seconds field: deferred once per period however many workers run)."""

from __future__ import annotations

_MINUTE_STEPS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)  # the divisors of 60 below 60


def every(seconds: float) -> str:
    """The cron of a job every *seconds* (at least 1 s): a period below a minute becomes the
    nearest divisor of 60 seconds, one below an hour the nearest divisor of 60 minutes, and
    longer ones whole hours (divisors of 24), so that each period is the same length."""
    if seconds < 60:
        step = _nearest(max(seconds, 1.0), _MINUTE_STEPS)
        return f"* * * * * */{step}" if step > 1 else "* * * * * *"
    if seconds < 3600:
        step = _nearest(seconds / 60, (*_MINUTE_STEPS, 60))
        if step == 60:
            return "0 * * * *"
        return f"*/{step} * * * *" if step > 1 else "* * * * *"
    step = _nearest(seconds / 3600, (1, 2, 3, 4, 6, 8, 12, 24))
    if step == 24:
        return "0 0 * * *"
    return f"0 */{step} * * *" if step > 1 else "0 * * * *"


def period(seconds: float) -> float:
    """The period (seconds) that `every(seconds)` runs at."""
    if seconds < 60:
        return float(_nearest(max(seconds, 1.0), _MINUTE_STEPS))
    if seconds < 3600:
        return 60.0 * _nearest(seconds / 60, (*_MINUTE_STEPS, 60))
    return 3600.0 * _nearest(seconds / 3600, (1, 2, 3, 4, 6, 8, 12, 24))


def _nearest(value: float, steps: tuple[int, ...]) -> int:
    return min(steps, key=lambda s: (abs(s - value), s))
