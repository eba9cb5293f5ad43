"""Topic matching: every query compiled once, all topics matched in one pass over an article."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import ahocorasick

from monitor.topics.fields import Body, Field
from monitor.topics.query import (
    And,
    Leaf,
    Node,
    Not,
    Part,
    matches_nothing_present,
    parse_query,
)
from monitor.topics.text import Token, fold, tokenize

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


@dataclass
class _Context:
    """One article being matched: its field indexes and the leaf results found so far."""

    fields: dict[str, Field]
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
        body = Body(doc.text)
        fields = {
            "title": Field.build((fold(doc.title),)),
            "text": body.field,
            "source": Field.build((fold(doc.source), fold(doc.domain))),
            "url": Field.build((fold(doc.url),)),
            "lang": Field.build((fold(doc.language or ""),)),
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

    def _result(self, topic: _Topic, ctx: _Context, body: Body) -> TopicMatch:
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
