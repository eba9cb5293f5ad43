"""Re-examining a story as it grows: two events that ended up in one story are split apart."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from test_stories import QUAKE_A, QUAKE_B, SEED, T0, feed

from console import news_monitor
from monitor.store import Store
from monitor.store.schema import articles
from monitor.store.story_tables import stories, story_articles, story_postings
from monitor.stories import StoryEngine, StorySettings, list_stories
from monitor.stories.model import ArticleVectors, Centroid, featurize, member_cosine
from monitor.stories.split import _bipartition, _similarities, check_sizes, split
from monitor.stories.vectors import cos

QUAKE_B3 = [
    *QUAKE_B,
    (
        "Padang schools shut after earthquake",
        "Schools in Padang stayed closed on Wednesday after Tuesday's magnitude 5.6 earthquake in West Sumatra killed seven people and damaged a mosque.",
    ),
]
QUAKE_A4 = [
    *QUAKE_A,
    (
        "Mamuju survivors sleep outside after quake",
        "Thousands in Mamuju spent the night outdoors after Friday's magnitude 6.1 earthquake in West Sulawesi, which killed 34 people and wrecked the hospital.",
    ),
]
QUAKE_B4 = [
    *QUAKE_B3,
    (
        "Padang mosque damaged in Tuesday quake",
        "Engineers inspected the cracked mosque in Padang a day after the magnitude 5.6 earthquake that killed seven people across West Sumatra on Tuesday.",
    ),
]
SETTINGS = StorySettings()


def vectors(items: list[tuple[str, str]]) -> list[ArticleVectors]:
    df: Counter[int] = Counter()
    out = []
    for n, (title, text) in enumerate(items):
        doc = featurize(title, text, SETTINGS.title_weight)
        out.append(ArticleVectors.build(doc, df, n, SETTINGS.rare_df))
        df.update(set(doc.words) | set(doc.ents))
    return out


def test_sizes_checked_grow_geometrically() -> None:
    sizes = sorted(check_sizes(limit=100))
    assert sizes == [4, 8, 16, 32, 64]


def test_two_events_in_one_story_are_cut_between_them() -> None:
    found = split(vectors(QUAKE_A4 + QUAKE_B4), np.asarray(SETTINGS.weights))
    assert found is not None
    score, cut = found
    assert cut.tolist() == [True] * 4 + [False] * 4  # True: the first member's half
    assert score < SETTINGS.split_threshold


def test_one_event_is_not_split() -> None:
    found = split(vectors(SEED), np.asarray(SETTINGS.weights))
    assert found is not None and found[0] > SETTINGS.split_threshold + 2.0  # with margin
    assert split(vectors(SEED[:3]), np.asarray(SETTINGS.weights)) is None  # too few to cut


def story_of(store: Store) -> dict[int, int]:
    with store.begin() as conn:
        return {r[0]: r[1] for r in conn.execute(sa.select(articles.c.id, articles.c.story_id))}


def test_engine_splits_a_story_holding_two_events(store: Store) -> None:
    merging = StoryEngine(StorySettings(threshold=-100.0))  # every article joins the best story
    joined = feed(store, merging, QUAKE_A4 + QUAKE_B4, 0, T0)
    assert len(set(joined[:7])) == 1  # as decided on arrival; the eighth (a check) split it
    final = story_of(store)
    ids = sorted(final)
    a, b = {final[i] for i in ids[:4]}, {final[i] for i in ids[4:]}
    assert a == {joined[0]} and len(b) == 1 and b != a  # the first member's half keeps the story
    (new,) = b
    assert joined[7] == new  # the assignment returned is where the article ended up
    with store.begin() as conn:
        rows = {r.id: r for r in conn.execute(sa.select(stories))}
        assert rows[joined[0]].size == 4 and rows[new].size == 4
        assert rows[joined[0]].title in [t for t, _ in QUAKE_A4]
        assert rows[new].title in [t for t, _ in QUAKE_B4]
        q = sa.select(story_articles.c.article_id, story_articles.c.story_id)
        member_of = {r[0]: r[1] for r in conn.execute(q)}
        assert member_of == final
        assert conn.execute(
            sa.select(sa.func.count()).where(story_postings.c.story_id == new)
        ).scalar()
        views = {v.id: v for v in list_stories(conn)}
    assert len(views[new].articles) == 4 and len(views[joined[0]].articles) == 4
    # the next report of the second event finds it under its own story
    more = [("Padang counts damage", QUAKE_B3[1][1].replace("Seven people died", "Seven died"))]
    assert feed(store, StoryEngine(), more, 10, T0) == [new]


def test_a_story_with_pruned_text_is_left_as_it_is(store: Store) -> None:
    merging = StoryEngine(StorySettings(threshold=-100.0))
    joined = feed(store, merging, QUAKE_A4 + QUAKE_B4[:3], 0, T0)
    with store.begin() as conn:
        conn.execute(
            sa.update(articles).where(articles.c.id == min(story_of(store))).values(text=None)
        )
    joined += feed(store, merging, QUAKE_B4[3:], 7, T0)
    assert set(story_of(store).values()) == set(joined) == {joined[0]}


def naive_bipartition(sims: np.ndarray) -> np.ndarray | None:
    """The sweep cut written out: every threshold on the eigenvector, sums recomputed each time."""
    deg = sims.sum(axis=1)
    lap = np.eye(len(sims)) - sims / np.sqrt(np.outer(deg, deg) + 1e-12)
    fiedler = np.linalg.eigh(lap)[1][:, 1]
    best = None
    for value in np.unique(fiedler)[:-1]:
        left = fiedler <= value
        a, b = int(left.sum()), int((~left).sum())
        if a < 2 or b < 2:
            continue
        within = sims[np.ix_(left, left)].sum() + sims[np.ix_(~left, ~left)].sum()
        gap = within / (a * (a - 1) + b * (b - 1)) - sims[np.ix_(left, ~left)].mean()
        if best is None or gap > best[0]:
            best = (gap, left)
    return None if best is None else best[1]


def test_sweep_cut_by_running_sums_is_the_written_out_one() -> None:
    rng = np.random.default_rng(3)
    for m in (4, 5, 9, 30, 120):
        for _ in range(5):
            x = rng.random((m, m)) ** 3
            sims = np.triu(x, 1) + np.triu(x, 1).T
            fast, slow = _bipartition(sims), naive_bipartition(sims)
            assert fast is not None and slow is not None
            assert fast.tolist() == slow.tolist()


def test_similarities_are_the_pairwise_word_cosines_and_linkages() -> None:
    vecs = vectors(QUAKE_A + QUAKE_B3 + SEED)
    sims, links = _similarities(vecs)
    for a, va in enumerate(vecs):
        for b, vb in enumerate(vecs):
            want = 0.0 if a == b else cos(va.words_k, va.words_v, vb.words_k, vb.words_v)
            assert abs(sims[a, b] - want) < 1e-12
            assert abs(links[a, b] - member_cosine(va, vb.member_words())) < 1e-12


def test_restart_before_the_split_gives_the_same_stories(tmp_path: Path) -> None:
    stream = QUAKE_A4 + QUAKE_B4
    merging = StorySettings(threshold=-100.0)
    one = Store.open(tmp_path / "a")
    feed(one, StoryEngine(merging), stream, 0, T0)
    straight = story_of(one)
    one.close()
    two = Store.open(tmp_path / "b")
    feed(two, StoryEngine(merging), stream[:6], 0, T0)
    two.close()
    again = Store.open(tmp_path / "b")  # a new process: nothing but the store survives
    feed(again, StoryEngine(merging), stream[6:], 6, T0)
    assert story_of(again) == straight and len(set(straight.values())) == 2
    again.close()


def test_centroid_of_members_is_their_sum_capped_once() -> None:
    vecs = vectors(QUAKE_A4 + QUAKE_B4 + SEED)
    one_by_one = Centroid.empty()
    for vec in vecs:
        one_by_one = one_by_one.add(vec)
    at_once = Centroid.of(vecs)
    for (ak, av), (bk, bv) in zip(one_by_one.channels, at_once.channels, strict=True):
        assert ak.tolist() == bk.tolist() and np.allclose(av, bv)  # no channel reached its cap
    words, _ = Centroid.of(vectors(QUAKE_A4 + QUAKE_B4 + SEED) * 40).channels[0]
    assert len(words) <= 400  # the word channel's cap


def test_a_muted_story_that_splits_stays_muted_in_both_halves(tmp_path: Path) -> None:
    """`stories mute` before the split: the half split off is muted too, until the same end,
    and `status --json` says where its mute came from; each half is unmuted on its own."""
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "settings: {state_dir: state}\ntopics: [{name: Quake, query: earthquake}]\n"
        "feeds: [{url: 'http://127.0.0.1:9/none.rss'}]\n",
        encoding="utf-8",
    )

    def cli(*argv: str) -> str:
        done = news_monitor("--config", str(config), "--json", *argv)
        assert done.returncode == 0, done.stderr
        return done.stdout

    cli("status")  # creates the state
    store = Store.open(tmp_path / "state")
    merging = StoryEngine(StorySettings(threshold=-100.0))  # every article joins the best story
    stream = QUAKE_A4 + QUAKE_B4
    (kept,) = set(feed(store, merging, stream[:7], 0, T0))
    mute = json.loads(cli("stories", "mute", str(kept), "--for", "7d"))
    (new,) = set(feed(store, merging, stream[7:], 7, T0)) - {kept}  # the eighth splits it
    store.close()
    mutes = {m["story_id"]: m for m in json.loads(cli("status"))["mutes"]}
    assert set(mutes) == {kept, new}
    assert mutes[new]["split_from"] == kept and mutes[kept]["split_from"] is None
    assert mutes[new]["until"] == mutes[kept]["until"] == mute["until"]
    assert json.loads(cli("stories", "unmute", str(new)))["unmuted"] is True
    assert [m["story_id"] for m in json.loads(cli("status"))["mutes"]] == [kept]
