"""Mutes: stories and topics left out of digests for a while, and the coverage they held back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from monitor.store.delivery_tables import delivery_outbox
from monitor.store.schema import metadata
from monitor.store.story_tables import stories
from monitor.store.types import UTCDateTime
from monitor.store.util import chunks, insert_ignore

STORY, TOPIC = "story", "topic"

# One row per muted story (target: its id) or topic (target: its name); `until` NULL: until
# unmuted. A story split off a muted one carries its mute, with `split_from` naming the story.
mutes = sa.Table(
    "mutes",
    metadata,
    sa.Column("kind", sa.String(16), primary_key=True),  # story | topic
    sa.Column("target", sa.String(200), primary_key=True),
    sa.Column("split_from", sa.Integer, nullable=True),
    sa.Column("muted_at", UTCDateTime, nullable=False),
    sa.Column("until", UTCDateTime),  # NULL: until unmuted
)

# Coverage a delivered digest × channel left out because of a mute (and counted as muted), by
# the delivery (outbox row) that held it: not covered, so it comes back once the mute ends; the
# row goes when a digest of that pair covers the article.
mute_held = sa.Table(
    "mute_held",
    metadata,
    sa.Column("outbox_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column(
        "article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Index("ix_mute_held_article_id", "article_id"),
)


@dataclass(frozen=True)
class Mute:
    """One mute as `status` lists it; `title` is the story's, for a story mute."""

    kind: str
    target: str
    muted_at: datetime
    until: datetime | None
    split_from: int | None = None
    title: str | None = None

    @property
    def story_id(self) -> int | None:
        return int(self.target) if self.kind == STORY else None

    def as_dict(self) -> dict[str, Any]:
        """The `status --json` shape of a mute (ISO 8601 times; `until` null: until unmuted)."""
        return {
            "kind": self.kind,
            "story_id": self.story_id,
            "topic": self.target if self.kind == TOPIC else None,
            "title": self.title,
            "muted_at": self.muted_at.isoformat(),
            "until": self.until.isoformat() if self.until is not None else None,
            "split_from": self.split_from,
        }


@dataclass(frozen=True)
class Muted:
    """What is muted at one moment: story ids and topic names."""

    stories: frozenset[int] = frozenset()
    topics: frozenset[str] = frozenset()


def mute(
    conn: sa.Connection, kind: str, target: str, now: datetime, until: datetime | None
) -> Mute:
    """Mute (or mute again, with the new end) a story or a topic; returns the stored mute."""
    _purge(conn, now)
    insert_ignore(conn, mutes, {"kind": kind, "target": target, "muted_at": now, "until": until})
    conn.execute(_one(sa.update(mutes), kind, target).values(muted_at=now, until=until))
    found = listed(conn, now, kind, target)
    return found[0]


def unmute(conn: sa.Connection, kind: str, target: str, now: datetime) -> bool:
    """End a mute now; False when there was no mute in force."""
    was = bool(listed(conn, now, kind, target))
    conn.execute(_one(sa.delete(mutes), kind, target))
    _purge(conn, now)
    return was


def listed(
    conn: sa.Connection,
    now: datetime,
    kind: str | None = None,
    target: str | None = None,
    *,
    titles: bool = True,
) -> list[Mute]:
    """The mutes in force at *now*, stories (with their titles, unless not *titles*: the join
    on a text target reads every story) then topics."""
    title = stories.c.title if titles else sa.null().label("title")
    joined = mutes.outerjoin(
        stories,
        sa.and_(mutes.c.kind == STORY, mutes.c.target == sa.cast(stories.c.id, sa.String)),
    )
    q = (
        sa.select(mutes, title)
        .select_from(joined if titles else mutes)
        .where(sa.or_(mutes.c.until.is_(None), mutes.c.until > now))
        .order_by(mutes.c.kind, mutes.c.muted_at, mutes.c.target)
    )
    if kind is not None and target is not None:
        q = _one(q, kind, target)
    return [
        Mute(r.kind, r.target, r.muted_at, r.until, r.split_from, r.title or None)
        for r in conn.execute(q)
    ]


def in_force(conn: sa.Connection, now: datetime) -> Muted:
    """The story ids and topic names muted at *now* (what a digest build leaves out)."""
    found = listed(conn, now)
    return Muted(
        frozenset(int(m.target) for m in found if m.kind == STORY),
        frozenset(m.target for m in found if m.kind == TOPIC),
    )


def follow_split(conn: sa.Connection, story_id: int, new_id: int) -> None:
    """A story split off *story_id* takes over its mute (if any), with the same end."""
    row = conn.execute(_one(sa.select(mutes), STORY, str(story_id))).first()
    if row is not None:
        values = {"muted_at": row.muted_at, "until": row.until, "split_from": story_id}
        insert_ignore(conn, mutes, {"kind": STORY, "target": str(new_id), **values})


def forget_story(conn: sa.Connection, story_id: int) -> None:
    """A story that is gone (its last member placed in another story) takes its mute with it:
    the story it was folded into is not muted for it (docs/delivery.md#mutes)."""
    conn.execute(_one(sa.delete(mutes), STORY, str(story_id)))


def story_title(conn: sa.Connection, story_id: int) -> str | None:
    """The title of a stored story ("" when it has none yet); None when there is no such story."""
    row = conn.execute(sa.select(stories.c.title).where(stories.c.id == story_id)).first()
    return None if row is None else str(row.title or "")


def held(conn: sa.Connection, digest: str, channel: str) -> set[int]:
    """The articles a digest × channel held back for a mute and has not covered since."""
    return {int(i) for i in conn.execute(held_query(digest, channel)).scalars()}


def held_query(digest: str, channel: str) -> sa.Select[Any]:
    """The held article ids of a digest × channel, as a subquery for a scan to leave out."""
    return sa.select(mute_held.c.article_id).where(
        mute_held.c.outbox_id.in_(_outbox(digest, channel))
    )


def record_delivery(
    conn: sa.Connection,
    digest: str,
    channel: str,
    outbox_id: int,
    *,
    held_ids: Iterable[int],
    covered_ids: Iterable[int],
) -> None:
    """With a delivery: hold what it left out for a mute; release what it covered."""
    rows = [{"outbox_id": outbox_id, "article_id": i} for i in sorted(set(held_ids))]
    insert_ignore(conn, mute_held, rows)
    for chunk in chunks(sorted(set(covered_ids))):
        conn.execute(
            sa.delete(mute_held).where(
                mute_held.c.outbox_id.in_(_outbox(digest, channel)),
                mute_held.c.article_id.in_(chunk),
            )
        )


def _outbox(digest: str, channel: str) -> sa.Select[Any]:
    return sa.select(delivery_outbox.c.id).where(
        delivery_outbox.c.digest == digest, delivery_outbox.c.channel == channel
    )


def _one(stmt: Any, kind: str, target: str) -> Any:
    return stmt.where(mutes.c.kind == kind, mutes.c.target == target)


def _purge(conn: sa.Connection, now: datetime) -> None:
    """Drop the mutes that have ended (they change nothing any more)."""
    conn.execute(sa.delete(mutes).where(mutes.c.until.is_not(None), mutes.c.until <= now))
