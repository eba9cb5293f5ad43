"""Copy detection: precision/recall of MinHash/LSH (through the store) vs exact Jaccard.

Originals are the article bodies of ../shared/data/extraction and ../shared/data/stories; each gets
one synthetic copy (new headline, another boilerplate wrapper, 2–5 % of words changed, last 20 %
cut, two paragraphs swapped). Each copy is looked up against all originals (stored in file order);
the detector answers with the earliest matching original, as in the pipeline.

Labelling: the answer is *correct* if it is the copy's own original. It is *ambiguous* if it is
another original whose text is itself a near-copy of the copy's original by the detector's own
definition (exact shingle Jaccard of the two originals ≥ the threshold): the data sets hold such
republished articles (ECB+ in particular), so a copy of one is as much a copy of the other and the
earliest one is the right answer in the pipeline. Anything else is a false positive. Precision
is correct / (correct + false positives); recall is (correct + ambiguous) / copies; the strict
figures (ambiguous counted as wrong) are printed too.

Short texts: a headline and two lines of each original, all in one boilerplate wrapper; the first
half is stored, the second half looked up; any hit is a collision on boilerplate (unless the two
short texts are near-copies without it), with the shipped guard and with the guard switched off.

    .venv/bin/python bench/copies.py
"""

from __future__ import annotations

import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from monitor.stories.copies import CopyIndex, signature_bytes

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
WRAPPERS = [
    ("Advert\n", "\nSource: Read Full Article\n0 comments: Post a Comment"),
    ("Share this:\nFacebook Twitter\n", "\nPrevious article\nNext article\nRelated posts"),
]
BOILER = (
    "Share this: Facebook Twitter Email. Subscribe to our newsletter for the latest news. ",
    " Source: Read Full Article. 0 comments: Post a Comment. Previous article Next article "
    "Related posts. Copyright 2024 All rights reserved.",
)
_SENT = re.compile(r"(?<=[.!?])\s+")


def originals() -> list[tuple[str, str]]:
    """(title, body) of every distinct body with at least 50 words, in file order."""
    pairs = [
        ("", v["articleBody"])
        for v in json.loads((DATA / "extraction/ground-truth.json").read_text()).values()
    ]
    for name in ("ecbplus.dev.jsonl", "gva.dev.jsonl"):
        with open(DATA / "stories" / name, encoding="utf-8") as fh:
            pairs += [(r["title"], r["text"]) for r in map(json.loads, fh)]
    bodies: dict[str, str] = {}
    for title, body in pairs:
        bodies.setdefault(body, title)  # the first title of each distinct body
    return [(h, t) for t, h in bodies.items() if len(t.split()) >= 50]


def make_copy(text: str, rng: random.Random) -> str:
    paras = [p for p in text.split("\n") if p.strip()]
    if len(paras) >= 3:
        i = rng.randrange(len(paras) - 1)
        paras[i], paras[i + 1] = paras[i + 1], paras[i]
    words = "\n".join(paras).split(" ")
    words = words[: int(len(words) * 0.8)]
    for _ in range(int(len(words) * rng.uniform(0.02, 0.05))):
        words[rng.randrange(len(words))] = rng.choice(["reportedly", "officials", "local", "also"])
    head, tail = rng.choice(WRAPPERS)
    return f"A new headline for this copy\n{head}{' '.join(words)}{tail}"


def short_text(title: str, body: str) -> str:
    sents = _SENT.split(body.strip())
    head = title or sents.pop(0)
    return f"{BOILER[0]}{head}\n{' '.join(sents[:2])}{BOILER[1]}"


