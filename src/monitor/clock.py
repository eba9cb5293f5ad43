"""The clock: the one place that reads the wall time (timezone-aware UTC), and `span`, a
duration as people say it.

Stages take `now` from their caller; the orchestrator, the daemon and the CLI read it here, and
tests inject their own clock where a stage takes one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


def span(delta: timedelta) -> str:
    """A duration, roughly: "12 min", "3 h", "4 days" (a lead, an age)."""
    minutes = delta.total_seconds() / 60
    if minutes < 60:
        return f"{max(1, round(minutes))} min"
    if minutes < 48 * 60:
        return f"{round(minutes / 60)} h"
    return f"{round(minutes / 1440)} days"
