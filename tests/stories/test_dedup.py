"""Level 2: syndicated copies are folded onto their original, short boilerplate never collides."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from monitor.models import Article
from monitor.store import Store, story_queries
from monitor.store import articles as store_articles
from monitor.store import fingerprints as fingerprint_store
from monitor.store.story_tables import fingerprints, minhash_bands, story_articles
from monitor.stories import Assignment, StoryEngine, prune
from monitor.stories.copies import (
    CopyIndex,
    DedupSettings,
    Original,
    Signature,
    cardinality,
    jaccard,
    shared,
    signature_bytes,
)
from texts import WIRE

T0 = datetime(2024, 5, 1, 8, tzinfo=UTC)


def ingest(store: Store, engine: StoryEngine, n: int, title: str, text: str) -> Assignment:
    url = f"https://site{n}.example/a/{n}"
    art = Article(url, url, title, text, f"src{n}", published=T0 + timedelta(hours=n))
    with store.begin() as conn:
        stored = store_articles.store(conn, art, T0 + timedelta(hours=n))
        return engine.process(conn, stored.article_id, art)


def find(conn: sa.Connection, index: CopyIndex, sig: Signature) -> Original | None:
    return index.original(sig, fingerprint_store.candidates(conn, index.band_keys(sig)))


def test_copy_with_new_headline_and_wrapper_joins_its_original(store: Store) -> None:
    engine = StoryEngine()
    first = ingest(store, engine, 1, "Reservoir closed after spillway cracks", WIRE)
    words = WIRE.split()
    words[10] = "Wednesday"  # a changed word, a cut ending, a new wrapper and headline
    copy_text = (
        "Advert\n" + " ".join(words[: int(len(words) * 0.85)]) + "\n0 comments: Post a Comment"
    )
    copy = ingest(store, engine, 2, "Hollow Creek dam to shut for six weeks", copy_text)
    assert first.duplicate_of is None and first.new_story
    assert copy.duplicate_of is not None and copy.story_id == first.story_id and not copy.new_story
    third = ingest(store, engine, 3, "Dam closure: what anglers need to know", copy_text + " Ends.")
    assert third.duplicate_of == copy.duplicate_of  # the earliest original, not the copy
    with store.begin() as conn:
        row = conn.execute(store_articles.articles.select().order_by("id")).all()
    assert [r.duplicate_of for r in row] == [None, row[0].id, row[0].id]


def test_short_texts_sharing_boilerplate_are_not_copies() -> None:
    index = CopyIndex()
    boiler = "Source: Read Full Article. 0 comments: Post a Comment. Previous article"
    assert index.fingerprint("Minister resigns over expenses. " + boiler) is None
    a = index.fingerprint(WIRE)
    assert a is not None
    other = WIRE.replace("reservoir", "stadium").split()
    b = index.fingerprint(" ".join(reversed(other)))
    assert b is not None and jaccard(a, b) < 0.2


def test_estimated_jaccard_tracks_edits() -> None:
    index = CopyIndex()
    a, b = (
        index.fingerprint(WIRE),
        index.fingerprint(WIRE + " The authority will publish a report."),
    )
    assert a is not None and b is not None
    assert jaccard(a, b) > 0.8


def test_short_texts_in_a_long_shared_wrapper_do_not_match_through_the_store(store: Store) -> None:
    wrap = (
        "Share this: Facebook Twitter Email. Subscribe to our newsletter for the latest news. {} "
        "Source: Read Full Article. 0 comments: Post a Comment. Previous article Next article "
        "Related posts. Follow us on social media. Copyright 2024 All rights reserved."
    )
    a = wrap.format(
        "Minister resigns over expenses. The transport minister stepped down on Monday after an "
        "audit of his travel claims."
    )
    b = wrap.format(
        "Flood warning for the river valley. Forecasters expect heavy rain through Thursday in "
        "the low-lying streets."
    )
    guarded, unguarded = CopyIndex(), CopyIndex(DedupSettings(min_shingles=1))
    for index in (guarded, unguarded):
        sa_, sb = index.fingerprint(a), index.fingerprint(b)
        assert sa_ is not None and sb is not None and jaccard(sa_, sb) >= 0.4
    with store.begin() as conn:
        for index, base in ((guarded, 100), (unguarded, 200)):
            sig = index.fingerprint(a)
            assert sig is not None
            fingerprint_store.add(conn, base, signature_bytes(sig), T0, index.band_keys(sig))
            sig_b = index.fingerprint(b)
            assert sig_b is not None
            found = find(conn, index, sig_b)
            assert (found is None) == (index is guarded)  # boilerplate alone is not a copy
        found = find(conn, guarded, guarded.fingerprint(a + " Ends."))  # type: ignore[arg-type]
        assert found is not None and found.article_id == 100


def test_shared_shingle_estimate_tracks_the_overlap() -> None:
    index = CopyIndex()
    words = WIRE.split()
    a, b = index.fingerprint(WIRE), index.fingerprint(" ".join(words[: len(words) // 2]))
    assert a is not None and b is not None
    n = len(index.hasher.shingles(WIRE))
    assert 0.7 * n < cardinality(a) < 1.3 * n
    assert 0.35 * n < shared(a, b) < 0.65 * n


def test_band_keys_carry_the_band_index() -> None:
    index = CopyIndex()
    sig = np.zeros(index.settings.num_perm, dtype=np.uint32)  # every band's rows alike
    keys = index.hasher.band_keys(sig)
    assert len(set(keys)) == index.settings.bands == 20
    assert [k >> 32 for k in keys] == list(range(20))


def test_prune_through_the_engine_in_batches(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(story_queries, "_BATCH", 2)  # five articles in three committed steps
    engine = StoryEngine()
    rng = random.Random(3)
    texts = [WIRE, "Advert\n" + WIRE[: int(len(WIRE) * 0.9)]]
    words = ["".join(rng.choices("bcdfghklmnprstvz", k=7)) for _ in range(360)]
    texts += [" ".join(words[k * 120 : (k + 1) * 120]) for k in range(3)]
    titles = [
        "Reservoir closed",
        "Dam to shut",
        *(" ".join(words[k * 120 : k * 120 + 4]) for k in range(3)),
    ]
    done = [
        ingest(store, engine, n + 1, h, t)
        for n, (h, t) in enumerate(zip(titles, texts, strict=True))
    ]
    assert done[1].duplicate_of is not None and len({a.story_id for a in done}) == 4
    # articles 1–3 (stored at hours 1–3) lose their dedup and story state, all five their text
    now = T0 + timedelta(days=180, hours=3, minutes=30)
    report = prune(store.engine, now, timedelta(days=30), timedelta(days=180))
    assert (report.texts, report.fingerprints, report.stories) == (5, 3, 2)
    with store.connect() as conn:
        kept = conn.execute(sa.select(fingerprints.c.article_id)).scalars().all()
        banded = conn.execute(sa.select(minhash_bands.c.article_id)).scalars().all()
        assert sorted(kept) == [4, 5] and sorted(set(banded)) == [4, 5] and len(banded) == 40
        assert conn.execute(sa.select(story_articles.c.article_id)).scalars().all() == [4, 5]
    statements: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    again = prune(store.engine, now, timedelta(days=30), timedelta(days=180))
    assert (again.texts, again.fingerprints, again.stories) == (0, 0, 0)
    # already-pruned articles are not visited again: one empty read per phase, no writes
    assert len(statements) == 2 and all(q.lstrip().startswith("SELECT") for q in statements)
