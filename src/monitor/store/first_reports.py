"""Who reported a story first, and by how much: `stories --json`, the digest line, `sources lead`.

A story's coverage is grouped by text: an original with its syndicated copies is one *report*,
made by whichever of its members was published first (a wire copy polled before the wire's own
feed is stored as the original, the wire's item as its copy; the wire still reported first).
The story's first reporter is the earliest report; the second is the earliest report of another
source. A copy alone never makes its outlet the second: it is the first report's text.

Times are published times, guarded against bad clocks (`reported_at`): a published time more
than FUTURE_BOUND after we first saw the item, or more than PAST_BOUND before, is not believed,
and the first sight (the article's fetch) stands in. An imported article has no first sight:
its published time is what the archive says.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from monitor.store.schema import articles, topic_matches
from monitor.store.util import chunks

FUTURE_BOUND = timedelta(hours=1)  # a publisher's clock may run this far ahead of ours
PAST_BOUND = timedelta(hours=48)  # an item first seen later than this after "publication"
_COLUMNS = (
    articles.c.id,
    articles.c.story_id,
    articles.c.source,
    articles.c.site_name,
    articles.c.url,
    articles.c.published,
    articles.c.fetched,
    articles.c.stored_at,
    articles.c.duplicate_of,
)


@dataclass(frozen=True)
class Report:
    """One source's report of a story: the article, its source and its (guarded) time."""

    article_id: int
    source: str
    site_name: str | None
    url: str
    at: datetime


@dataclass(frozen=True)
class FirstReport:
    first: Report
    second: Report | None  # the earliest report of another source, if any
    reporters: frozenset[str]  # every source with a report of its own in the story

    @property
    def lead(self) -> timedelta | None:
        return self.second.at - self.first.at if self.second is not None else None


def reported_at(published: datetime | None, fetched: datetime | None, stored: datetime) -> datetime:
    """When an article was reported: its published time, unless the clock behind it is off."""
    sight = fetched  # None for an imported article: no feed of ours saw it
    if published is None:
        return sight or stored
    if sight is not None and not sight - PAST_BOUND <= published <= sight + FUTURE_BOUND:
        return sight
    return published


def first_report(rows: Sequence[Any]) -> FirstReport | None:
    """The first reporter among a story's articles (rows with the columns of _COLUMNS)."""
    if not rows:
        return None
    by_id = {r.id: r for r in rows}

    def root(row: Any) -> int:
        for _ in range(8):  # a copy's copy points on to the original
            parent = by_id.get(row.duplicate_of) if row.duplicate_of is not None else None
            if parent is None:
                break
            row = parent
        return int(row.id)

    groups: dict[int, list[Any]] = {}
    for r in rows:
        groups.setdefault(root(r), []).append(r)
    reports = sorted(
        (min(map(_report, members), key=_key) for members in groups.values()), key=_key
    )
    first = reports[0]
    second = next((p for p in reports[1:] if p.source != first.source), None)
    return FirstReport(first, second, frozenset(p.source for p in reports))


def _report(row: Any) -> Report:
    at = reported_at(row.published, row.fetched, row.stored_at)
    return Report(row.id, row.source, row.site_name, row.url, at)


def _key(report: Report) -> tuple[datetime, int]:
    return (report.at, report.article_id)


def first_reports(conn: sa.Connection, story_ids: Iterable[int]) -> dict[int, FirstReport]:
    """The first report of each of *story_ids* (stories with no article left have none)."""
    members: dict[int, list[Any]] = {}
    for batch in chunks(sorted(set(story_ids))):
        query = sa.select(*_COLUMNS).where(articles.c.story_id.in_(batch))
        for row in conn.execute(query):
            members.setdefault(row.story_id, []).append(row)
    found = {sid: first_report(rows) for sid, rows in members.items()}
    return {sid: report for sid, report in found.items() if report is not None}


@dataclass(frozen=True)
class SourceLead:
    """`sources lead`: how often a source reported first, and by how much over the second."""

    source: str
    stories: int  # stories it reported (an original of its own in them)
    first: int  # stories it reported first
    median_lead: timedelta | None  # over the second reporter, where there was one

    def as_dict(self) -> dict[str, Any]:
        lead = self.median_lead
        return {
            "source": self.source,
            "stories": self.stories,
            "first": self.first,
            "first_share": round(self.first / self.stories, 3) if self.stories else 0.0,
            "median_lead_seconds": lead.total_seconds() if lead is not None else None,
        }


def source_leads(
    conn: sa.Connection, since: datetime, topic: str | None = None
) -> list[SourceLead]:
    """Per source, over the stories first reported since *since* (matching *topic*, if given),
    with two or more sources: stories reported, stories reported first, median lead. Most often
    first comes first."""
    query = sa.select(articles.c.story_id).distinct().where(articles.c.story_id.is_not(None))
    query = query.where(sa.func.coalesce(articles.c.published, articles.c.stored_at) >= since)
    if topic is not None:
        query = query.where(
            articles.c.id.in_(
                sa.select(topic_matches.c.article_id).where(topic_matches.c.topic == topic)
            )
        )
    story_ids = list(conn.execute(query).scalars())
    reports = first_reports(conn, story_ids)
    counts: dict[str, list[int]] = {}
    leads: dict[str, list[float]] = {}
    for report in reports.values():
        if report.second is None or report.first.at < since:
            continue
        for source in report.reporters:
            counts.setdefault(source, [0, 0])[0] += 1
        counts[report.first.source][1] += 1
        if report.lead is not None:
            leads.setdefault(report.first.source, []).append(report.lead.total_seconds())
    out = [
        SourceLead(
            source,
            stories,
            first,
            timedelta(seconds=statistics.median(leads[source])) if source in leads else None,
        )
        for source, (stories, first) in counts.items()
    ]
    return sorted(out, key=lambda s: (-s.first, -s.stories, s.source))