def exact(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


class Exact:
    """The baseline: exact Jaccard and exact shared-shingle count against every stored text
    (inverted index for speed; the answer is that of a scan of all), earliest above both."""

    def __init__(self, index: CopyIndex, texts: Sequence[str]) -> None:
        self.sh = [index.hasher.shingles(t) for t in texts]
        self.post: dict[str, list[int]] = {}
        for j, s in enumerate(self.sh):
            for x in s:
                self.post.setdefault(x, []).append(j)

    def find(self, shingles: set[str], th: float, min_shared: int) -> int | None:
        hits = Counter(j for x in shingles for j in self.post.get(x, ()))
        n = len(shingles)
        ok = [j for j, k in hits.items() if k >= min_shared and k / (n + len(self.sh[j]) - k) >= th]
        return min(ok) if ok else None


def score(
    answers: Sequence[int | None], ambiguous: Callable[[int, int], bool]
) -> tuple[int, int, int, int]:
    ok = amb = fp = fn = 0
    for i, a in enumerate(answers):
        if a is None:
            fn += 1
        elif a == i:
            ok += 1
        elif ambiguous(i, a):
            amb += 1
        else:
            fp += 1
    return ok, amb, fp, fn


def line(name: str, counts: tuple[int, int, int, int], seconds: float) -> str:
    ok, amb, fp, fn = counts
    n = ok + amb + fp + fn
    return (
        f"{name}: precision {ok / max(ok + fp, 1):.4f} recall {(ok + amb) / n:.4f} "
        f"(correct {ok}, ambiguous {amb}, false positives {fp}, missed {fn}; strict precision "
        f"{ok / max(ok + amb + fp, 1):.4f}, strict recall {ok / n:.4f}) {seconds:.1f}s"
    )


def lsh_answers(
    index: CopyIndex, stored: Sequence[str], queries: Sequence[str]
) -> list[int | None]:
    """Store *stored* (ids 1..n, one second apart) as the engine does, look each query up."""
    from monitor.store import fingerprints
    from monitor.store.db import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp))
        out: list[int | None] = []
        with store.begin() as conn:
            for i, x in enumerate(stored):
                sig = index.fingerprint(x)
                if sig is not None:
                    when = datetime(2020, 1, 1, 0, 0, i % 60, tzinfo=UTC)
                    keys = index.band_keys(sig)
                    fingerprints.add(conn, i + 1, signature_bytes(sig), when, keys)
            for q in queries:
                sig = index.fingerprint(q)
                found = None
                if sig is not None:
                    found = index.original(sig, fingerprints.candidates(conn, index.band_keys(sig)))
                out.append(found.article_id - 1 if found else None)
        store.engine.dispose()
    return out


def main() -> int:
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return 0
    rng = random.Random(7)
    pairs = originals()
    texts = [t for _, t in pairs]
    copies = [make_copy(t, rng) for t in texts]
    index = CopyIndex()
    th = index.settings.threshold
    base = Exact(index, texts)

    def ambiguous(i: int, j: int) -> bool:
        return exact(base.sh[i], base.sh[j]) >= th

    t = time.perf_counter()
    answers = lsh_answers(index, texts, copies)
    lsh_s = time.perf_counter() - t
    t = time.perf_counter()
    guard = index.settings.min_shingles
    exact_answers = [base.find(index.hasher.shingles(c), th, guard) for c in copies]
    base_s = time.perf_counter() - t
    counts = score(answers, ambiguous)
    print(f"originals {len(texts)} copies {len(copies)} threshold {th} ({index.settings})")
    print(line("minhash/lsh (store)", counts, lsh_s))
    print(line("exact jaccard baseline", score(exact_answers, ambiguous), base_s))
    shown = [(i, a) for i, a in enumerate(answers) if a is not None and a != i]
    shown.sort(key=lambda p: ambiguous(*p))  # false positives first
    for i, a in shown[:5]:
        kind = "ambiguous" if ambiguous(i, a) else "FALSE POSITIVE"
        print(
            f"  {kind}: copy of #{i} -> #{a}: J(originals) {exact(base.sh[i], base.sh[a]):.2f}, "
            f"J(copy, #{a}) {exact(index.hasher.shingles(copies[i]), base.sh[a]):.2f}\n"
            f"    #{i}: {texts[i][:110]!r}\n    #{a}: {texts[a][:110]!r}"
        )
    short_guard(index, pairs)
    return 0


def short_guard(index: CopyIndex, pairs: Sequence[tuple[str, str]]) -> None:
    shorts = [short_text(h, t) for h, t in pairs]
    bare = [
        index.hasher.shingles(s.removeprefix(BOILER[0]).removesuffix(BOILER[1])) for s in shorts
    ]
    half = len(shorts) // 2
    words = sorted(len(s.split()) for s in shorts)
    print(
        f"short texts {len(shorts)} (headline + two lines + boilerplate, median "
        f"{words[len(words) // 2]} words); {half} stored, {len(shorts) - half} looked up"
    )
    for name, idx in (
        ("guard on", index),
        ("guard off", CopyIndex(replace(index.settings, min_shingles=1))),
    ):
        printed = sum(idx.fingerprint(s) is not None for s in shorts)
        answers = lsh_answers(idx, shorts[:half], shorts[half:])
        th = idx.settings.threshold
        hits = [(half + i, a) for i, a in enumerate(answers) if a is not None]
        near = sum(exact(bare[q], bare[a]) >= th for q, a in hits)
        fp = len(hits) - near
        print(
            f"  {name} (min_shingles {idx.settings.min_shingles}): fingerprinted "
            f"{printed}/{len(shorts)}, boilerplate collisions {fp}/{len(answers)} "
            f"= {fp / len(answers):.4f} (plus {near} near-copies without the boilerplate)"
        )


if __name__ == "__main__":
    sys.exit(main())
