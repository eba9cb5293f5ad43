"""Topic matching: every query compiled once, all topics matched in one pass over an article."""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice

import ahocorasick

from monitor.query import (
    TOKEN_RE,
    WORD_CHAR,
    And,
    Leaf,
    Node,
    Not,
    Part,
    Token,
    fold,
    matches_nothing_present,
    parse_query,
    tokenize,
)

__all__ = ["Hit", "MatchDoc", "Matcher", "Token", "TopicMatch", "TopicSpec", "tokenize"]

TITLE_WEIGHT = 3.0  # a term in the headline
LEAD_WEIGHT = 2.0  # a term within the first LEAD_TOKENS words of the body
LEAD_TOKENS = 50
META_WEIGHT = 0.5  # a source:, url: or lang: term
BODY_FIELDS = ("title", "text")


@dataclass(frozen=True)
class TopicSpec:
    """A topic as configured: its query and optional source and language scopes."""

    name: str
    query: str
    sources: frozenset[str] | None = None  # allowed source names; None = all
    languages: frozenset[str] | None = None  # allowed language codes; None = all


@dataclass(frozen=True)
class MatchDoc:
    """The parts of an article that queries can see."""

    title: str
    text: str
    url: str
    source: str
    domain: str
    language: str | None


@dataclass(frozen=True)
class Hit:
    """One query term found in one field, with its token positions there."""

    term: str
    field: str
    positions: tuple[int, ...]


@dataclass(frozen=True)
class TopicMatch:
    """A topic that matched an article: why (hits), how well (score), and where (snippet)."""

    topic: str
    score: float
    hits: tuple[Hit, ...]
    snippet: str


@dataclass(frozen=True)
class _Field:
    """Positional index of one field of one article."""

    positions: dict[str, list[int]]
    joined: dict[str, list[tuple[int, int]]]  # hyphenated runs joined: antitank -> (start, end)
    words: list[str]  # the word at each position of the first text

    @classmethod
    def build(cls, texts: Iterable[str]) -> _Field:
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


@dataclass
class _Context:
    """One article being matched: its field indexes and the leaf results found so far."""

    fields: dict[str, _Field]
    leaves: list[Leaf]
    prefix_words: dict[str, list[str]]
    cache: dict[int, tuple[tuple[str, tuple[int, ...]], ...]] = field(default_factory=dict)

    def expand(self, prefix: str) -> list[str]:
        return self.prefix_words.get(prefix, [])

    def find(self, leaf_id: int) -> tuple[tuple[str, tuple[int, ...]], ...]:
        found = self.cache.get(leaf_id)
        if found is None:
            leaf = self.leaves[leaf_id]
            found = ()
            for name in BODY_FIELDS if leaf.field is None else (leaf.field,):
                if positions := self.fields[name].find(leaf.parts, self.expand):
                    found += ((name, positions),)
            self.cache[leaf_id] = found
        return found


_Eval = Callable[[_Context], bool]


@dataclass(frozen=True)
class _Topic:
    spec: TopicSpec
    test: _Eval
    positive: tuple[int, ...]  # leaf ids whose presence counts as a hit
    languages: frozenset[str] | None


