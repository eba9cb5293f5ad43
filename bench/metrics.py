"""The article-extraction benchmark's metric: token 4-gram overlap, per page then averaged."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

TOKEN = re.compile(r"\w+")
NGRAM = 4


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    pages: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def __str__(self) -> str:
        return (
            f"F1 {self.f1:.3f}  P {self.precision:.3f}  R {self.recall:.3f}  ({self.pages} pages)"
        )


def shingles(text: str | None) -> Counter[str]:
    """The multiset of token 4-grams (a shorter text is one shingle, as in the benchmark)."""
    tokens = TOKEN.findall(text or "")
    count = max(1, len(tokens) - NGRAM + 1)
    return Counter(s for i in range(count) if (s := " ".join(tokens[i : i + NGRAM])))


def page_counts(true: str, predicted: str | None) -> tuple[float, float, float]:
    """tp, fp, fn of one page, each divided by tp + fp + fn."""
    want, got = shingles(true), shingles(predicted)
    tp = sum((want & got).values())
    fp = sum((got - want).values())
    fn = sum((want - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def corpus_score(pairs: Iterable[tuple[str, str | None]]) -> Score:
    """Mean page precision and recall over (true, predicted) pairs; F1 from the two means."""
    precisions: list[float] = []
    recalls: list[float] = []
    pages = 0
    for true, predicted in pairs:
        pages += 1
        tp, fp, fn = page_counts(true, predicted)
        if fp == 0 and fn == 0:
            precisions.append(1.0)
            recalls.append(1.0)
            continue
        if tp + fp > 0:
            precisions.append(tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(tp / (tp + fn))
    return Score(_mean(precisions), _mean(recalls), pages)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
