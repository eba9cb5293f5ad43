"""Story text features: stemmed words, entity-like tokens (capitalised runs, numbers, years)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from hashlib import blake2b

from monitor.story_dates import text_dates

_STOP = frozenset(
    """a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours said says say told according one two
    new news us mr mrs ms dr via per st monday tuesday wednesday thursday friday saturday sunday
    today yesterday tomorrow week weeks day days year years month months time times january
    february march april may june july august september october november december jan feb mar apr
    jun jul aug sep sept oct nov dec people police man woman men women report reports reported pm
    p m""".split()  # noqa: SIM905
)
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


def _hash(term: str) -> int:
    return int.from_bytes(blake2b(term.encode(), digest_size=8).digest(), "little", signed=True)


@dataclass
class Doc:
    """Hashed term counts of one article: words, entity-like tokens, title words, numbers."""

    words: defaultdict[int, float] = field(default_factory=lambda: defaultdict(float))
    ents: defaultdict[int, float] = field(default_factory=lambda: defaultdict(float))
    title: defaultdict[int, float] = field(default_factory=lambda: defaultdict(float))
    numbers: set[int] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    dates: list[int] = field(default_factory=list)  # calendar dates written in it (ordinals)


def featurize(
    title: str, text: str, title_weight: float, hashes: dict[str, int] | None = None
) -> Doc:
    """Words (stemmed, no stop words), and entity-like tokens: capitalised runs and numbers.

    *hashes* memoises term → hash across calls (the caller owns and bounds it).
    """
    memo: dict[str, int] = {} if hashes is None else hashes

    def _h(term: str) -> int:
        value = memo.get(term)
        if value is None:
            value = memo[term] = _hash(term)
        return value

    doc = Doc()
    for part, weight in ((title, title_weight), (text, 1.0)):
        end, run = 0, ""
        for m in _TOKEN.finditer(part):
            tok, gap = m.group(), part[end : m.start()]
            end = m.end()
            low = tok.lower()
            if low in _STOP and not tok[0].isdigit():
                run = ""
                continue
            stem = _stem(low)
            w = _h("w:" + stem)
            if tok[0].isdigit():
                e = _h("e:#" + low)
                doc.ents[e] += weight
                doc.numbers.add(e)
                if _YEAR.fullmatch(low):
                    doc.years.add(e)
                doc.words[w] += weight
                run = ""
            elif len(stem) >= 2:
                doc.words[w] += weight
                if part is title:
                    doc.title[w] += 1
                if tok[0].isupper():
                    doc.ents[_h("e:" + stem)] += weight
                    if run and not gap.strip() and not _SENTENCE_GAP.search(gap):
                        doc.ents[_h("e:" + run + "_" + stem)] += weight
                    run = stem
                else:
                    run = ""
            else:
                run = ""
    doc.dates = text_dates(title + "\n" + text)
    return doc
