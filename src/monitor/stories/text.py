"""Story text features: stemmed words, entity-like tokens (capitalised runs, numbers, years)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from monitor.stories.dates import text_dates
from monitor.stories.lede import Lede, lede
from monitor.stories.words import STOP_WORDS
from monitor.stories.words import term_hash as _hash

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_SENTENCE_GAP = re.compile(r"[.!?\n]")
_YEAR = re.compile(r"(?:19|20)\d\d")


def _stem(word: str) -> str:
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@dataclass
class Doc:
    """Hashed term counts of one article: words, entity-like tokens, title words, numbers."""

    words: defaultdict[int, float] = field(default_factory=lambda: defaultdict(float))
    ents: defaultdict[int, float] = field(default_factory=lambda: defaultdict(float))
    title: defaultdict[int, float] = field(default_factory=lambda: defaultdict(float))
    numbers: set[int] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    dates: list[int] = field(default_factory=list)  # calendar dates written in it (ordinals)
    lede: Lede = field(default_factory=Lede)  # names, numbers, weekdays of title and first lines


# One token's part in the features, memoised by its exact spelling (bounded, pure: no state).
# (kind, word hash, entity hash, stem): kind 0 stop word, 1 number, 2 year, 3 lower-case word,
# 4 capitalised word, 5 too short to count.
_Info = tuple[int, int, int, str]
_MEMO_MAX = 200_000
_TOKENS: dict[str, _Info] = {}
_PAIRS: dict[tuple[str, str], int] = {}  # capitalised bigram (run, stem) → entity hash
_GAP_TOKEN = re.compile(r"(.*?)([^\W_]+(?:['’][^\W_]+)?)", re.S)  # (text before, token)


def _info(tok: str, hashes: dict[str, int]) -> _Info:
    def _h(term: str) -> int:
        value = hashes.get(term)
        if value is None:
            value = hashes[term] = _hash(term)
        return value

    low = tok.lower()
    digit = tok[0].isdigit()
    if low in STOP_WORDS and not digit:
        return (0, 0, 0, "")
    stem = _stem(low)
    w = _h("w:" + stem)
    if digit:
        return (2 if _YEAR.fullmatch(low) else 1, w, _h("e:#" + low), stem)
    if len(stem) < 2:
        return (5, w, 0, stem)
    if tok[0].isupper():
        return (4, w, _h("e:" + stem), stem)
    return (3, w, 0, stem)


def featurize(
    title: str, text: str, title_weight: float, hashes: dict[str, int] | None = None
) -> Doc:
    """Words (stemmed, no stop words), and entity-like tokens: capitalised runs and numbers.

    *hashes* memoises term → hash across calls (the caller owns and bounds it); tokens are
    also memoised module-wide (bounded), so a known word costs one dict lookup.
    """
    memo: dict[str, int] = {} if hashes is None else hashes
    if len(_TOKENS) > _MEMO_MAX:
        _TOKENS.clear()
    if len(_PAIRS) > _MEMO_MAX:
        _PAIRS.clear()
    tokens, pairs = _TOKENS, _PAIRS
    doc = Doc()
    words, ents, numbers, years = doc.words, doc.ents, doc.numbers, doc.years
    for part, weight in ((title, title_weight), (text, 1.0)):
        is_title = part is title
        run = ""
        for gap, tok in _GAP_TOKEN.findall(part):
            info = tokens.get(tok)
            if info is None:
                info = tokens[tok] = _info(tok, memo)
            kind = info[0]
            if kind == 4:  # capitalised word: an entity, and a bigram with the run before it
                w, stem = info[1], info[3]
                words[w] += weight
                if is_title:
                    doc.title[w] += 1
                ents[info[2]] += weight
                if run and (not gap or gap.isspace()) and "\n" not in gap:
                    pair = pairs.get((run, stem))
                    if pair is None:
                        pair = pairs[(run, stem)] = _hash("e:" + run + "_" + stem)
                    ents[pair] += weight
                run = stem
            elif kind == 3:
                w = info[1]
                words[w] += weight
                if is_title:
                    doc.title[w] += 1
                run = ""
            elif kind in (1, 2):
                e = info[2]
                ents[e] += weight
                numbers.add(e)
                if kind == 2:
                    years.add(e)
                words[info[1]] += weight
                run = ""
            else:
                run = ""
    doc.dates = text_dates(title + "\n" + text)
    doc.lede = lede(title, text)
    return doc
