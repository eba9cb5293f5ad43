"""What an article's lede says: the names, numbers and weekdays of its title and first sentences.

Two reports of one event name the same people and places, give the same figures and the same
day near the top; the first report of a *similar* event (another earthquake, another navy's
capture of pirates) names others there — "26 pirates" against "23 pirates", "Fred LaRue, 75"
against "Mark Felt, 95", "on Sunday" against "on Thursday". `lede_features` compares them with
what a story's members said (six of its centroid channels), for `story_model.join_features`.

Pure (no I/O), hashed like the rest of the story features.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from monitor.stories.vectors import Keys, Vals, contains, missing
from monitor.stories.words import STOP_WORDS
from monitor.stories.words import term_hash as _hash

__all__ = ["DAY_WINDOW", "Lede", "lede", "lede_features"]

_TOKEN = re.compile(r"[A-Za-z][\w'’.-]*|\d[\d.,]*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_NUMBER = re.compile(r"\d[\d.,]*")
_WEEKDAY = re.compile(r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s$")
_LEDE_SENTENCES = 2
DAY_WINDOW = 3.0  # days: a weekday named for an event points at one date only in reports this close


# Memos of pure functions of a token's spelling (bounded, no state): token → its name form
# ("" when it is no name: not capitalised, or a stop word; None when too short to keep) and
# term → hash.
_MEMO_MAX = 200_000
_NAMES: dict[str, str | None] = {}
_HASHES: dict[str, int] = {}


def _name(tok: str) -> str | None:
    if tok[0].isupper() and tok.lower() not in STOP_WORDS:
        name = _POSSESSIVE.sub("", tok.lower()).strip(".'’-")
        return name if len(name) > 1 else None  # initials ("W. Mark Felt") vary between reports
    return ""


def _h(term: str) -> int:
    value = _HASHES.get(term)
    if value is None:
        if len(_HASHES) > _MEMO_MAX:
            _HASHES.clear()
        value = _HASHES[term] = _hash(term)
    return value


def _runs(sentence: str) -> list[tuple[str, ...]]:
    """Capitalised runs (lower-cased tokens): the names of a sentence. A single capitalised word
    opening the sentence is left out (it is capitalised for being first)."""
    if len(_NAMES) > _MEMO_MAX:
        _NAMES.clear()
    names = _NAMES
    out: list[tuple[str, ...]] = []
    run: list[str] = []
    start = 0
    for i, tok in enumerate(_TOKEN.findall(sentence)):
        name = names.get(tok, "")
        if name == "" and tok not in names:
            name = names[tok] = _name(tok)
        if name != "":
            if not run:
                start = i
            if name is not None:
                run.append(name)
            continue
        if run and (len(run) >= 2 or start > 0):
            out.append(tuple(run))
        run = []
    if run and (len(run) >= 2 or start > 0):
        out.append(tuple(run))
    return out


def _numbers(text: str) -> set[int]:
    return {_h("n:" + n.rstrip(".,")) for n in _NUMBER.findall(text)}


def _weekdays(text: str) -> set[int]:
    return {_h("d:" + d.lower()) for d in _WEEKDAY.findall(text)}


@dataclass
class Lede:
    """Hashed, each for the lede and for the whole article: tokens of names (multi-word ones in
    the lede), numbers (years included), weekdays."""

    names: set[int] = field(default_factory=set)
    caps: set[int] = field(default_factory=set)
    numbers: set[int] = field(default_factory=set)
    all_numbers: set[int] = field(default_factory=set)
    days: set[int] = field(default_factory=set)
    all_days: set[int] = field(default_factory=set)

    def arrays(self) -> tuple[Keys, ...]:
        """(names, numbers, weekdays of the whole; the same of the lede) as sorted keys: the
        order of the story's lede channels."""
        sets = (self.caps, self.all_numbers, self.all_days, self.names, self.numbers, self.days)
        return tuple(np.array(sorted(keys), dtype=np.int64) for keys in sets)


def lede(title: str, text: str) -> Lede:
    """The lede evidence of an article (its title and the first two sentences of its text)."""
    sentences = [title, *(s for s in _SENTENCE_END.split(text) if s.strip())]
    runs = [_runs(sentence) for sentence in sentences]
    top = 1 + _LEDE_SENTENCES  # the title and the first sentences
    out = Lede()
    for i, sentence_runs in enumerate(runs):
        for run in sentence_runs:
            keys = [_h("c:" + t) for t in run]
            out.caps.update(keys)
            if i < top and len(run) >= 2:
                out.names.update(keys)
    lede_text, whole = "\n".join(sentences[:top]), title + "\n" + text
    out.numbers, out.all_numbers = _numbers(lede_text), _numbers(whole)
    out.days, out.all_days = _weekdays(lede_text), _weekdays(whole)
    return out


def lede_features(
    article: tuple[Keys, ...], story: list[tuple[Keys, Vals]], size: int, age_days: float
) -> list[float]:
    """Nine join features from an article's `Lede.arrays()` and a story's six lede channels, the
    same six summed over its members (each key with its member count). For names, numbers and
    weekdays in turn: the article's lede ones missing from everything the story's members wrote;
    the story's core ones (in the lede of half its members or more) missing from the article;
    their product (both sides disagree). Weekdays count only when the story was active within
    `DAY_WINDOW` days ("on Thursday" names one date only then). All 0 for a story stored before
    these channels existed, until it gains a member (its name channel is empty)."""
    if not len(story[0][0]):
        return [0.0] * 9
    core = max(1.0, size / 2)
    out = []
    for kind in range(3):  # names, numbers, weekdays
        if kind == 2 and age_days > DAY_WINDOW:
            out += [0.0, 0.0, 0.0]
            continue
        whole, mine = article[kind], article[3 + kind]
        (theirs, _), (lede_keys, lede_counts) = story[kind], story[3 + kind]
        a = missing(contains(theirs, mine)) if len(mine) else 0.0
        shared = lede_keys[lede_counts >= core]
        b = missing(contains(whole, shared)) if len(shared) else 0.0
        out += [a, b, a * b]
    return out
