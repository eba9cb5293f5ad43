"""Text normalisation shared by queries and documents: folding and the word tokenizer."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType

HYPHENS = "-\u2010\u2011"
# Marks dropped by folding (Latin/Greek/Cyrillic accents, Arabic harakat), and letters that
# NFKD does not decompose; "_" becomes a separator so that URL words like ukraine_war split.
_MARKS_RE = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u064b-\u065f]"
)
_LETTERS = MappingProxyType(
    {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"}
)
_LETTERS_RE = re.compile(f"[{''.join(_LETTERS)}]")
# Word characters: \w plus the marks that are part of letters in Indic, Thai and Hebrew script.
WORD_CHAR = "[\\w\u0900-\u0963\u0966-\u0dff\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u0591-\u05bd\u05c1-\u05c7\u200c\u200d]"
# One token: a word, an optional possessive 's (dropped), and a hyphen when a word follows it.
TOKEN_RE = re.compile(
    f"({WORD_CHAR}+)(?:['\u2019\u02bc]s(?!{WORD_CHAR}))?([{HYPHENS}](?={WORD_CHAR}))?"
)


def fold(text: str) -> str:
    """Case- and diacritics-insensitive form: NFKD, casefold, accents dropped."""
    if text.isascii():
        return text.lower().replace("_", " ")
    text = _MARKS_RE.sub("", unicodedata.normalize("NFKD", text).casefold())
    if _LETTERS_RE.search(text):
        text = _LETTERS_RE.sub(lambda m: _LETTERS[m.group()], text)
    return text.replace("_", " ")


@dataclass(frozen=True)
class Token:
    """A normalised word; `joined` when a hyphen ties it to the word before (anti-tank)."""

    text: str
    position: int
    joined: bool = False


def tokenize(text: str) -> list[Token]:
    """Split text into normalised word tokens, the same way for queries and documents."""
    tokens: list[Token] = []
    joined = False
    for i, (word, hyphen) in enumerate(TOKEN_RE.findall(fold(text))):
        tokens.append(Token(word, i, joined))
        joined = bool(hyphen)
    return tokens
