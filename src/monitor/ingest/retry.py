"""Full text retried: an article stored with its feed's teaser, because its page failed for a
while, waits (store/full_text.py) until the page answers, with backoff and bounded attempts.

A poll marks it (`mark_waiting`, in the poll's own transaction) when the page fetch failed
transiently (a timeout, a 5xx or 429, a lost connection) or extraction took too long; a 404, a
410, a refused address or a page without text is not retried. `retry_due` (run by `poll`,
`run --once` and a daemon job) claims the waits that are due, fetches and extracts each page
again, and settles each in one transaction: the text arrived (the article's text is rewritten
and its stages run again: copies, stories, topics, so a digest picks up a new match once), one
more failure (the next attempt after `settings.full_text_retry.backoff`), or the last attempt
failed (the teaser stays; counted as given up).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from monitor.config import Config
from monitor.errors import StoreError
from monitor.ingest.assemble import body_text
from monitor.ingest.gather import Gathered
from monitor.ingest.stages import refresh
from monitor.ingest.steps import read_page
from monitor.models import Article, Extracted
from monitor.redact import redact
from monitor.store import full_text as waits
from monitor.store.articles import Stored
from monitor.store.full_text import Waiting

if TYPE_CHECKING:
    import sqlalchemy as sa

    from monitor.ingest.pipeline import Pipeline

log = logging.getLogger(__name__)

BATCH = 50  # waits claimed per run: the rest are due at the next
LEASE = timedelta(minutes=15)  # a claimed wait's next attempt, should its worker die meanwhile


@dataclass(frozen=True)
class RetryReport:
    """What one run did: pages tried, texts that arrived, failures tried again later, given up."""

    tried: int = 0
    fetched: int = 0
    again: int = 0
    gave_up: int = 0


@dataclass(frozen=True)
class _Result:
    wait: Waiting
    after: Article | None = None  # the text arrived
    error: str | None = None
    retry: bool = False  # worth another attempt (if any is left)
    tried: bool = True  # the page was fetched (not given up before trying)


def mark_waiting(
    conn: sa.Connection, config: Config, gathered: Gathered, stored: Sequence[Stored], now: datetime
) -> None:
    """The newly stored articles of a poll whose page failed for a while wait for their text."""
    policy = config.settings.full_text_retry
    if policy.attempts <= 0:
        return
    due = now + timedelta(seconds=policy.delay(0))
    for article, result in zip(gathered.articles, stored, strict=True):
        error = gathered.waiting.get(article.canonical_url)
        if error is not None and result.new:
            message = redact(error, *config.secrets)
            waits.mark(conn, result.article_id, article.source, message, due, now)


async def retry_due(
    pipeline: Pipeline, limit: int = BATCH, *, due_by: datetime | None = None
) -> RetryReport:
    """Try the pages of the articles whose next attempt is due (by *due_by*, default now: a
    `poll` passes its start, so what its own polls marked waits for its first delay); never
    raises for one page."""
    now = pipeline.clock()
    try:
        claimed = await asyncio.to_thread(_claim, pipeline, due_by or now, now, limit)
    except StoreError as exc:
        pipeline.store.log_fault(exc, "full text: store error")
        return RetryReport()
    if not claimed:
        return RetryReport()
    results = await asyncio.gather(*(_try(pipeline, w) for w in claimed))
    counts = {"fetched": 0, "again": 0, "gave_up": 0}
    for result in results:
        try:
            outcome = await asyncio.to_thread(_settle, pipeline, result)
        except StoreError as exc:  # its lease runs out and it is tried again
            pipeline.store.log_fault(exc, "full text: store error")
            continue
        counts[outcome] = counts.get(outcome, 0) + 1
    return RetryReport(len(claimed), counts["fetched"], counts["again"], counts["gave_up"])


def _claim(pipeline: Pipeline, due_by: datetime, now: datetime, limit: int) -> list[Waiting]:
    with pipeline.store.begin() as conn:
        retention = timedelta(seconds=pipeline.config.settings.retention)
        waits.forget_given_up(conn, now - retention)
        return waits.claim_due(conn, due_by, limit, now + LEASE)


async def _try(pipeline: Pipeline, wait: Waiting) -> _Result:
    """Fetch and extract one waiting article's page again."""
    feed = pipeline.config.feed(wait.source)
    if feed is None or not feed.enabled:
        return _Result(wait, error=f"its source {wait.source} is not configured", tried=False)
    if feed.full_text == "never":
        return _Result(wait, error=f"its source {wait.source} has full_text: never", tried=False)
    if wait.pruned:
        return _Result(wait, error="its text was pruned after retention", tried=False)
    try:
        read = await read_page(pipeline.fetcher, pipeline.extractor, wait.article.url, feed.url)
    except Exception as exc:  # a bug on one page must not stop the others
        log.debug("full text: %s: the traceback", wait.article.url, exc_info=True)
        return _Result(wait, error=f"internal error: {exc!r}", retry=True)
    if read.extracted is not None and read.extracted.text:
        return _Result(wait, after=_with_text(wait.article, read.extracted, pipeline.clock()))
    if read.refused is not None:
        return _Result(wait, error=read.refused.message)
    if read.error is not None:
        return _Result(wait, error=read.error, retry=read.transient)
    return _Result(wait, error=f"{wait.article.url}: the page has no article text")


def _with_text(before: Article, extracted: Extracted, now: datetime) -> Article:
    """The stored article with its page's text; the page fills only the metadata it lacked."""
    title = before.title or extracted.title or ""
    return replace(
        before,
        title=title,
        text=body_text(extracted, title, before.text),
        author=before.author or extracted.author,
        published=before.published or extracted.published,
        language=before.language or extracted.language,
        site_name=before.site_name or extracted.site_name,
        fetched=now,
    )


def _settle(pipeline: Pipeline, result: _Result) -> str:
    """Record one attempt's result in one transaction: "fetched", "again" or "gave_up"."""
    wait, now = result.wait, pipeline.clock()
    name, url = wait.source, wait.article.url
    if result.after is not None:
        try:
            with pipeline.commit_lock, pipeline.store.begin() as conn:
                if not waits.take(conn, wait.article_id, wait.attempts):
                    return "again"  # another worker settled it meanwhile
                waits.update_text(conn, wait.article_id, result.after)
                refresh(conn, wait.article_id, wait.article, result.after, pipeline.stages, now)
        except StoreError:
            raise
        except Exception as exc:  # a bug in a stage: rolled back, and counted as an attempt
            log.error("full text source=%s %s: internal error: %r", name, url, exc)
            log.debug("full text source=%s: the traceback", name, exc_info=True)
            result = replace(result, after=None, error=f"internal error: {exc!r}", retry=True)
        else:
            log.info("full text source=%s fetched %s (retry %d)", name, url, wait.attempts + 1)
            return "fetched"
    error = redact(result.error or "unknown error", *pipeline.config.secrets)
    policy = pipeline.config.settings.full_text_retry
    with pipeline.store.begin() as conn:
        if result.retry and wait.attempts + 1 < policy.attempts:
            due = now + timedelta(seconds=policy.delay(wait.attempts + 1))
            waits.again(conn, wait.article_id, wait.attempts, error, due, now)
            log.warning(
                "full text source=%s %s failed again (%s); next attempt at %s",
                name, url, error, due.isoformat(timespec="seconds"),
            )  # fmt: skip
            return "again"
        waits.give_up(conn, wait.article_id, wait.attempts, error, now, tried=result.tried)
    log.warning("full text source=%s gave up on %s, keeping its teaser: %s", name, url, error)
    return "gave_up"
