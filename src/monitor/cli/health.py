"""How `status` and `poll` show a source's health: the JSON fields, the table, the summary.

A source is `failed` (its last poll read nothing), `degraded` (its last document was damaged
but gave items), `empty` (no items `EMPTY_POLLS_FLAG` polls in a row), `disabled`, or `ok`;
docs/cli.md#source-health defines them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from monitor.cli.output import clip, iso, short_time, table
from monitor.ingest.health import describe_skips, empty_problem

if TYPE_CHECKING:
    from monitor.ingest.pipeline import PollOutcome
    from monitor.ingest.retry import RetryReport
    from monitor.store.sources import SourceRow


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


def source_table(rows: Sequence[SourceRow], counts: Mapping[str, int]) -> None:
    """The sources table of `status`, then the hint of each source with a problem."""
    table(
        [
            (
                r.name,
                health_of(r) or "-",
                short_time(r.last_success),
                r.error_count,
                "disabled" if r.disabled else short_time(r.next_check_at),
                counts.get(r.name, 0),
                "-" if r.last_poll_seconds is None else f"{r.last_poll_seconds:.1f}s",
                r.items_skipped,
                problem(r),
            )
            for r in rows
        ],
        ["source", "health", "last success", "errors", "next poll", "articles", "took"]
        + ["skipped", "problem"],
    )
    hints = [(r.name, r.last_error_hint) for r in rows if problem(r) and r.last_error_hint]
    for name, hint in hints:
        print(f"  {name}: hint: {hint}")


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


def poll_summary(outcomes: Sequence[PollOutcome], retried: RetryReport | None = None) -> None:
    """`poll`'s report: the totals, then each failed, degraded or skipping source, then the
    pages of waiting articles tried again."""
    failed = [o for o in outcomes if not o.ok]
    degraded = [o for o in outcomes if o.degraded]
    new = sum(o.new_articles for o in outcomes)
    unchanged = sum(1 for o in outcomes if o.not_modified)
    print(
        f"polled {len(outcomes)} sources: {new} new articles, {unchanged} unchanged, "
        f"{len(failed)} failed" + (f", {len(degraded)} degraded" if degraded else "")
    )
    for o in failed:
        print(f"  {o.source}: {o.error}" + (f" (hint: {o.hint})" if o.hint else ""))
    for o in degraded:
        print(f"  {o.source}: degraded: {o.degraded}")
    for o in outcomes:
        if o.skips:
            print(f"  {o.source}: skipped {o.skips}")
    if retried is not None and retried.tried:
        print(
            f"full text: tried {retried.tried} waiting articles again: {retried.fetched} fetched, "
            f"{retried.again} still waiting, {retried.gave_up} given up"
        )
