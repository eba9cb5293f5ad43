"""Article text for matching: a positional index of a field, and a body's snippet around the hits."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import islice

from monitor.topics.query import Part
from monitor.topics.text import TOKEN_RE, WORD_CHAR, fold

__all__ = ["Body", "Field"]


@dataclass(frozen=True)
class Field:
    """Positional index of one field of one article."""

    positions: dict[str, list[int]]
    joined: dict[str, list[tuple[int, int]]]  # hyphenated runs joined: antitank -> (start, end)
    words: list[str]  # the word at each position of the first text

    @classmethod
    def build(cls, texts: Iterable[str]) -> Field:
        """Index folded texts as one field, with a gap between consecutive texts."""
        positions: dict[str, list[int]] = {}
        joined: dict[str, list[tuple[int, int]]] = {}
        offset = 0
        words: list[str] = []
        for text in texts:
            tokens = TOKEN_RE.findall(text)
            if not offset:
                words = [word for word, _ in tokens]
            run: list[str] = []
            for i, (word, hyphen) in enumerate(tokens, offset):
                if (found := positions.get(word)) is None:
                    positions[word] = [i]
                else:
                    found.append(i)
                if hyphen or run:
                    run.append(word)
                    if not hyphen:
                        joined.setdefault("".join(run), []).append((i - len(run) + 1, i))
                        run = []
            offset += len(tokens) + 1  # a gap: phrases do not run from one text into the next
        return cls(positions, joined, words)

    def spans(self, part: Part, expand: Callable[[str], list[str]]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for word in expand(part.text) if part.prefix else (part.text,):
            out.extend((p, p) for p in self.positions.get(word, ()))
            out.extend(self.joined.get(word, ()))
        return out

    def find(self, parts: tuple[Part, ...], expand: Callable[[str], list[str]]) -> tuple[int, ...]:
        """Start positions where the parts occur as consecutive tokens."""
        if len(parts) == 1 and not parts[0].prefix and parts[0].text not in self.joined:
            return tuple(self.positions.get(parts[0].text, ()))
        ends = {e: s for s, e in self.spans(parts[0], expand)}
        for part in parts[1:]:
            if not ends:
                break
            ends = {e: ends[s - 1] for s, e in self.spans(part, expand) if s - 1 in ends}
        return tuple(sorted(set(ends.values())))


_WORD_CHAR_RE = re.compile(WORD_CHAR)
SNIPPET_CHARS = 260
SNIPPET_LEAD = 80  # characters of context kept before the best hit
WINDOW_TOKENS = 30  # the best hit is where most distinct terms fall within this many tokens


class Body:
    """An article body folded for matching; what snippets need is worked out on demand."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = fold(text)
        self.field = Field.build((self.folded,))

    def token_start(self, index: int) -> int:
        """The folded offset of token `index`, found by its word rather than tokenizing again."""
        word = self.field.words[index]
        rank = bisect_left(self.field.positions[word], index)
        if word != "s":  # the one word that is also a dropped possessive 's
            at = -1
            while rank >= 0:
                at = self.folded.find(word, at + 1)
                if at < 0:
                    break
                end = at + len(word)
                if not (
                    at > 0
                    and _WORD_CHAR_RE.match(self.folded, at - 1)
                    or _WORD_CHAR_RE.match(self.folded, end)
                ):
                    rank -= 1
            if at >= 0:
                return at
        return next(islice(TOKEN_RE.finditer(self.folded), index, None)).start()

    @cached_property
    def _odd(self) -> tuple[list[int], list[tuple[int, int]]]:
        """Where folding changed lengths (ß, …, ﬁ, stripped marks): folded starts, (at, size)."""
        chars = () if self.text.isascii() else set(self.text)
        odd = [c for c in chars if not c.isascii() and len(fold(c)) != 1]
        starts: list[int] = []
        sizes: list[tuple[int, int]] = []
        shift = 0
        if odd:
            for m in re.finditer("[" + re.escape("".join(odd)) + "]", self.text):
                size = len(fold(m.group()))
                starts.append(m.start() + shift)
                sizes.append((m.start(), size))
                shift += size - 1
        return starts, sizes

    def original(self, folded_at: int) -> int:
        """The offset in the body of an offset in its folded form."""
        starts, sizes = self._odd
        k = bisect_right(starts, folded_at) - 1
        if k < 0:
            return folded_at
        at, size = sizes[k]
        inside = folded_at - starts[k]
        return at if inside < size else at + 1 + inside - size

    def snippet(self, hits: Sequence[tuple[int, str]]) -> str:
        """About 200–300 characters around the best hit, cut at word boundaries."""
        body = self.text
        if not body.strip():
            return ""
        best = _best_hit(sorted(hits)) if hits else 0
        at = self.original(self.token_start(best)) if best < len(self.field.words) else 0
        start = 0
        if at > SNIPPET_LEAD:
            space = re.search(r"\s", body[at - SNIPPET_LEAD : at])
            start = at - SNIPPET_LEAD + space.end() if space else at
        end = start + SNIPPET_CHARS
        if end < len(body):
            cut = max(body.rfind(" ", start, end), body.rfind("\n", start, end))
            end = cut if cut > at else end
        text = " ".join(body[start:end].split())
        return ("…" if start > 0 else "") + text + ("…" if body[end:].strip() else "")


def _best_hit(hits: Sequence[tuple[int, str]]) -> int:
    """The earliest position with the most distinct terms within WINDOW_TOKENS after it."""
    best, most = hits[0][0], 0
    counts: dict[str, int] = {}
    j = 0
    for at, term in hits:
        while j < len(hits) and hits[j][0] < at + WINDOW_TOKENS:
            counts[hits[j][1]] = counts.get(hits[j][1], 0) + 1
            j += 1
        if len(counts) > most:
            best, most = at, len(counts)
        counts[term] -= 1
        if not counts[term]:
            del counts[term]
    return best
