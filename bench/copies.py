"""Copy detection: precision/recall of MinHash/LSH (through the store) vs exact Jaccard.

Originals are the article bodies of ../shared/data/extraction and ../shared/data/stories; each gets
one synthetic copy (new headline, another boilerplate wrapper, 2–5 % of words changed, last 20 %
cut, two paragraphs swapped). Each copy is looked up against all originals; a hit on any other
original is a false positive.

    .venv/bin/python bench/copies.py
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from monitor.dedup import CopyIndex

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
WRAPPERS = [
    ("Advert\n", "\nSource: Read Full Article\n0 comments: Post a Comment"),
    ("Share this:\nFacebook Twitter\n", "\nPrevious article\nNext article\nRelated posts"),
]


def originals() -> list[str]:
    texts = [
        v["articleBody"]
        for v in json.loads((DATA / "extraction/ground-truth.json").read_text()).values()
    ]
    for name in ("ecbplus.dev.jsonl", "gva.dev.jsonl"):
        with open(DATA / "stories" / name, encoding="utf-8") as fh:
            texts += [json.loads(line)["text"] for line in fh]
    return [t for t in dict.fromkeys(texts) if len(t.split()) >= 50]


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


def main() -> int:
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return 0
    from monitor.store.db import Store

    rng = random.Random(7)
    texts = originals()
    copies = [make_copy(t, rng) for t in texts]
    index = CopyIndex()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp))
        t = time.perf_counter()
        with store.begin() as conn:
            sigs = [index.fingerprint(x) for x in texts]
            for i, sig in enumerate(sigs):
                if sig is not None:
                    index.add(conn, i + 1, sig, datetime(2020, 1, 1, tzinfo=UTC))
            tp = fp = fn = 0
            for i, copy in enumerate(copies):
                sig = index.fingerprint(copy)
                found = index.find_original(conn, sig) if sig is not None else None
                if found is None:
                    fn += 1
                elif found[0] == i + 1:
                    tp += 1
                else:
                    fp += 1
        elapsed = time.perf_counter() - t
        store.engine.dispose()
    # baseline: exact Jaccard of the same shingles against every original, same threshold
    th = index.settings.threshold
    shingles = [index.hasher.shingles(x) for x in texts]
    btp = bfp = bfn = 0
    t0 = time.perf_counter()
    for i, copy in enumerate(copies):
        c = index.hasher.shingles(copy)
        hits = [j for j, s in enumerate(shingles) if s and len(c & s) / len(c | s) >= th]
        btp += i in hits
        bfp += len([j for j in hits if j != i])
        bfn += i not in hits
    base_s = time.perf_counter() - t0
    p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    bp, br = btp / max(btp + bfp, 1), btp / max(btp + bfn, 1)
    print(f"originals {len(texts)} copies {len(copies)} threshold {th}")
    print(
        f"minhash/lsh: precision {p:.4f} recall {r:.4f} ({tp} tp, {fp} fp, {fn} fn) {elapsed:.1f}s"
    )
    print(f"exact jaccard baseline: precision {bp:.4f} recall {br:.4f} {base_s:.1f}s")
    print(f"ratios vs baseline: precision {p / bp:.3f} recall {r / br:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
