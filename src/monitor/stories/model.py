"""The story model: text → hashed TF-IDF features, story centroids, and the join score's inputs.

Pure (no I/O): `stories.StoryEngine` stores what it needs and calls these. Improving how stories
are told apart happens here; the engine and the store layout stay as they are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from monitor.stories.lede import lede_features
from monitor.stories.pack import pack as _pack
from monitor.stories.pack import unpack as _unpack
from monitor.stories.pack import unpack_sparse
from monitor.stories.text import Doc, featurize
from monitor.stories.vectors import Keys, Vals, contains, cos, merge, missing, norm, sparse, total

__all__ = [
    "DEFAULT_WEIGHTS",
    "FEATURES",
    "JOIN_WEIGHTS",
    "LINK",
    "ArticleVectors",
    "Centroid",
    "Doc",
    "featurize",
    "join_features",
    "member_cosine",
    "unpack_sparse",
]

# The join score's weight of each of `join_features`' values, by name and in its order:
# similarities to the centroid and to recent members, specific names / numbers / years / dates
# that agree or differ, age and size, the lede evidence (`lede`), and the bias. Fitted in two
# stages and folded into one linear score; reproduced exactly by bench/fit_stories.py, which
# prints this table.
JOIN_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "word_cos": 5.46,
        "entity_cos": 5.14,
        "title_cos": 1.13,
        "article_top_missing": 0.64,
        "story_top_missing": -0.73,
        "top_numbers_missing": 0.79,
        "shared_rare": 0.25,
        "log_age": -0.44,
        "log_age_x_entity_cos": -0.19,
        "log_age_x_shared_rare": 0.21,
        "log_age_x_word_cos": -1.51,
        "log_size": -1.96,
        "year_hit": 0.20,
        "year_conflict": -0.30,
        "numbers_missing": -2.46,
        "link": 3.14,
        "both_top_missing": -2.30,
        "date_hit": 1.35,
        "lede_names_missing": -0.49,
        "story_lede_names_missing": -0.28,
        "both_lede_names_missing": 0.65,
        "lede_numbers_missing": -1.49,
        "story_lede_numbers_missing": -2.12,
        "both_lede_numbers_missing": 0.49,
        "lede_days_missing": -0.17,
        "story_lede_days_missing": -0.34,
        "both_lede_days_missing": -1.32,
        "bias": 1.10,
    }
)
FEATURES = tuple(JOIN_WEIGHTS)  # the names of join_features' values, in order
DEFAULT_WEIGHTS = tuple(JOIN_WEIGHTS.values())  # the same weights as a vector, in that order
LINK = FEATURES.index("link")  # position of the member-linkage feature in join_features


_CAPS = (400, 200, 60, 100, 20, 20, 400, 200, 7, 100, 50, 7)  # centroid terms kept: words,
# entities, title, numbers, years, dates written in the text; then the lede evidence in the order
# of `story_lede.Lede.arrays()`, each key with its member count: name tokens, numbers and
# weekdays of the whole article, then of its lede


@dataclass(frozen=True)
class ArticleVectors:
    """TF-IDF vectors of one article (sorted hashed keys), with the IDF of the moment."""

    words_k: Keys
    words_v: Vals
    ents_k: Keys
    ents_v: Vals
    title_k: Keys
    title_v: Vals
    numbers: Keys
    rare: Keys  # entities seen in few articles so far
    years: Keys
    dates: Keys  # calendar dates written in the text (ordinals)
    lede: tuple[Keys, ...]  # `story_lede.Lede.arrays()`: names, numbers, weekdays (all, lede)

    @classmethod
    def build(cls, doc: Doc, df: dict[int, int], n: int, rare_df: int) -> ArticleVectors:
        keys = set(doc.words) | set(doc.ents)
        idf = {k: math.log((n + 1) / (df.get(k, 0) + 1)) + 1.0 for k in keys}
        ek, ev = sparse(doc.ents, idf)
        return cls(
            *sparse(doc.words, idf),
            ek,
            ev,
            *sparse(doc.title, idf),
            np.array(sorted(doc.numbers), dtype=np.int64),
            ek[np.array([df.get(k, 0) <= rare_df for k in ek.tolist()], dtype=bool)],
            np.array(sorted(doc.years), dtype=np.int64),
            np.array(doc.dates, dtype=np.int64),
            doc.lede.arrays(),
        )

    @cached_property
    def norms(self) -> tuple[float, float, float]:
        """Norms of the word, entity and title vectors (computed once per article)."""
        return norm(self.words_v), norm(self.ents_v), norm(self.title_v)

    @cached_property
    def probes(self) -> tuple[Keys, int, int, Vals, float]:
        """Looked up in a story's entity channel as one array: top-5 entities, top-3 numbers,
        rare entities (and the two split points); the top-5 weights and their sum (or 1)."""
        top = np.argsort(-self.ents_v, kind="stable")[:5]
        total = float(self.ents_v[top].sum()) or 1.0
        nums = self.numbers[:0]
        if len(self.numbers):
            is_num = contains(self.numbers, self.ents_k)
            nums = self.ents_k[is_num][np.argsort(-self.ents_v[is_num], kind="stable")[:3]]
        probe = np.concatenate([self.ents_k[top], nums, self.rare])
        return probe, len(top), len(top) + len(nums), self.ents_v[top], total

    def top_terms(self, k: int) -> list[int]:
        """The *k* highest-weighted words and the k/2 highest-weighted entities (index keys)."""
        words = np.lexsort((self.words_k, -self.words_v))[:k]
        ents = np.lexsort((self.ents_k, -self.ents_v))[: k // 2]
        return [int(x) for x in self.words_k[words]] + [int(x) for x in self.ents_k[ents]]

    def member_words(self) -> tuple[Keys, Vals]:
        """The 50 highest-weighted words: what a story keeps of each member for linkage."""
        order = np.sort(np.argsort(-self.words_v, kind="stable")[:50])
        return self.words_k[order], self.words_v[order]

    def member_blob(self) -> bytes:
        return _pack([self.member_words()])


@dataclass(frozen=True)
class Centroid:
    """A story's summed member vectors, one sparse channel each for words, entities and title."""

    channels: tuple[tuple[Keys, Vals], ...]

    @classmethod
    def empty(cls) -> Centroid:
        none = (np.zeros(0, dtype=np.int64), np.zeros(0))
        return cls((none,) * len(_CAPS))

    @classmethod
    def unpack(cls, blob: bytes) -> Centroid:
        chans = _unpack(blob)
        if not chans:
            return cls.empty()
        return cls(tuple(chans + list(cls.empty().channels[len(chans) :])))

    def pack(self) -> bytes:
        return _pack(list(self.channels))

    def add(self, vec: ArticleVectors) -> Centroid:
        return Centroid(
            tuple(
                merge(c, m, cap)
                for c, m, cap in zip(self.channels, _channels(vec), _CAPS, strict=True)
            )
        )

    @classmethod
    def of(cls, vecs: list[ArticleVectors]) -> Centroid:
        """The centroid of *vecs* summed at once, each channel capped once at the end (a story
        rebuilt from its members; `add` caps after every member)."""
        parts = [_channels(vec) for vec in vecs]
        return cls(tuple(total([p[i] for p in parts], cap) for i, cap in enumerate(_CAPS)))

    def cosine(self, keys: Keys, vals: Vals) -> float:
        return cos(keys, vals, *self.channels[0])


