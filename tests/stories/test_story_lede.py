"""Lede evidence: the names, numbers and weekdays near the top tell two similar events apart."""

from __future__ import annotations

import numpy as np

from monitor.stories.lede import DAY_WINDOW, lede
from monitor.stories.model import FEATURES, ArticleVectors, Centroid, featurize, join_features
from monitor.stories.pack import pack

LEDE = slice(FEATURES.index("lede_names_missing"), FEATURES.index("bias"))

FELT = (
    "Mark Felt, 'Deep Throat' of Watergate, dies at 95",
    "W. Mark Felt, the FBI official who as Deep Throat guided reporters through the Watergate "
    "scandal, died on Thursday in Santa Rosa. He was 95. Felt kept his secret for three decades.",
)
FELT_AGAIN = (
    "Deep Throat source Mark Felt dead at 95",
    "Mark Felt, the former FBI deputy director who leaked Watergate secrets as Deep Throat, has "
    "died on Thursday at 95 at his home in Santa Rosa, his family said.",
)
LARUE = (
    "Watergate 'bagman' Fred LaRue, 75, dies",
    "Fred LaRue, a Nixon campaign aide who delivered hush money during the Watergate scandal, "
    "was found dead in a Biloxi motel room. He was 75.",
)


def _vectors(title: str, text: str) -> ArticleVectors:
    return ArticleVectors.build(featurize(title, text, 2.0), {}, 1, 9)


def _lede_features(story: list[tuple[str, str]], article: tuple[str, str]) -> list[float]:
    centroid = Centroid.empty()
    for member in story:
        centroid = centroid.add(_vectors(*member))
    feats = join_features(_vectors(*article), centroid, len(story), 0.0, 0.0)
    return [float(v) for v in feats[LEDE]]


def test_lede_reads_names_and_numbers_of_the_top_only() -> None:
    top = lede(*LARUE)
    late = lede(LARUE[0], LARUE[1] + " Later, Senator Sam Ervin spoke of 17 witnesses.")
    assert top.names == late.names and top.numbers == late.numbers  # the third sentence: not lede
    assert late.caps > top.caps and late.all_numbers > top.all_numbers  # but it is in the article
    assert len(lede("Fire", "Firefighters came. The 2014 fire.").numbers) == 1  # years count
    assert len(lede("Quake", "It struck on Sunday. Sunday, again.").days) == 1
    # a capitalised word opening a sentence is no name; one inside a sentence is
    assert lede("", "Crews came at dawn.").caps == set()
    assert len(lede("", "At dawn Crews came.").caps) == 1


def test_the_same_event_shows_no_conflict() -> None:
    assert _lede_features([FELT], FELT_AGAIN) == [0.0] * 9


def test_a_similar_event_conflicts_both_ways() -> None:
    names_a, names_s, names_both, nums_a, nums_s, nums_both, *days = _lede_features([FELT], LARUE)
    assert names_a > 0.5 and names_s > 0.5 and names_both > 0.25  # LaRue / Felt
    assert nums_a == 1.0 and nums_s == 1.0 and nums_both == 1.0  # 75 / 95
    assert days == [0.0, 1.0, 0.0]  # Felt died "on Thursday"; LaRue's lede names no day


def test_weekdays_count_only_within_a_few_days() -> None:
    story = [FELT]
    sunday = (LARUE[0], LARUE[1].replace("was found dead", "was found dead on Sunday"))
    centroid = Centroid.empty().add(_vectors(*story[0]))
    near = join_features(_vectors(*sunday), centroid, 1, 1.0, 0.0)[LEDE]
    far = join_features(_vectors(*sunday), centroid, 1, DAY_WINDOW + 1, 0.0)[LEDE]
    assert near[6:].tolist() == [1.0, 1.0, 1.0]  # Sunday against Thursday, a day apart
    assert far[6:].tolist() == [0.0, 0.0, 0.0]  # weeks later "on Sunday" is another Sunday
    assert near[:6].tolist() == far[:6].tolist()


def test_a_story_stored_before_the_lede_channels_shows_none() -> None:
    current = Centroid.unpack(Centroid.empty().add(_vectors(*FELT)).pack())
    legacy = Centroid.unpack(pack(list(current.channels[:6])))  # a centroid of migration v6
    feats = join_features(_vectors(*LARUE), legacy, 1, 0.0, 0.0)
    assert np.all(feats[LEDE] == 0.0)
    assert (
        feats[: LEDE.start].tolist()
        == join_features(_vectors(*LARUE), current, 1, 0.0, 0.0)[: LEDE.start].tolist()
    )  # everything else as before
