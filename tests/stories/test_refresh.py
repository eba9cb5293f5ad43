"""An article placed again when its full text arrives after its teaser: it ends where it would
have gone had it come with that text, and the term counts its teaser added are given back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from monitor.models import Article
from monitor.store import Store, mutes
from monitor.store import articles as store_articles
from monitor.store.story_tables import (
    fingerprints,
    stories,
    story_articles,
    story_counters,
    term_stats,
)
from monitor.stories import StoryEngine
from monitor.stories.refresh import refresh
from texts import WIRE

T0 = datetime(2024, 5, 1, 8, tzinfo=UTC)
TEASER = "Anglers were told on Tuesday to take their boats off the water by the end of the month…"
QUAKE = (
    "A magnitude 6.1 earthquake struck off the northern coast early on Sunday, the national "
    "seismology centre said, shaking buildings in three provinces and cutting power to about "
    "20,000 homes. There were no immediate reports of deaths. The centre said the quake was "
    "centred 40 kilometres offshore at a depth of 12 kilometres and warned of aftershocks. "
    "Ferry services between the islands were suspended while harbour masters checked the piers, "
    "and schools in the coastal districts will stay closed on Monday, the education office said."
)


def article(n: int, title: str, text: str) -> Article:
    url = f"https://site{n}.example/a/{n}"
    return Article(url, url, title, text, f"src{n}", published=T0 + timedelta(hours=n))


def put(store: Store, engine: StoryEngine, art: Article) -> int:
    with store.begin() as conn:
        stored = store_articles.store(conn, art, art.published or T0)
        engine.process(conn, stored.article_id, art)
        return stored.article_id


def again(store: Store, engine: StoryEngine, article_id: int, before: Article, text: str) -> None:
    with store.begin() as conn:
        refresh(engine, conn, article_id, before, replace(before, text=text))


def state(store: Store) -> dict[str, object]:
    """What the story engine keeps, without ids that differ between two runs."""
    with store.connect() as conn:
        return {
            "df": sorted(conn.execute(sa.select(term_stats.c.term, term_stats.c.df)).all()),
            "counters": sorted(conn.execute(sa.select(story_counters)).all()),
            "sizes": sorted(conn.execute(sa.select(stories.c.size)).scalars()),
            "members": conn.execute(
                sa.select(story_articles.c.article_id, story_articles.c.duplicate_of).order_by(
                    story_articles.c.article_id
                )
            ).all(),
            "fingerprints": sorted(conn.execute(sa.select(fingerprints.c.article_id)).scalars()),
        }


def test_a_teaser_whose_text_is_a_copy_folds_onto_its_original(tmp_path: Path) -> None:
    original = article(1, "Reservoir closed after spillway cracks", WIRE)
    teaser = article(2, "Hollow Creek dam to shut for six weeks", TEASER)
    copy_text = "Advert\n" + WIRE + "\n0 comments"

    late = Store.open(tmp_path / "late")
    engine = StoryEngine()
    first = put(late, engine, original)
    second = put(late, engine, teaser)
    with late.connect() as conn:
        row = conn.execute(sa.select(story_articles).where(story_articles.c.article_id == second))
        assert row.one().duplicate_of is None  # the teaser is no copy
    again(late, engine, second, teaser, copy_text)
    with late.connect() as conn:
        rows = {r.id: r for r in conn.execute(sa.select(store_articles.articles))}
        story_ids = set(conn.execute(sa.select(stories.c.id)).scalars())
    assert rows[second].duplicate_of == first
    assert rows[second].story_id == rows[first].story_id
    assert story_ids == {rows[first].story_id}  # a story the teaser left empty is gone

    direct = Store.open(tmp_path / "direct")  # the same articles, the copy with its full text
    engine = StoryEngine()
    put(direct, engine, original)
    put(direct, engine, replace(teaser, text=copy_text))
    assert state(late) == state(direct)
    late.close()
    direct.close()


def test_a_teaser_that_left_a_story_is_placed_by_its_text(tmp_path: Path) -> None:
    reservoir = article(1, "Reservoir closed after spillway cracks", WIRE)
    quake = article(2, "Earthquake shakes the northern coast", QUAKE)
    teaser = article(3, "Reservoir closure: boats must go", TEASER + " The reservoir closes.")
    store = Store.open(tmp_path / "state")
    engine = StoryEngine()
    put(store, engine, reservoir)
    quake_id = put(store, engine, quake)
    teaser_id = put(store, engine, teaser)
    with store.connect() as conn:
        placed = dict(
            conn.execute(sa.select(story_articles.c.article_id, story_articles.c.story_id)).all()
        )
    assert placed[teaser_id] == placed[1]  # the teaser joined the reservoir story
    full = QUAKE.replace("Sunday", "Sunday morning") + " Aftershocks continued into the night."
    again(store, engine, teaser_id, teaser, full)
    with store.connect() as conn:
        rows = {r.id: r for r in conn.execute(sa.select(store_articles.articles))}
        sizes = dict(conn.execute(sa.select(stories.c.id, stories.c.size)).all())
    assert rows[teaser_id].story_id == rows[quake_id].story_id  # with the quake now
    assert sum(sizes.values()) == 3 and all(sizes.values())  # no story counts it twice
    store.close()


def test_a_muted_story_its_teaser_left_takes_its_mute_along(tmp_path: Path) -> None:
    """The mute of a story that goes (its one member placed in another story by its full text)
    goes with it: no mute lingers on a story that is not there, and the story the article
    joined is not muted for it (docs/delivery.md#mutes)."""
    original = article(1, "Earthquake shakes the northern coast", QUAKE)
    teaser = article(2, "Hollow Creek dam to shut for six weeks", TEASER)
    store = Store.open(tmp_path / "state")
    engine = StoryEngine()
    first = put(store, engine, original)
    second = put(store, engine, teaser)
    with store.begin() as conn:
        rows = {r.id: r for r in conn.execute(sa.select(store_articles.articles))}
        left, kept = rows[second].story_id, rows[first].story_id
        assert left != kept
        mutes.mute(conn, mutes.STORY, str(left), T0, None)
        mutes.mute(conn, mutes.STORY, str(kept), T0, T0 + timedelta(days=400))
        mutes.unmute(conn, mutes.STORY, str(kept), T0)  # a mute of the other story, ended
    full = QUAKE.replace("Sunday", "Sunday morning") + " Aftershocks continued into the night."
    again(store, engine, second, teaser, full)
    with store.connect() as conn:
        assert conn.execute(sa.select(stories.c.id)).scalars().all() == [kept]
        assert mutes.listed(conn, T0) == []
        assert mutes.in_force(conn, T0).stories == frozenset()
    store.close()
