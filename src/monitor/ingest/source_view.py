"""A source's health as `status` and the web app show it: its state, its JSON fields (`status
--json`), and what is wrong with it in one line. docs/cli.md#source-health defines the states.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.ingest.health import describe_skips, empty_problem

if TYPE_CHECKING:
    from monitor.store.sources import SourceRow


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def clip(text: str, limit: int) -> str:
    """*text* on one line, at most *limit* characters; a cut one ends in '…'."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def health_of(r: SourceRow) -> str | None:
    """The source's state as `status` names it; None before its first poll."""
    if r.disabled:
        return "disabled"
    if r.health in ("failed", "degraded"):
        return r.health
    if r.health is None and r.error_count:
        return "failed"  # polled by a version that did not record health
    if empty_problem(r.empty_polls):
        return "empty"
    return r.health


def source_json(r: SourceRow, articles: int) -> dict[str, Any]:
    """One source of `status --json` (SPEC's fields first; fields are only ever added)."""
    return {
        "name": r.name,
        "url": r.fetch_url,
        "configured_url": r.url,
        "last_success": iso(r.last_success),
        "last_error": r.last_error,
        "last_error_hint": r.last_error_hint,
        "last_error_at": iso(r.last_error_at),
        "error_count": r.error_count,
        "next_poll": None if r.disabled else iso(r.next_check_at),
        "articles": articles,
        "health": health_of(r),
        "disabled": r.disabled,
        "disabled_reason": r.disabled_reason,
        "malformed": r.malformed,
        "interval": r.interval_seconds,
        "last_poll_seconds": r.last_poll_seconds,
        "skipped": r.items_skipped,
        "skip_reasons": [
            {"reason": s.reason, "count": s.count, "example": s.example} for s in r.skipped
        ],
        "empty_polls": r.empty_polls,
    }


def problem(r: SourceRow) -> str:
    """What is wrong with the source now, in one line ("" when nothing is)."""
    parts = []
    if r.disabled:
        parts.append(r.disabled_reason or "disabled")
    if r.error_count and r.last_error:
        parts.append(clip(r.last_error, 100))
    empty = empty_problem(r.empty_polls)
    if empty:
        parts.append(empty)
    if r.skipped:
        parts.append("skipped " + clip(describe_skips(r.skipped), 80))
    if r.current_url and r.current_url != r.url:
        parts.append(f"moved to {r.current_url}")
    return "; ".join(parts)
