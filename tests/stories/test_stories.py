"""Level 3: articles about one event form one story; similar events stay apart; restarts agree."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from monitor.models import Article
from monitor.store import Store
from monitor.store import articles as store_articles
from monitor.store import story_writes as writes
from monitor.store.story_tables import stories, story_articles, story_postings, term_stats
from monitor.stories import StoryEngine, StorySettings, list_stories, prune
from monitor.stories.engine import Scored
from monitor.stories.model import (
    DEFAULT_WEIGHTS,
    ArticleVectors,
    Centroid,
    featurize,
    join_features,
)
from monitor.stories.score import scores
from storyfeed import feed

T0 = datetime(2024, 3, 4, 9, tzinfo=UTC)

BACKGROUND = [
    (
        "Council approves new bus lanes",
        "The city council of Dunmore voted to add bus lanes on Kings Road and Mill Street after a year of consultation with residents and shop owners.",
    ),
    (
        "Storm warning for the coast",
        "Forecasters issued a storm warning for the eastern coast, with gusts of up to 90 kilometres an hour expected on Friday night and ferries cancelled.",
    ),
    (
        "Striker signs three-year deal",
        "Forward Tomas Ridley signed a three-year contract with Ashford United, ending weeks of speculation about a move abroad, the club said.",
    ),
    (
        "Bank holds interest rates",
        "The central bank left its main interest rate unchanged at 4.5 percent, saying inflation was easing but wages were still rising quickly.",
    ),
]

# Five outlets, one event (a defecting military unit), different words: no copied sentences.
SEED = [
    (
        "Border battalion defects to rebels",
        "An entire battalion of the Kestrel Brigade crossed to the rebel side near the border town of Varnik on Sunday, its commander Colonel Arkady Sorin said in a video statement.",
    ),
    (
        "Kestrel Brigade unit switches sides",
        "Soldiers of the Kestrel Brigade have joined the insurgents around Varnik, according to Colonel Arkady Sorin, who announced the defection in a recorded message.",
    ),
    (
        "Colonel Sorin leads defection in Varnik",
        "Colonel Arkady Sorin and hundreds of troops under his command abandoned their posts at Varnik and declared loyalty to the rebel council, the Kestrel Brigade confirmed.",
    ),
    (
        "Army admits loss of Varnik garrison",
        "The defence ministry acknowledged that the Varnik garrison of the Kestrel Brigade had gone over to the rebels after Colonel Arkady Sorin refused orders.",
    ),
    (
        "Defectors: why the Kestrel Brigade turned",
        "Officers of the Kestrel Brigade stationed at Varnik said Colonel Arkady Sorin had prepared the switch to the rebel movement for weeks before Sunday's announcement.",
    ),
]

QUAKE_A = [
    (
        "Magnitude 6.1 quake strikes Sulawesi",
        "A magnitude 6.1 earthquake struck Mamuju in West Sulawesi early on Friday, killing 34 people and damaging a hospital, Indonesia's disaster agency said.",
    ),
    (
        "Sulawesi earthquake toll rises to 34",
        "Rescuers in Mamuju pulled survivors from a collapsed hospital after the magnitude 6.1 earthquake in West Sulawesi; the death toll reached 34.",
    ),
    (
        "Mamuju hospital collapses in quake",
        "The 6.1 magnitude quake that hit Mamuju, West Sulawesi, brought down part of the main hospital; 34 people died, the disaster agency said.",
    ),
]
QUAKE_B = [
    (
        "Strong quake hits Sumatra, 7 dead",
        "A magnitude 5.6 earthquake shook Padang in West Sumatra on Tuesday, killing seven people and cracking a mosque, Indonesia's disaster agency said.",
    ),
    (
        "Padang earthquake kills seven",
        "Seven people died in Padang, West Sumatra, when a magnitude 5.6 earthquake struck on Tuesday and damaged a mosque and several schools, the disaster agency said.",
    ),
]


def test_five_outlets_one_event_is_one_story_with_margin(store: Store) -> None:
    strict = StoryEngine(StorySettings(threshold=StorySettings().threshold + 1.0))
    feed(store, strict, BACKGROUND, 0, T0)
    ids = feed(store, strict, SEED, 10, T0)
    assert len(set(ids)) == 1  # holds even with a threshold one log-odds unit stricter


def test_two_earthquakes_stay_apart(store: Store) -> None:
    engine = StoryEngine()
    feed(store, engine, BACKGROUND, 0, T0)
    a = feed(store, engine, QUAKE_A, 10, T0)
    b = feed(store, engine, QUAKE_B, 20, T0 + timedelta(days=1))
    assert len(set(a)) == 1 and len(set(b)) == 1 and set(a) != set(b)


def test_coverage_on_day_one_and_day_three_is_one_story(store: Store) -> None:
    engine = StoryEngine()
    feed(store, engine, BACKGROUND, 0, T0)
    day1 = feed(store, engine, SEED[:3], 10, T0)
    day3 = feed(store, engine, SEED[3:], 20, T0 + timedelta(days=2))
    assert len(set(day1 + day3)) == 1
    with store.begin() as conn:
        (view,) = [v for v in list_stories(conn) if v.id == day1[0]]
    assert len(view.articles) == 5 and view.last_seen - view.first_seen >= timedelta(days=2)
    assert view.title in [t for t, _ in SEED]


def test_restart_mid_stream_gives_the_same_assignments(tmp_path: object) -> None:
    from pathlib import Path

    stream = BACKGROUND + SEED + QUAKE_A + QUAKE_B
    base = Path(str(tmp_path))
    one = Store.open(base / "a")
    straight = feed(one, StoryEngine(), stream, 0, T0)
    one.close()
    two = Store.open(base / "b")
    first = feed(two, StoryEngine(), stream[:7], 0, T0)
    two.close()
    again = Store.open(base / "b")  # a new process: nothing but the store survives
    second = feed(again, StoryEngine(), stream[7:], 7, T0)
    again.close()
    assert first + second == straight


def test_prune_drops_old_text_and_state(store: Store) -> None:
    engine = StoryEngine()
    feed(store, engine, SEED, 0, T0)
    with store.begin() as conn:
        report = prune(conn, T0 + timedelta(days=200), timedelta(days=30), timedelta(days=180))
        assert report.texts == 5 and report.stories == 1
        report = prune(conn, T0 + timedelta(days=200), timedelta(days=30), timedelta(days=180))
        assert report.texts == 0 and report.stories == 0
    assert dataclasses.asdict(report)


def test_a_rolled_back_article_leaves_no_trace(tmp_path: object) -> None:
    from pathlib import Path

    import pytest

    stream = BACKGROUND + SEED + QUAKE_A
    base = Path(str(tmp_path))
    one = Store.open(base / "a")
    straight = feed(one, StoryEngine(), stream, 0, T0)
    one.close()
    two = Store.open(base / "b")
    engine = StoryEngine()
    first = feed(two, engine, stream[:6], 0, T0)
    title, text = QUAKE_B[0]
    art = Article("https://x.example/1", "https://x.example/1", title, text, "x", published=T0)
    with pytest.raises(RuntimeError), two.begin() as conn:  # the caller's transaction fails
        stored = store_articles.store(conn, art, T0)
        engine.process(conn, stored.article_id, art)
        raise RuntimeError("storing failed after the story stage")
    second = feed(two, engine, stream[6:], 6, T0)
    two.close()
    assert first + second == straight


# The engine's plain-SQL reads and writes, on both backends.


def test_document_frequencies_are_counted_and_returned_as_before(store: Store) -> None:
    with store.begin() as conn:
        assert writes.take_df(conn, [1, 2]) == {1: 0, 2: 0}
        assert writes.take_df(conn, [2, 3]) == {2: 1, 3: 0}
        assert {t: d for t, d in conn.execute(sa.select(term_stats))} == {1: 1, 2: 2, 3: 1}


def test_candidates_rank_by_shared_terms_then_id_within_each_terms_limit(store: Store) -> None:
    old = T0 - timedelta(days=800)
    with store.begin() as conn:
        for sid in (1, 2, 3, 4, 5):
            conn.execute(
                sa.insert(stories).values(
                    id=sid, first_seen=old, last_seen=T0, size=1, centroid=b"c%d" % sid
                )
            )
        conn.execute(sa.update(stories).where(stories.c.id == 3).values(title_article_id=30))
        conn.execute(
            sa.insert(story_articles).values(article_id=30, story_id=3, seen=T0, vector=b"t")
        )
        posts = [(10, 1), (10, 2), (10, 3), (11, 2), (11, 3), (12, 3), (12, 4)]
        rows = [{"term": t, "story_id": s, "last_seen": T0} for t, s in posts]
        rows.append({"term": 12, "story_id": 5, "last_seen": old})  # past max_age: not read
        conn.execute(sa.insert(story_postings), rows)
        cut = T0 - timedelta(days=730)
        got = writes.candidates(conn, [10, 11, 12], cut, posting_limit=2, max_candidates=2)
        assert [r.id for r in got] == [2, 3]  # term 10 reads stories 3 and 2 only
        assert got[1] == writes.StoryCandidate(
            id=3,
            last_seen=T0,
            size=1,
            centroid=b"c3",
            title_article_id=30,
            first_seen=old,
            title_vector=b"t",
        )
        assert got[0].title_article_id is None and got[0].title_vector is None
        got = writes.candidates(conn, [10, 11, 12], cut, posting_limit=3, max_candidates=3)
        assert [r.id for r in got] == [1, 2, 3]  # 1 and 4 share one term each: the lower id


def test_recent_members_are_the_newest_with_a_vector(store: Store) -> None:
    with store.begin() as conn:
        members = [(a, 1, b"v%d" % a) for a in range(1, 8)] + [(8, 1, None), (9, 2, b"w")]
        conn.execute(
            sa.insert(story_articles),
            [{"article_id": a, "story_id": s, "seen": T0, "vector": v} for a, s, v in members],
        )
        got = writes.recent_members(conn, [2, 1], 3)
    assert sorted(got) == [(1, b"v5"), (1, b"v6"), (1, b"v7"), (2, b"w")]


class _Counted(StoryEngine):
    """The engine, counting the candidates whose members it reads."""

    read = 0

    def _members(self, conn: sa.Connection, ids: list[int]) -> dict[int, list[bytes]]:
        self.read += len(ids)
        return super()._members(conn, ids)


class _AllLinks(_Counted):
    """The engine before pruning: linkage of every viable candidate, however low it scores."""

    def _pruned_links(
        self, conn: sa.Connection, vec: ArticleVectors, viable: list[Scored], lift: float
    ) -> dict[int, float]:
        members = self._members(conn, [c[1] for c in viable]) if viable else {}
        return {sid: self._link(vec, members.get(sid, [])) for _, sid, _ in viable}


def test_pruned_linkage_assigns_as_linkage_of_every_candidate(tmp_path: Path) -> None:
    stream = BACKGROUND + SEED + QUAKE_A + QUAKE_B + SEED[:2] + QUAKE_A[:1]
    for threshold in (StorySettings().threshold, 1.0, 6.0):
        settings = StorySettings(threshold=threshold)
        pruned, full = _Counted(settings), _AllLinks(settings)
        one, two = Store.open(tmp_path / f"p{threshold}"), Store.open(tmp_path / f"a{threshold}")
        got, want = feed(one, pruned, stream, 0, T0), feed(two, full, stream, 0, T0)
        one.close()
        two.close()
        assert got == want and pruned.read < full.read  # 12 of 16 at the shipped threshold


def test_batched_scores_are_join_features_bit_for_bit() -> None:
    docs = [featurize(t, x, 2.0) for t, x in BACKGROUND + SEED + QUAKE_A + QUAKE_B]
    df: dict[int, int] = {}
    for d in docs:
        for k in set(d.words) | set(d.ents):
            df[k] = df.get(k, 0) + 1
    vecs = [ArticleVectors.build(d, df, 40, 1) for d in docs]
    vecs.append(ArticleVectors.build(featurize("", "", 2.0), df, 40, 1))  # no terms at all
    cents = [Centroid.empty(), Centroid.empty().add(vecs[0])]
    for v in vecs[4:9]:
        cents.append(cents[-1].add(v))
    cents += [Centroid.unpack(c.add(v).pack()) for c, v in zip(cents, vecs[9:], strict=False)]
    weights = np.asarray(DEFAULT_WEIGHTS, dtype=np.float64)
    for vec in vecs:
        cands = [(c, 1 + i, 0.5 * i) for i, c in enumerate(cents)]
        want = [float(np.dot(weights, join_features(vec, *c, 0.0))) for c in cands]
        assert scores(vec, cands, weights) == want
    assert scores(vecs[0], [], weights) == []
