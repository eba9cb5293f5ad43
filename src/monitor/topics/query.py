"""The topic query language: the parser to an AST (lexer: query_lex.py; folding: query_text.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.errors import QueryError
from monitor.topics.lex import Lex, lexemes
from monitor.topics.text import WORD_CHAR, tokenize

MIN_PREFIX = 2
MAX_DEPTH = 50  # nested parentheses, NOT and '-' (docs/queries.md#limits)
MAX_TERMS = 1000  # words and phrases as written


@dataclass(frozen=True)
class Part:
    """One word of a term or phrase; `prefix` for a trailing wildcard (russia*)."""

    text: str
    prefix: bool = False

    def __str__(self) -> str:
        return self.text + ("*" if self.prefix else "")


@dataclass(frozen=True)
class Leaf:
    """A term or phrase (consecutive parts), optionally scoped to one field."""

    parts: tuple[Part, ...]
    field: str | None
    pos: int
    written: str | None = None  # the hyphenated form this joined alternative stands for

    @property
    def label(self) -> str:
        return self.written or " ".join(str(p) for p in self.parts)


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]
    pos: int


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]
    pos: int


@dataclass(frozen=True)
class Not:
    child: Node
    pos: int


Node = Leaf | And | Or | Not


@dataclass(frozen=True)
class Query:
    """A parsed query: the source text and its AST."""

    text: str
    root: Node

    def __str__(self) -> str:
        return describe(self.root)


def describe(node: Node) -> str:
    """An S-expression of the AST, e.g. (AND legion (OR russia ukraine))."""
    if isinstance(node, Leaf):
        body = node.label if len(node.parts) == 1 else f'"{node.label}"'
        return f"{node.field}:{body}" if node.field else body
    if isinstance(node, Not):
        return f"(NOT {describe(node.child)})"
    name = "AND" if isinstance(node, And) else "OR"
    return f"({name} {' '.join(describe(c) for c in node.children)})"


def matches_nothing_present(node: Node) -> bool:
    """Whether the node is true for an article in which none of its terms occur."""
    if isinstance(node, Leaf):
        return False
    if isinstance(node, Not):
        return not matches_nothing_present(node.child)
    results = (matches_nothing_present(c) for c in node.children)
    return all(results) if isinstance(node, And) else any(results)


def _culprit(node: Node) -> int:
    """The column of the exclusion that makes a node match articles without any term."""
    if isinstance(node, Not | Leaf):
        return node.pos
    return next(_culprit(c) for c in node.children if matches_nothing_present(c))


class _Parser:
    """Recursive descent: and_expr := or_expr ([AND] or_expr)*; or_expr := unary (OR unary)*."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lexes = lexemes(text)
        self.i = 0
        self.depth = 0
        terms = [x for x in self.lexes if x.kind in ("WORD", "PHRASE")]
        if len(terms) > MAX_TERMS:
            raise QueryError(
                f"more than {MAX_TERMS} terms in one query",
                terms[MAX_TERMS].pos,
                "split it into several topics, or use wildcards (russia*)",
            )

    def deeper(self, lex: Lex) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(
                f"nested deeper than {MAX_DEPTH} levels (parentheses, NOT and -)",
                lex.pos,
                "write the query flatter: (a OR b OR c) needs no inner parentheses",
            )

    def peek(self) -> Lex | None:
        return self.lexes[self.i] if self.i < len(self.lexes) else None

    def take(self) -> Lex:
        lex = self.lexes[self.i]
        self.i += 1
        return lex

    def parse(self) -> Node:
        if not self.lexes:
            raise QueryError("empty query", 1, 'write a term or a "phrase" to look for')
        node = self.and_expr()
        extra = self.peek()
        if extra is not None:
            raise QueryError("unmatched ')'", extra.pos, "remove it or add the '(' it closes")
        return node

    def operand_follows(self, op: Lex) -> None:
        nxt = self.peek()
        if nxt is None or nxt.kind in ("RPAREN", "OR", "AND"):
            raise QueryError(
                f"{op.text} has nothing after it", op.pos, f"put a term after {op.text}"
            )

    def and_expr(self) -> Node:
        items: list[Node] = []
        while (lex := self.peek()) is not None and lex.kind != "RPAREN":
            if lex.kind == "AND":
                if not items:
                    raise QueryError("AND has nothing before it", lex.pos, "put a term before AND")
                self.take()
                self.operand_follows(lex)
            items.append(self.or_expr())
        if not items:
            raise QueryError("empty query", 1, 'write a term or a "phrase" to look for')
        return items[0] if len(items) == 1 else And(tuple(items), items[0].pos)

    def or_expr(self) -> Node:
        children = [self.unary()]
        while (lex := self.peek()) is not None and lex.kind == "OR":
            self.take()
            self.operand_follows(lex)
            children.append(self.unary())
        return children[0] if len(children) == 1 else Or(tuple(children), children[0].pos)

    def unary(self) -> Node:
        lex = self.peek()
        if lex is not None and lex.kind in ("MINUS", "NOT"):
            self.take()
            self.operand_follows(lex)
            self.deeper(lex)
            node = Not(self.unary(), lex.pos)
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        lex = self.take()
        if lex.kind == "OR":
            raise QueryError("OR has nothing before it", lex.pos, "put a term before OR")
        if lex.kind == "FIELD":
            return _scope(self.primary(), lex.text, lex.pos)
        if lex.kind == "LPAREN":
            if (nxt := self.peek()) is not None and nxt.kind == "RPAREN":
                raise QueryError("empty parentheses", lex.pos, "put terms inside or remove them")
            self.deeper(lex)
            node = self.and_expr()
            if self.peek() is None:
                raise QueryError("unclosed parenthesis", lex.pos, "add the missing ')'")
            self.take()
            self.depth -= 1
            return node
        if lex.kind in ("WORD", "PHRASE"):
            return _term(lex)
        raise QueryError(f"unexpected {lex.text!r}", lex.pos)  # pragma: no cover


