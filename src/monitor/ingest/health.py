"""A poll's verdict on its source: ok, degraded or failed; skips by reason; errors as sentences.

*Failed*: the poll read no item (the fetch failed, the document is not a feed, or it is damaged
before its first item); nothing is stored, the error counts and the next poll backs off.
*Degraded*: the document was damaged (XML truncated or not well-formed, or the response ended
before the document did) but items were read from it; those are stored, the error counts
(`error_count`, `last_error` with a hint) and the source keeps its usual interval. An item that
cannot be stored (a bad link, nothing to store) is *skipped*: counted by reason on the source,
never an error of its feed. A document with no items `EMPTY_POLLS_FLAG` polls in a row is
flagged as empty.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.errors import BodyIncomplete, HTTPStatusError, MonitorError, ParseError
from monitor.models import ParsedFeed, SkipCount

if TYPE_CHECKING:  # `status` imports this module: no fetch, parse or extract behind it
    from monitor.ingest.steps import Skip
    from monitor.store.sources import SourceRow

EMPTY_POLLS_FLAG = 3  # polls in a row without items before `status` flags the source
MALFORMED_HINT = "the publisher serves a broken document; what could be read is stored"
EXAMPLE_CHARS = 200


@dataclass(frozen=True)
class PollOutcome:
    """What one poll of one source did (for the CLI summary and the logs)."""

    source: str
    ok: bool
    entries: int = 0
    new_articles: int = 0
    not_modified: bool = False
    error: str | None = None
    hint: str | None = None
    degraded: str | None = None  # what was wrong with a document that still gave items
    skipped: int = 0  # items left out (see `skips`)
    skips: str | None = None  # "1 item: the link's port is out of range (0-65535)"
    seconds: float = 0.0  # how long the poll took


@dataclass(frozen=True)
class Damage:
    """What was wrong with a document that still gave items (a degraded poll)."""

    message: str
    hint: str


def damage_of(parsed: ParsedFeed, incomplete: BodyIncomplete | None) -> Damage | None:
    """The damage of a read document; raises when it gave no item (a failed poll).

    A response that ended early is the cause when there is one; the XML fault it left is not
    repeated.
    """
    if incomplete is not None:
        reason = incomplete.message.removeprefix(f"{incomplete.url}: ")  # status names the source
        hint = incomplete.hint or MALFORMED_HINT
    elif parsed.malformed:
        reason, hint = parsed.malformed, MALFORMED_HINT
    else:
        return None
    count = len(parsed.entries)
    if count == 0:
        if incomplete is not None:
            raise incomplete
        raise ParseError(f"{reason}; no item could be read", hint=hint)
    return Damage(f"{reason}; {count} item{'' if count == 1 else 's'} salvaged", hint)


def skip_counts(skips: Iterable[Skip]) -> list[SkipCount]:
    """Skipped items by reason, in the order first met, each with its first item's link."""
    counts: dict[str, int] = {}
    examples: dict[str, str | None] = {}
    for skip in skips:
        counts[skip.reason] = counts.get(skip.reason, 0) + 1
        if examples.get(skip.reason) is None and skip.link:
            examples[skip.reason] = skip.link[:EXAMPLE_CHARS]
    return [SkipCount(reason, n, examples.get(reason)) for reason, n in counts.items()]


def describe_skips(skipped: Iterable[SkipCount]) -> str:
    """ "2 items: the link's port is out of range (0-65535); 1 item: the item has no link"."""
    return "; ".join(f"{s.count} item{'' if s.count == 1 else 's'}: {s.reason}" for s in skipped)


def internal_error(exc: BaseException, source: str) -> MonitorError:
    """An unexpected exception (a bug) as a sentence with a hint; the traceback goes to -v."""
    detail = str(exc).strip() or type(exc).__name__
    return MonitorError(
        f"the poll stopped on an unexpected error: {detail}",
        hint=f"a bug in news-monitor: `news-monitor poll {shlex.quote(source)} -v` shows the "
        "traceback; please report it",
    )


def empty_problem(empty_polls: int) -> str | None:
    """The flag of a source whose documents held no items `EMPTY_POLLS_FLAG` polls in a row."""
    if empty_polls < EMPTY_POLLS_FLAG:
        return None
    return f"no items in the last {empty_polls} polls"


def read_values(
    source: SourceRow, parsed: ParsedFeed | None, damage: Damage | None, new: int, now: datetime
) -> dict[str, Any]:
    """The source's health columns after a poll that read its document (`parsed` None: a 304,
    the same document as before, so a degraded source stays degraded)."""
    values: dict[str, Any] = {}
    if parsed is None:
        if source.health != "degraded":
            values.update(health="ok", error_count=0)
        return values
    values.update(
        health="ok",
        error_count=0,
        items_seen=len(parsed.entries),
        malformed=parsed.malformed,
        articles_stored=source.articles_stored + new,
        empty_polls=0 if parsed.entries else source.empty_polls + 1,
    )
    if damage is not None:
        values.update(
            health="degraded",
            error_count=source.error_count + 1,
            last_error=damage.message,
            last_error_hint=damage.hint,
            last_error_at=now,
        )
    return values


def failure_values(exc: MonitorError, errors: int, now: datetime) -> dict[str, Any]:
    """The source's health columns after a failed poll (its `errors`-th in a row)."""
    values: dict[str, Any] = {
        "health": "failed",
        "last_error": exc.message,
        "last_error_hint": exc.hint,
        "last_error_at": now,
        "error_count": errors,
    }
    if isinstance(exc, HTTPStatusError) and exc.status == 410:
        values["disabled"] = True
        values["disabled_reason"] = "the server says the feed is gone for good (410)"
    return values
