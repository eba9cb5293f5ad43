"""What an article's lede says: the names and numbers of its title and first two sentences.

Two reports of one event name the same people and places and give the same figures near the
top; the first report of a *similar* event (another earthquake, another navy's capture of
pirates) names others and gives other figures there — "26 pirates" against "23 pirates",
"Fred LaRue, 75" against "Mark Felt, 95". `lede_features` compares them with what a story's
members said (four of its centroid channels), for `story_model.join_features`.

Pure (no I/O), hashed like the rest of the story features.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from hashlib import blake2b

from monitor.story_vectors import Keys, Vals, contains, missing
from monitor.story_words import STOP_WORDS

__all__ = ["Lede", "lede", "lede_features"]

_TOKEN = re.compile(r"[A-Za-z][\w'’.-]*|\d[\d.,]*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_NUMBER = re.compile(r"\d[\d.,]*")
_YEAR = re.compile(r"(?:19|20)\d\d")
_POSSESSIVE = re.compile(r"['’]s$")
_LEDE_SENTENCES = 2


def _hash(term: str) -> int:
    return int.from_bytes(blake2b(term.encode(), digest_size=8).digest(), "little", signed=True)


def _runs(sentence: str) -> list[tuple[str, ...]]:
    """Capitalised runs (lower-cased tokens): the names of a sentence. A single capitalised word
    opening the sentence is left out (it is capitalised for being first)."""
    out: list[tuple[str, ...]] = []
    run: list[str] = []
    start = 0
    tokens = _TOKEN.findall(sentence)
    for i, tok in enumerate(tokens + [""]):
        if tok and tok[0].isupper() and tok.lower() not in STOP_WORDS:
            if not run:
                start = i
            name = _POSSESSIVE.sub("", tok.lower()).strip(".'’-")
            if len(name) > 1:  # initials ("W. Mark Felt") vary between reports
                run.append(name)
            continue
        if run and (len(run) >= 2 or start > 0):
            out.append(tuple(run))
        run = []
    return out


def _numbers(text: str) -> set[int]:
    found = (n.rstrip(".,") for n in _NUMBER.findall(text))
    return {_hash("n:" + n) for n in found if not _YEAR.fullmatch(n)}


@dataclass
class Lede:
    """Hashed: tokens of the multi-word names in the lede, tokens of every name in the article,
    numbers in the lede, numbers anywhere (years are left to the year features)."""

    names: set[int] = field(default_factory=set)
    caps: set[int] = field(default_factory=set)
    numbers: set[int] = field(default_factory=set)
    all_numbers: set[int] = field(default_factory=set)


def lede(title: str, text: str) -> Lede:
    """The lede evidence of an article (its title and the first two sentences of its text)."""
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    top = [title, *sentences[:_LEDE_SENTENCES]]
    out = Lede()
    for sentence in top:
        out.names.update(_hash("c:" + t) for run in _runs(sentence) if len(run) >= 2 for t in run)
    for sentence in [title, *sentences]:
        out.caps.update(_hash("c:" + t) for run in _runs(sentence) for t in run)
    out.numbers = _numbers("\n".join(top))
    out.all_numbers = _numbers(title + "\n" + text)
    return out


def lede_features(
    article: tuple[Keys, Keys, Keys, Keys], story: list[tuple[Keys, Vals]], size: int
) -> list[float]:
    """Six join features from an article's (lede name tokens, name tokens, lede numbers, numbers)
    and a story's four lede channels (name tokens, numbers, lede name tokens, lede numbers, each
    with its member count): the article's lede names missing from every name the story's members
    wrote; the story's core lede names (in the lede of half its members or more) missing from the
    article; their product (both sides disagree); the same three for numbers. All 0 for a story
    stored before these channels existed, until it gains a member (its name channel is empty)."""
    names, caps, numbers, all_numbers = article
    (story_caps, _), (story_numbers, _), (lede_keys, lede_counts), (num_keys, num_counts) = story
    if not len(story_caps):
        return [0.0] * 6
    core = max(1.0, size / 2)
    out = []
    for mine, theirs, keys, counts, everything in (
        (names, story_caps, lede_keys, lede_counts, caps),
        (numbers, story_numbers, num_keys, num_counts, all_numbers),
    ):
        a = missing(contains(theirs, mine)) if len(mine) else 0.0
        shared = keys[counts >= core]
        b = missing(contains(everything, shared)) if len(shared) else 0.0
        out += [a, b, a * b]
    return out
