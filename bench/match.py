"""Benchmark topic matching: articles/s with 10, 100 and 1,000 topics against a naive baseline.

Run: .venv/bin/python bench/match.py [--broad]

The articles are the bodies of ../shared/data/extraction/ground-truth.json. Topics are generated
deterministically (seeded) from the corpus vocabulary: phrases of capitalised words, mid-frequency
terms, ORs, exclusions, prefix wildcards and field scopes. The naive baseline compiles one regex
per term and evaluates topic by topic, as a straightforward implementation would.
"""

from __future__ import annotations

import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from monitor.topics.match import MatchDoc, Matcher, TopicSpec
from monitor.topics.query import And, Leaf, Node, Not, parse_query
from monitor.topics.text import fold, tokenize

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CORPUS = DATA / "extraction" / "ground-truth.json"
SIZES = (10, 100, 1000)
MIN_SECONDS = 0.3
REPEATS = 5


def load_docs() -> list[MatchDoc]:
    if not CORPUS.exists():
        sys.exit(f"bench/match.py: corpus not found at {CORPUS} (needs ../shared/data/extraction)")
    docs = []
    for item in json.loads(CORPUS.read_text(encoding="utf-8")).values():
        url, body = item["url"], item["articleBody"]
        slug = [s for s in urlsplit(url).path.split("/") if re.search(r"[a-z]-[a-z]", s)]
        title = (
            slug[-1].replace("-", " ").rsplit(".", 1)[0] if slug else " ".join(body.split()[:10])
        )
        domain = urlsplit(url).hostname or ""
        docs.append(MatchDoc(title, body, url, domain.removeprefix("www."), domain, "en"))
    return docs


def make_topics(docs: list[MatchDoc], count: int, broad: bool = False) -> list[TopicSpec]:
    """Queries as users write them: names (proper nouns, multi-word names) and topical words.

    broad=True draws terms from all mid-frequency words instead (collect, press, ...): a stress
    case where each topic matches several percent of all articles."""
    rng = random.Random(42)
    df: Counter[str] = Counter()
    proper: Counter[str] = Counter()
    phrases: Counter[str] = Counter()
    for doc in docs:
        df.update({t.text for t in tokenize(doc.text)})
        proper.update({w.lower() for w in re.findall(r"(?<=[a-z,] )[A-Z][a-z]{3,}\b", doc.text)})
        phrases.update(set(re.findall(r"\b[A-Z][a-z]{2,}(?: [A-Z][a-z]{2,}){1,2}\b", doc.text)))
    if broad:
        terms = sorted(w for w, n in df.items() if 2 <= n <= 8 and len(w) >= 4 and w.isalpha())
    else:
        names = sorted(w for w in proper if df[w] <= 5)
        topical = sorted(w for w, n in df.items() if 2 <= n <= 4 and len(w) >= 6 and w.isalpha())
        terms = names + topical[: len(names)]
    long_terms = [w for w in terms if len(w) >= 7]
    names = sorted(p for p in phrases if df[p.split()[0].lower()] <= 10)  # not "The September"
    domains = sorted({d.domain.removeprefix("www.") for d in docs})

    def t() -> str:
        return rng.choice(terms)

    def p() -> str:
        return f'"{rng.choice(names)}"'

    templates: list[Callable[[], str]] = [
        lambda: f"{p()} OR {p()} -{t()}",
        lambda: f"{t()} {t()}",
        lambda: f"({t()} OR {t()}) AND {rng.choice(long_terms)[:5]}*",
        lambda: f"title:{t()} OR {p()}",
        lambda: f'{p()} -"{rng.choice(names)}"',
        lambda: f"{t()} source:{rng.choice(domains)}",
        lambda: f"text:{p()} NOT {t()}",
        lambda: f"{t()} | {t()} | {t()}",
        lambda: f"{p()}",
        lambda: f"{rng.choice(long_terms)[:6]}* {t()} -title:{t()}",
    ]
    return [TopicSpec(f"topic-{i}", templates[i % len(templates)]()) for i in range(count)]