def _channels(vec: ArticleVectors) -> tuple[tuple[Keys, Vals], ...]:
    """What an article adds to each centroid channel (counts of 1 for the sets)."""
    return (
        (vec.words_k, vec.words_v),
        (vec.ents_k, vec.ents_v),
        (vec.title_k, vec.title_v),
        (vec.numbers, np.ones(len(vec.numbers))),
        (vec.years, np.ones(len(vec.years))),
        (vec.dates, np.ones(len(vec.dates))),
        *((keys, np.ones(len(keys))) for keys in vec.lede),
    )


def join_features(
    vec: ArticleVectors,
    centroid: Centroid,
    size: int,
    age_days: float,
    link: float,
    cosines: tuple[float, float, float] | None = None,  # the first three, if already computed
) -> npt.NDArray[np.float64]:
    """What the join score weighs: similarities, specific names that differ, shared, and age."""
    (wk, wv), (ek, ev), (tk, tv), (nk, _), (yk, _), (dk, _), *lede_chans = centroid.channels
    if cosines is None:
        nw, ne, nt = vec.norms
        cosines = (
            cos(vec.words_k, vec.words_v, wk, wv, nw),
            cos(vec.ents_k, vec.ents_v, ek, ev, ne),
            cos(vec.title_k, vec.title_v, tk, tv, nt),
        )
    cw, ce, ct = cosines
    probe, a, b, top_v, total = vec.probes
    hits = contains(ek, probe)
    found = hits[:a]
    miss_a = float(top_v[~found].sum()) / total
    stop = np.argsort(-ev, kind="stable")[:5]
    total = float(ev[stop].sum()) or 1.0
    found_s = contains(vec.ents_k, ek[stop])
    miss_s = float(ev[stop][~found_s].sum()) / total
    miss_n = 0.0
    if len(vec.numbers):
        miss_n = missing(hits[a:b])
    shared = math.log1p(float(hits[b:].sum()))
    year_hit = float(bool(len(vec.years)) and contains(yk, vec.years).any())
    year_conflict = float(bool(len(yk)) and bool(len(vec.years)) and not year_hit)
    num_miss = missing(contains(nk, vec.numbers)) if len(vec.numbers) and len(nk) else 0.0
    date_hit = _date_near(vec.dates, dk)
    la = math.log1p(max(age_days, 0.0))
    return np.array(
        [
            cw,
            ce,
            ct,
            miss_a,
            miss_s,
            miss_n,
            shared,
            la,
            la * ce,
            la * shared,
            la * cw,
            math.log(max(size, 1)),
            year_hit,
            year_conflict,
            num_miss,
            link,
            miss_a * miss_s,
            date_hit,
            *lede_features(vec.lede, lede_chans, size, age_days),
            1.0,
        ]
    )


def _date_near(mine: Keys, story: Keys, days: int = 2) -> float:
    """1.0 when a date written in the article is within *days* of one written in the story."""
    if not len(mine) or not len(story):
        return 0.0
    idx = np.searchsorted(story, mine)
    below = np.abs(mine - story[np.maximum(idx - 1, 0)])
    above = np.abs(story[np.minimum(idx, len(story) - 1)] - mine)
    return float((np.minimum(below, above) <= days).any())


def member_cosine(vec: ArticleVectors, member: tuple[Keys, Vals]) -> float:
    """Word cosine to one member's kept words (single linkage, beside the centroid)."""
    return cos(vec.words_k, vec.words_v, *member, vec.norms[0])