def _scope(node: Node, field: str, pos: int) -> Node:
    """Apply a field scope to every term of a node."""
    if isinstance(node, Leaf):
        if node.field is not None:
            raise QueryError("field scope inside another field scope", node.pos)
        return Leaf(node.parts, field, pos, node.written)
    if isinstance(node, Not):
        return Not(_scope(node.child, field, pos), node.pos)
    children = tuple(_scope(c, field, pos) for c in node.children)
    return And(children, node.pos) if isinstance(node, And) else Or(children, node.pos)


def _term(lex: Lex) -> Node:
    """A bare word or a phrase as a Leaf (an Or with the joined form when hyphenated)."""
    text, start = lex.text, lex.pos + (1 if lex.kind == "PHRASE" else 0)
    words: list[tuple[Part, bool]] = []  # part, joined to the previous word by a hyphen
    for seg, prefix in _segments(text, start):
        tokens = tokenize(seg)
        for k, tok in enumerate(tokens):
            last = k == len(tokens) - 1
            words.append((Part(tok.text, prefix and last), tok.joined))
        if prefix and (not tokens or len(tokens[-1].text) < MIN_PREFIX):
            raise QueryError(f"a wildcard needs {MIN_PREFIX} letters before it", lex.pos)
    if not words:
        raise QueryError("no letters or digits to look for", lex.pos, "remove it")
    parts = tuple(p for p, _ in words)
    if not any(joined for _, joined in words):
        return Leaf(parts, None, lex.pos)
    written = "".join(("-" if joined else " ") + str(p) for p, joined in words)[1:]
    merged: list[Part] = []
    for part, joined in words:
        merged.append(Part(merged.pop().text + part.text, part.prefix) if joined else part)
    alternatives = (
        Leaf(parts, None, lex.pos, written),
        Leaf(tuple(merged), None, lex.pos, written),
    )
    return Or(alternatives, lex.pos)


def _segments(text: str, start: int) -> list[tuple[str, bool]]:
    """Split raw text at each valid trailing wildcard: [(segment, ends_with_wildcard)]."""
    out: list[tuple[str, bool]] = []
    prev = 0
    for m in re.finditer(r"\*", text):
        s = m.start()
        before = s > 0 and re.fullmatch(WORD_CHAR, text[s - 1]) is not None
        after = s + 1 < len(text) and (text[s + 1] == "*" or re.fullmatch(WORD_CHAR, text[s + 1]))
        if not before or after:
            raise QueryError(
                "a wildcard must end a word", start + s, "use * only at the end: russia*"
            )
        out.append((text[prev:s], True))
        prev = s + 1
    out.append((text[prev:], False))
    return out


def parse_query(text: str) -> Query:
    """Parse a topic query; raise QueryError with the 1-based column of the first fault."""
    root = _Parser(text).parse()
    if matches_nothing_present(root):
        raise QueryError(
            "the query would match articles that contain none of its terms",
            _culprit(root),
            "add a term to look for; exclusions (-term, NOT term) only narrow a match",
        )
    return Query(text, root)
