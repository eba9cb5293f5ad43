"""How `status` and `poll` show a source's health: the JSON fields, the table, the summary.

A source is `failed` (its last poll read nothing), `degraded` (its last document was damaged
but gave items), `empty` (no items `EMPTY_POLLS_FLAG` polls in a row), `disabled`, or `ok`;
docs/cli.md#source-health defines them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from monitor.cli.output import short_time, table
from monitor.ingest.source_view import health_of, problem, source_json

if TYPE_CHECKING:
    from monitor.ingest.pipeline import PollOutcome
    from monitor.ingest.retry import RetryReport
    from monitor.store.sources import SourceRow

__all__ = ["health_of", "poll_summary", "problem", "source_json", "source_table"]


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