class Matcher:
    """All topics compiled into one index; `match` runs them over an article in one pass."""

    def __init__(self, topics: Sequence[TopicSpec]) -> None:
        self._leaves: list[Leaf] = []
        self._leaf_ids: dict[Leaf, int] = {}
        self._topics: list[_Topic] = []
        self._exact: dict[str, list[int]] = {}
        prefixes: dict[str, list[int]] = {}
        for tid, spec in enumerate(topics):
            root = parse_query(spec.query).root
            positive = tuple(dict.fromkeys(self._intern(leaf) for leaf in _positive(root)))
            langs = frozenset(map(_lang, spec.languages)) if spec.languages is not None else None
            self._topics.append(_Topic(spec, self._compile(root), positive, langs))
            for part in set(_triggers(root)):
                (prefixes if part.prefix else self._exact).setdefault(part.text, []).append(tid)
            for leaf in _leaves(root):  # every prefix is expanded, triggering or not
                for part in leaf.parts:
                    if part.prefix:
                        prefixes.setdefault(part.text, [])
        self._exact_keys = frozenset(self._exact)
        self._prefixes = prefixes
        self._automaton = ahocorasick.Automaton()
        for prefix in prefixes:
            self._automaton.add_word("\x01" + prefix, prefix)
        if prefixes:
            self._automaton.make_automaton()

    def _intern(self, leaf: Leaf) -> int:
        key = Leaf(leaf.parts, leaf.field, 0, leaf.written)
        if key not in self._leaf_ids:
            self._leaf_ids[key] = len(self._leaves)
            self._leaves.append(leaf)
        return self._leaf_ids[key]

    def _compile(self, node: Node) -> _Eval:
        if isinstance(node, Leaf):
            leaf_id = self._intern(node)
            return lambda ctx: bool(ctx.find(leaf_id))
        if isinstance(node, Not):
            inner = self._compile(node.child)
            return lambda ctx: not inner(ctx)
        tests = tuple(self._compile(c) for c in node.children)
        if len(tests) == 2:
            first, second = tests
            if isinstance(node, And):
                return lambda ctx: first(ctx) and second(ctx)
            return lambda ctx: first(ctx) or second(ctx)
        if isinstance(node, And):
            return lambda ctx: all(t(ctx) for t in tests)
        return lambda ctx: any(t(ctx) for t in tests)

    def match(self, doc: MatchDoc) -> list[TopicMatch]:
        """The topics that match the article, in configuration order."""
        body = _Body(doc.text)
        fields = {
            "title": _Field.build((fold(doc.title),)),
            "text": body.field,
            "source": _Field.build((fold(doc.source), fold(doc.domain))),
            "url": _Field.build((fold(doc.url),)),
            "lang": _Field.build((fold(doc.language or ""),)),
        }
        vocab: set[str] = set()
        for f in fields.values():
            vocab.update(f.positions)
            vocab.update(f.joined)
        candidates: set[int] = set()
        for word in self._exact_keys & vocab:
            candidates.update(self._exact[word])
        prefix_words: dict[str, list[str]] = {}
        if self._prefixes:
            haystack = "\x01" + "\x01".join(vocab)
            for end, prefix in self._automaton.iter(haystack):
                start = end - len(prefix) + 1
                stop = haystack.find("\x01", start)
                word = haystack[start:] if stop < 0 else haystack[start:stop]
                prefix_words.setdefault(prefix, []).append(word)
                candidates.update(self._prefixes[prefix])
        ctx = _Context(fields, self._leaves, prefix_words)
        doc_lang = _lang(doc.language) if doc.language else None
        out = []
        for tid in sorted(candidates):
            topic = self._topics[tid]
            if topic.spec.sources is not None and doc.source not in topic.spec.sources:
                continue
            if topic.languages is not None and doc_lang and doc_lang not in topic.languages:
                continue
            if topic.test(ctx):
                out.append(self._result(topic, ctx, body))
        return out

    def _result(self, topic: _Topic, ctx: _Context, body: _Body) -> TopicMatch:
        merged: dict[tuple[str, str], tuple[int, ...]] = {}
        for leaf_id in topic.positive:
            label = self._leaves[leaf_id].label
            for name, positions in ctx.find(leaf_id):
                if (label, name) in merged:  # a hyphenated term and its joined form: one label
                    positions = tuple(sorted({*merged[label, name], *positions}))
                merged[label, name] = positions
        hits = tuple(Hit(term, name, positions) for (term, name), positions in merged.items())
        in_body = [(p, h.term) for h in hits if h.field == "text" for p in h.positions]
        return TopicMatch(topic.spec.name, score(hits), hits, body.snippet(in_body))


def score(hits: Sequence[Hit]) -> float:
    """Sum over the distinct terms hit: 3·in title + 2·in lead + log2(1 + body count) + 0.5·meta."""
    by_term: dict[str, dict[str, tuple[int, ...]]] = {}
    for hit in hits:
        by_term.setdefault(hit.term, {})[hit.field] = hit.positions
    total = 0.0
    for fields in by_term.values():
        body = fields.get("text", ())
        total += TITLE_WEIGHT if "title" in fields else 0.0
        total += LEAD_WEIGHT if body and body[0] < LEAD_TOKENS else 0.0
        total += math.log2(1 + len(body))
        total += META_WEIGHT if fields.keys() - set(BODY_FIELDS) else 0.0
    return round(total, 3)


def _lang(code: str) -> str:
    return code.strip().casefold().replace("_", "-").split("-")[0]


def _positive(node: Node, negated: bool = False) -> Iterable[Leaf]:
    """The leaves whose presence supports a match (under an even number of NOTs)."""
    if isinstance(node, Leaf):
        return () if negated else (node,)
    if isinstance(node, Not):
        return _positive(node.child, not negated)
    return (leaf for c in node.children for leaf in _positive(c, negated))


def _leaves(node: Node) -> Iterable[Leaf]:
    if isinstance(node, Leaf):
        return (node,)
    children = (node.child,) if isinstance(node, Not) else node.children
    return (leaf for c in children for leaf in _leaves(c))


def _best(parts: tuple[Part, ...]) -> Part:
    """The part of a term or phrase to index: an exact word before a prefix, longer first."""
    return max(parts, key=lambda p: (not p.prefix, len(p.text)))


def _triggers(node: Node) -> list[Part]:
    """Words of which at least one occurs in every article the node matches.

    Only called on nodes that are false for an article without any of their terms."""
    if isinstance(node, Leaf):
        return [_best(node.parts)]
    if isinstance(node, And):
        options = [_triggers(c) for c in node.children if not matches_nothing_present(c)]
        return min(
            options,
            key=lambda ps: (len(ps), sum(p.prefix for p in ps), -min(len(p.text) for p in ps)),
        )
    if isinstance(node, Not):  # NOT over something that needs exclusions: any term will do
        return [_best(leaf.parts) for leaf in _leaves(node)]
    return [p for c in node.children for p in _triggers(c)]


_WORD_CHAR_RE = re.compile(WORD_CHAR)
SNIPPET_CHARS = 260
SNIPPET_LEAD = 80  # characters of context kept before the best hit
WINDOW_TOKENS = 30  # the best hit is where most distinct terms fall within this many tokens


class _Body:
    """An article body folded for matching; what snippets need is worked out on demand."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = fold(text)
        self.field = _Field.build((self.folded,))

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
