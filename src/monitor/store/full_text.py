"""Articles waiting for their full text: marked by a poll, claimed and settled by the retry step.

A poll that stored an article with its feed's teaser because the page fetch failed for a while
(or extraction timed out) marks it here, in the poll's transaction. The retry step claims the
due ones (moving their next attempt out by a lease, so that two workers never try one at once
and a crash only delays it), then settles each in its own transaction: `take` (the text
arrived; the caller rewrites the article and re-runs its stages in the same transaction),
`again` (one more failed attempt) or `give_up`. Given-up rows stay, so `status` counts them,
until the article's text is pruned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from monitor.models import Article
from monitor.store.articles import ARTICLE_COLUMNS, article_of
from monitor.store.schema import articles, metadata
from monitor.store.types import UTCDateTime
from monitor.store.util import insert_ignore

full_text_waits = sa.Table(
    "full_text_waits",
    metadata,
    sa.Column(
        "article_id",
        sa.Integer,
        sa.ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("source", sa.String(200), nullable=False),  # the source whose poll stored it
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),  # retries so far
    sa.Column("next_attempt_at", UTCDateTime, nullable=True, index=True),  # NULL: given up
    sa.Column("last_error", sa.Text, nullable=True),  # redacted
    sa.Column("first_failed_at", UTCDateTime, nullable=False),
    sa.Column("last_attempt_at", UTCDateTime, nullable=True),
    sa.Column("gave_up_at", UTCDateTime, nullable=True),
)

_w = full_text_waits.c


@dataclass(frozen=True)
class Waiting:
    """A claimed article that waits for its full text: the wait and the article as stored."""

    article_id: int
    source: str  # the source whose poll stored it
    attempts: int  # retries made before this one
    article: Article  # as stored (its text: the feed's)
    pruned: bool  # its text was pruned after retention meanwhile


@dataclass(frozen=True)
class Counts:
    waiting: int
    given_up: int


def mark(
    conn: sa.Connection, article_id: int, source: str, error: str, due: datetime, now: datetime
) -> None:
    """*article_id* waits for its full text, first tried again at *due*."""
    values = {
        "article_id": article_id,
        "source": source,
        "attempts": 0,
        "next_attempt_at": due,
        "last_error": error,
        "first_failed_at": now,
    }
    insert_ignore(conn, full_text_waits, values)


def claim_due(
    conn: sa.Connection, due_by: datetime, limit: int, lease_until: datetime
) -> list[Waiting]:
    """Up to *limit* waits due by *due_by* (oldest due first), each moved to *lease_until* so
    that no other worker takes it meanwhile; a wait another worker took first is left out."""
    rows = conn.execute(
        sa.select(
            _w.article_id,
            _w.source.label("wait_source"),
            _w.attempts,
            _w.next_attempt_at,
            *(articles.c[name] for name in ARTICLE_COLUMNS),
        )
        .join(articles, articles.c.id == _w.article_id)
        .where(_w.next_attempt_at.is_not(None), _w.next_attempt_at <= due_by)
        .order_by(_w.next_attempt_at, _w.article_id)
        .limit(limit)
    ).all()
    claimed: list[Waiting] = []
    for r in rows:
        taken = conn.execute(
            sa.update(full_text_waits)
            .where(_w.article_id == r.article_id, _w.next_attempt_at == r.next_attempt_at)
            .values(next_attempt_at=lease_until)
        ).rowcount
        if taken != 1:
            continue
        article = article_of(r)
        claimed.append(Waiting(r.article_id, r.wait_source, r.attempts, article, r.text is None))
    return claimed


def any_due(conn: sa.Connection, due_by: datetime) -> bool:
    """Whether a wait is due by *due_by* (so a run with nothing to do loads no pipeline)."""
    q = sa.select(_w.article_id).where(_w.next_attempt_at <= due_by).limit(1)
    return conn.execute(q).first() is not None


def take(conn: sa.Connection, article_id: int, attempts: int) -> bool:
    """The text arrived: end the wait (False when another worker settled it meanwhile)."""
    done = conn.execute(
        sa.delete(full_text_waits).where(_w.article_id == article_id, _w.attempts == attempts)
    ).rowcount
    return bool(done == 1)


def again(
    conn: sa.Connection, article_id: int, attempts: int, error: str, due: datetime, now: datetime
) -> None:
    """One more attempt failed: the next is due at *due*."""
    conn.execute(
        sa.update(full_text_waits)
        .where(_w.article_id == article_id, _w.attempts == attempts)
        .values(attempts=attempts + 1, next_attempt_at=due, last_error=error, last_attempt_at=now)
    )


def give_up(
    conn: sa.Connection, article_id: int, attempts: int, error: str, now: datetime, *, tried: bool
) -> None:
    """No more attempts: the article keeps its teaser (*tried*: this was an attempt)."""
    values: dict[str, Any] = {"next_attempt_at": None, "last_error": error, "gave_up_at": now}
    if tried:
        values.update(attempts=attempts + 1, last_attempt_at=now)
    conn.execute(
        sa.update(full_text_waits)
        .where(_w.article_id == article_id, _w.attempts == attempts)
        .values(**values)
    )


def update_text(conn: sa.Connection, article_id: int, article: Article) -> None:
    """The article's full text and the metadata its page added."""
    conn.execute(
        sa.update(articles)
        .where(articles.c.id == article_id)
        .values(
            text=article.text,
            author=article.author,
            published=article.published,
            language=article.language,
            site_name=article.site_name,
            fetched=article.fetched,
        )
    )


def forget_given_up(conn: sa.Connection, before: datetime) -> int:
    """Given-up waits of articles stored before *before* (their text is pruned by now)."""
    old = sa.select(articles.c.id).where(articles.c.stored_at < before)
    return int(
        conn.execute(
            sa.delete(full_text_waits).where(_w.next_attempt_at.is_(None), _w.article_id.in_(old))
        ).rowcount
        or 0
    )


def counts(conn: sa.Connection) -> Counts:
    """How many articles wait for their full text, and how many were given up (0, 0 on a state
    that has no such table yet: a read-only `status` does not migrate)."""
    if not sa.inspect(conn).has_table("full_text_waits"):
        return Counts(0, 0)
    waiting = sa.func.sum(sa.case((_w.next_attempt_at.is_not(None), 1), else_=0))
    row = conn.execute(sa.select(waiting, sa.func.count()).select_from(full_text_waits)).one()
    total = int(row[1] or 0)
    return Counts(int(row[0] or 0), total - int(row[0] or 0))
