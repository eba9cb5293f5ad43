"""The clock: the one place that reads the wall time (timezone-aware UTC).

Stages take `now` from their caller; the orchestrator, the daemon and the CLI read it here, and
tests inject their own clock where a stage takes one.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)