class Naive:
    """The baseline: one compiled regex per term, each topic evaluated on its own."""

    def __init__(self, topics: list[TopicSpec]) -> None:
        self.topics = [(spec.name, self._compile(parse_query(spec.query).root)) for spec in topics]

    def _compile(self, node: Node) -> Callable[[dict[str, str]], bool]:
        if isinstance(node, Leaf):
            words = [re.escape(p.text) + (r"\w*" if p.prefix else "") for p in node.parts]
            regex = re.compile(r"\b" + r"\W+".join(words) + r"\b")
            names = ("title", "text") if node.field is None else (node.field,)
            return lambda doc: any(regex.search(doc[n]) for n in names)
        if isinstance(node, Not):
            inner = self._compile(node.child)
            return lambda doc: not inner(doc)
        tests = [self._compile(c) for c in node.children]
        if isinstance(node, And):
            return lambda doc: all(t(doc) for t in tests)
        return lambda doc: any(t(doc) for t in tests)

    def match(self, doc: MatchDoc) -> list[str]:
        fields = {
            "title": fold(doc.title),
            "text": fold(doc.text),
            "source": fold(f"{doc.source} / {doc.domain}"),
            "url": fold(doc.url),
            "lang": fold(doc.language or ""),
        }
        return [name for name, test in self.topics if test(fields)]


def rate(match: Callable[[MatchDoc], object], docs: list[MatchDoc], repeats: int) -> float:
    """Articles per second: the best of `repeats` timings of whole rounds over the corpus.

    The best, not the mean, as timeit does: other processes only ever make a round slower."""
    best = 0.0
    for _ in range(repeats):
        done, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < MIN_SECONDS or not done:
            for doc in docs:
                match(doc)
            done += len(docs)
        best = max(best, done / elapsed)
    return best


def main() -> None:
    broad = "--broad" in sys.argv[1:]
    docs = load_docs()
    topics = make_topics(docs, max(SIZES), broad)
    print(f"{len(docs)} articles, {sum(len(d.text) for d in docs) // len(docs)} chars on average")
    print("sample topics:", *(f"  {t.query}" for t in topics[:10]), sep="\n")
    print(
        f"\n{'topics':>7} {'compile ms':>11} {'matcher art/s':>14} {'naive art/s':>12} "
        f"{'speed-up':>9} {'hits/art':>9} {'agree':>6}"
    )
    rates: dict[int, tuple[float, float]] = {}
    for n in SIZES:
        start = time.perf_counter()
        matcher = Matcher(topics[:n])
        compile_ms = (time.perf_counter() - start) * 1000
        naive = Naive(topics[:n])
        ours = {(i, m.topic) for i, d in enumerate(docs) for m in matcher.match(d)}
        theirs = {(i, name) for i, d in enumerate(docs) for name in naive.match(d)}
        agree = 1 - len(ours ^ theirs) / max(1, len(ours | theirs))
        fast = rate(matcher.match, docs, REPEATS)
        slow = rate(naive.match, docs, 1 if n >= 1000 else 3)  # a naive round takes seconds
        rates[n] = (fast, slow)
        print(
            f"{n:>7} {compile_ms:>11.1f} {fast:>14.0f} {slow:>12.0f} {fast / slow:>8.1f}x "
            f"{len(ours) / len(docs):>9.1f} {agree:>6.1%}"
        )
    lo, hi = min(SIZES), max(SIZES)
    print(
        f"\ncost per article, {hi} vs {lo} topics: matcher {rates[lo][0] / rates[hi][0]:.2f}x "
        f"(target <= 5x), naive {rates[lo][1] / rates[hi][1]:.1f}x"
    )
    print(
        f"matcher vs naive at {hi} topics: {rates[hi][0] / rates[hi][1]:.1f}x faster "
        "(target >= 20x)"
    )


if __name__ == "__main__":
    main()
