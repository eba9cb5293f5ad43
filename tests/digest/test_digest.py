"""Digest building over a real SQLite store: stories, copies, markers, order, cap, watermark."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config.model import DigestConfig
from monitor.digest.build import Digest, build, clean_snippet
from monitor.store import Store, outbox
from peers import BACKENDS, T0, Data, any_store

H = timedelta(hours=1)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with any_store(request, tmp_path) as s:
        yield s


def digest_config(**changes: object) -> DigestConfig:
    values: dict[str, object] = {"name": "legion-daily", "topics": ("Legion",), "channels": ("c",)}
    values.update(changes)
    return DigestConfig(**values)  # type: ignore[arg-type]


def make(store: Store, cfg: DigestConfig | None = None, at=T0 + 2 * H) -> Digest:  # type: ignore[no-untyped-def]
    with store.connect() as conn:
        return build(conn, cfg or digest_config(), "c", at)


def deliver(store: Store, digest: Digest) -> None:
    """What delivery does on success: store the outbox row and mark it delivered."""
    articles = {"shown": list(digest.shown_article_ids), "hidden": list(digest.hidden_article_ids)}
    with store.begin() as conn:
        row = outbox.enqueue(
            conn, digest.built_at, digest=digest.name, channel=digest.channel,
            message_id=f"m{digest.built_at.timestamp()}", payload="[]",
            watermark=digest.watermark, articles=json.dumps(articles),
        )  # fmt: skip
        outbox.mark_delivered(conn, row, digest.built_at)


def test_articles_without_story_are_stories_and_copies_fold(store: Store) -> None:
    data = Data(store)
    a = data.article("Legion crosses border", site="Wire A", snippet="Fighters of the legion...")
    data.article("Copy of wire", site="Reprint B", copy_of=a, topic=None)
    data.article("Copy matched too", site="Reprint C", copy_of=a)
    data.article("Other legion story", site="Paper D", at=T0 + H, score=0.5)
    data.article("Off topic", site="Paper E", topic=None)
    digest = make(store)
    assert [s.headline for s in digest.stories] == ["Legion crosses border", "Other legion story"]
    first = digest.stories[0]
    assert len(first.sources) == 1 and first.sources[0].outlet == "Wire A"
    assert [c.outlet for c in first.sources[0].copies] == ["Reprint B", "Reprint C"]
    assert first.marker == "new story" and first.new_sources == 3
    assert first.snippet == "Fighters of the legion..."
    assert digest.summary == "2 stories" and digest.total_stories == 2
    assert digest.watermark == T0 + H


def test_story_ids_group_outlets(store: Store) -> None:
    data = Data(store)
    data.article("Legion unit defects", site="Outlet 1", story=7, score=2.0, at=T0 + H)
    data.article("Unit defects, legion says", site="Outlet 2", story=7, at=T0)
    data.article("Not about the topic", site="Outlet 3", story=7, topic=None)
    digest = make(store)
    (story,) = digest.stories
    assert story.key == "s7"
    assert [s.outlet for s in story.sources] == ["Outlet 2", "Outlet 1"]  # earliest first
    assert story.headline == "Legion unit defects"  # the best-matching article
    assert story.first_seen == T0 and story.relevance == 2.0


def test_update_lists_only_new_sources(store: Store) -> None:
    data = Data(store)
    for n in range(5):
        data.article(
            f"Legion story, take {n}", site=f"Outlet {n}", story=1, at=T0 + n * timedelta(minutes=5)
        )
    first = make(store)
    assert first.stories[0].marker == "new story" and len(first.stories[0].sources) == 5
    deliver(store, first)
    assert make(store, at=T0 + 3 * H).empty  # nothing new: nothing to send
    data.article("Sixth outlet covers legion", site="Outlet 6", story=1, at=T0 + 4 * H)
    second = make(store, at=T0 + 5 * H)
    (story,) = second.stories
    assert story.is_update and story.marker == "update: 1 new source"
    assert [s.outlet for s in story.sources if s.new] == ["Outlet 6"]
    assert len(story.earlier_sources) == 5
    assert second.summary == "1 update"


def test_a_lone_article_joining_a_story_later_makes_it_an_update(store: Store) -> None:
    data = Data(store)
    a = data.article("Legion raid", site="Outlet A")
    deliver(store, make(store))
    data.article("Legion raid, day two", site="Outlet B", story=3, at=T0 + 3 * H)
    with store.begin() as conn:  # the stories stage clusters the first article in later
        from monitor.store.schema import articles

        conn.execute(articles.update().where(articles.c.id == a).values(story_id=3))
    (story,) = make(store, at=T0 + 4 * H).stories
    assert story.is_update and story.new_sources == 1


def test_order_relevance_then_recency_and_recency_option(store: Store) -> None:
    data = Data(store)
    data.article("Low, new", score=0.2, at=T0 + H)
    data.article("High, old", score=3.0, at=T0)
    data.article("High, new", score=3.0, at=T0 + H)
    by_relevance = [s.headline for s in make(store).stories]
    assert by_relevance == ["High, new", "High, old", "Low, new"]
    by_recency = [s.headline for s in make(store, digest_config(order="recency")).stories]
    assert by_recency == ["High, new", "Low, new", "High, old"]


def test_cap_counts_the_rest_and_hidden_stories_stay_new(store: Store) -> None:
    data = Data(store)
    ids = [data.article(f"Story {n}", score=10 - n, story=100 + n) for n in range(4)]
    digest = make(store, digest_config(max_stories=2))
    assert [s.headline for s in digest.stories] == ["Story 0", "Story 1"]
    assert digest.more == 2 and digest.total_stories == 4
    assert set(digest.hidden_article_ids) == set(ids[2:])
    deliver(store, digest)
    # the hidden ones are covered (not repeated) ...
    assert make(store, at=T0 + 3 * H).empty
    # ... and a new source on one of them shows it as a new story, with all its sources
    data.article("Story 3, more", story=103, at=T0 + 4 * H, score=9)
    (story,) = make(store, at=T0 + 5 * H).stories
    assert story.marker == "new story" and len(story.sources) == 2


def test_watermark_grace_catches_late_commits(store: Store) -> None:
    data = Data(store)
    data.article("Early", at=T0)
    data.article("Later", at=T0 + 2 * H)
    deliver(store, make(store, at=T0 + 3 * H))
    # a match committed after the delivery, stamped before the watermark
    data.article("Late commit", at=T0 + H)
    assert [s.headline for s in make(store, at=T0 + 4 * H).stories] == ["Late commit"]


def test_other_topics_and_channels_are_separate(store: Store) -> None:
    data = Data(store)
    data.article("Legion", topic="Legion")
    data.article("Weather", topic="Weather")
    digest = make(store)
    assert [s.headline for s in digest.stories] == ["Legion"]
    deliver(store, digest)
    with store.connect() as conn:
        other = build(conn, digest_config(), "other-channel", T0 + 2 * H)
    assert [s.headline for s in other.stories] == ["Legion"]


def test_clean_snippet() -> None:
    assert clean_snippet("  a\n\tb\x00c  ") == "a b c"
    long = "word " * 200
    cut = clean_snippet(long, 50)
    assert len(cut) <= 50 and cut.endswith("…") and "  " not in cut
