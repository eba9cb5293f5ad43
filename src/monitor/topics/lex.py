"""The query language's lexer: query text → lexemes (words, phrases, field scopes, operators).

Each lexeme carries its 1-based column, so query.py's parser can point a QueryError at the fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.errors import QueryError

FIELDS = frozenset({"title", "text", "source", "url", "lang"})


@dataclass(frozen=True)
class Lex:
    """A lexeme: kind is WORD, PHRASE, FIELD, LPAREN, RPAREN, OR, AND, NOT or MINUS."""

    kind: str
    text: str
    pos: int  # 1-based column


_QUOTES = '"\u201c\u201d\u201e'
_STOP = _QUOTES + "()|"
_OPERATORS = {"OR": "OR", "AND": "AND", "NOT": "NOT"}
_FIELD_RE = re.compile(r"([A-Za-z]+):(.*)", re.DOTALL)


def lexemes(text: str) -> list[Lex]:
    """The lexemes of a query, left to right; QueryError for a fault the lexer sees."""
    out: list[Lex] = []
    i, n = 0, len(text)
    while i < n:
        c, col = text[i], i + 1
        if c.isspace():
            i += 1
        elif c in "()|":
            out.append(Lex({"(": "LPAREN", ")": "RPAREN", "|": "OR"}[c], c, col))
            i += 1
        elif c in _QUOTES:
            end = next((j for j in range(i + 1, n) if text[j] in _QUOTES), -1)
            if end < 0:
                raise QueryError("unclosed quote", col, 'close the phrase with "')
            out.append(Lex("PHRASE", text[i + 1 : end], col))
            i = end + 1
        elif c == "-" and (not out or text[i - 1].isspace() or text[i - 1] in "(|"):
            if i + 1 >= n or text[i + 1].isspace() or text[i + 1] in ")|":
                raise QueryError("'-' has nothing to exclude", col, "write -term with no space")
            out.append(Lex("MINUS", c, col))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _STOP:
                j += 1
            out.extend(_word(text[i:j], col))
            if out[-1].kind == "FIELD" and (j >= n or text[j] not in _QUOTES + "("):
                field = out[-1].text
                raise QueryError(f"{field}: needs a value", j + 1, f"write {field}:word, no space")
            i = j
    return out


def _word(word: str, col: int) -> list[Lex]:
    if word in _OPERATORS:
        return [Lex(_OPERATORS[word], word, col)]
    m = _FIELD_RE.fullmatch(word)
    if not m:
        return [Lex("WORD", word, col)]
    field, rest = m.group(1).lower(), m.group(2)
    if field not in FIELDS:
        known = ", ".join(f"{f}:" for f in sorted(FIELDS))
        raise QueryError(f"unknown field {m.group(1)!r}", col, f"use one of {known}, or quote it")
    lexes = [Lex("FIELD", field, col)]
    if rest.startswith("-"):
        raise QueryError("exclusion inside a field scope", col, f"write -{field}:{rest[1:]}")
    if rest:
        lexes.append(Lex("WORD", rest, col + len(field) + 1))
    return lexes
