"""Fit the story join score: logistic regression on teacher-forced candidates of the dev files.

Replays each dev stream in memory with the engine's features and candidate retrieval
(`story_model`), the stories being the gold clusters seen so far (teacher forcing): every
retrieved candidate story gives one example (features, joined = same gold cluster). A
class-balanced, L2-regularised (0.1) logistic regression (Newton, numpy) gives the weights; an
online simulation then sweeps the threshold. Reproduces `monitor.stories.model.JOIN_WEIGHTS`:

    .venv/bin/python bench/fit_stories.py            # prints JOIN_WEIGHTS and the sweep
    .venv/bin/python bench/fit_stories.py --train ecbplus --thresholds 0,1,2,3,4
                                                     # what these features can do on ECB+ alone
    .venv/bin/python bench/fit_stories.py --holdout=-1.5   # fitted on half, scored on the rest
                                                     # (the figure of record: bench/kfold_stories.py)
    .venv/bin/python bench/fit_stories.py --eval --oracle-first --thresholds=-0.5
                                                     # the figures if each event's first
                                                     # article started its own story
"""

from __future__ import annotations

import argparse
import sys
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from monitor.stories import StorySettings  # noqa: E402
from monitor.stories.model import (  # noqa: E402
    DEFAULT_WEIGHTS,
    FEATURES,
    ArticleVectors,
    Centroid,
    featurize,
    join_features,
    member_cosine,
)
from monitor.stories.split import check_sizes, split  # noqa: E402
from monitor.stories.text import Doc  # noqa: E402
from monitor.stories.vectors import Keys, Vals  # noqa: E402
from stories import BASE, DATA, published, scores, streams  # noqa: E402

Rows = list[dict[str, str]]
CHECK_SIZES = check_sizes()


@dataclass
class Memory:
    """The engine's store, in memory: document frequencies, stories, postings."""

    df: Counter[int] = field(default_factory=Counter)
    n: int = 0
    cents: list[Centroid] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    last: list[datetime] = field(default_factory=list)
    members: list[list[tuple[Keys, Vals]]] = field(default_factory=list)
    postings: defaultdict[int, dict[int, datetime]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    docs: defaultdict[int, list[tuple[int, Doc, datetime]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # each story's members (stream index, features, seen), for re-examining it


def when(row: dict[str, str], i: int, dated: bool) -> datetime:
    return published(row, dated) or BASE + timedelta(seconds=i)


def replay(
    rows: Rows,
    dated: bool,
    s: StorySettings,
    weights: npt.NDArray[np.float64] | None,
    oracle_first: bool = False,
    groups: list[str] | None = None,
) -> tuple[list[npt.NDArray[np.float64]], list[int], list[int]]:
    """Teacher-forced examples (weights None) or the online assignment with *weights*.

    *groups*, when given, gets each example's gold cluster (for grouped cross-validation).

    *oracle_first* (a diagnosis, not a method): the first article of each gold event always
    starts a new story, and every later article is decided by *weights* as usual.
    """
    mem, xs, ys, pred = Memory(), [], [], []
    gold_story: dict[str, int] = {}
    for i, row in enumerate(rows):
        seen = when(row, i, dated)
        doc = featurize(row["title"], row["text"], s.title_weight)
        vec = ArticleVectors.build(doc, mem.df, mem.n, s.rare_df)
        keys = vec.top_terms(s.candidate_terms)
        hits: Counter[int] = Counter()
        for k in keys:
            recent = sorted(mem.postings[k].items(), key=lambda p: (p[1], p[0]), reverse=True)
            for sid, last in recent[: s.posting_limit]:
                if last >= seen - s.max_age:
                    hits[sid] += 1
        cands = sorted(hits, key=lambda sid: (-hits[sid], sid))[: s.max_candidates]
        best, bz = -1, -1e9
        for sid in sorted(cands):
            age = (seen - mem.last[sid]).total_seconds() / 86400.0
            link = max(member_cosine(vec, m) for m in mem.members[sid][-s.link_members :])
            f = join_features(vec, mem.cents[sid], mem.sizes[sid], age, link)
            if weights is None:
                xs.append(f)
                ys.append(int(gold_story.get(row["cluster"]) == sid))
                if groups is not None:
                    groups.append(row["cluster"])
            else:
                z = float(np.dot(weights, f))
                if z > bz:
                    best, bz = sid, z
        if weights is None:
            sid = gold_story.get(row["cluster"], -1)
        elif oracle_first and row["cluster"] not in gold_story:
            sid = -1
        else:
            sid = best if bz >= s.threshold else -1
        if sid < 0:
            sid = len(mem.cents)
            mem.cents.append(Centroid.empty())
            mem.sizes.append(0)
            mem.members.append([])
            mem.last.append(seen)
            gold_story[row["cluster"]] = sid
        mem.cents[sid] = mem.cents[sid].add(vec)
        mem.sizes[sid] += 1
        mem.members[sid].append(vec.member_words())
        mem.last[sid] = max(mem.last[sid], seen)
        for k in keys:
            prev = mem.postings[k].get(sid)
            mem.postings[k][sid] = max(prev, seen) if prev else seen
        mem.df.update(set(doc.words) | set(doc.ents))
        mem.n += 1
        pred.append(sid)
        mem.docs[sid].append((i, doc, seen))
        if weights is not None and mem.sizes[sid] in CHECK_SIZES:
            reexamine(mem, sid, s, weights, pred)
    return xs, ys, pred


def reexamine(
    mem: Memory, sid: int, s: StorySettings, weights: npt.NDArray[np.float64], pred: list[int]
) -> None:
    """The engine's re-examination (`StoryEngine._reexamine`): members featurized again with
    the document frequencies of now, the story split in two when `story_split.split` says so."""
    items = mem.docs[sid]
    if len(items) > s.split_max_size:
        return
    vecs = [ArticleVectors.build(doc, mem.df, mem.n, s.rare_df) for _, doc, _ in items]
    found = split(vecs, weights)
    if found is None or found[0] >= s.split_threshold:
        return
    keep = found[1]  # the half with the first member keeps the story
    new = len(mem.cents)
    mem.cents.append(Centroid.empty())
    mem.sizes.append(0)
    mem.members.append([])
    mem.last.append(items[0][2])
    words = mem.members[sid]
    for target, side in ((sid, keep), (new, ~keep)):
        part = [(t, v, w) for t, v, w, k in zip(items, vecs, words, side, strict=True) if k]
        centroid = Centroid.of([vec for _, vec, _ in part])
        mem.cents[target], mem.sizes[target] = centroid, len(part)
        mem.members[target] = [w for _, _, w in part]
        mem.last[target] = max(t[2] for t, _, _ in part)
        mem.docs[target] = [t for t, _, _ in part]
    moved = [v for v, k in zip(vecs, keep, strict=True) if not k]
    for (i, _, seen), vec in zip(mem.docs[new], moved, strict=True):
        pred[i] = new
        for k in vec.top_terms(s.candidate_terms):
            prev = mem.postings[k].get(new)
            mem.postings[k][new] = max(prev, seen) if prev else seen


def fit(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], l2: float
) -> npt.NDArray[np.float64]:
    """Class-balanced logistic regression by Newton's method (the bias, last column, unpenalised)."""
    w = np.zeros(x.shape[1])
    pos = y.mean()
    sw = np.where(y > 0, 0.5 / pos, 0.5 / (1 - pos))
    reg = np.full(x.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-x @ w))
        grad = x.T @ (sw * (p - y)) + reg * w
        hess = (x * (sw * p * (1 - p))[:, None]).T @ x + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


LEDE = slice(FEATURES.index("lede_names_missing"), FEATURES.index("bias"))  # the six lede ones


def fit_two_stage(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], l2: float, gate: float
) -> npt.NDArray[np.float64]:
    """The shipped weights: first the base features (all but the lede ones) on every example;
    then, on the contested examples only (base score above *gate*: those the online decision
    is made on), the base score, the six lede features and a bias. Folded into one weight per
    feature (a linear score, as the engine's linkage bound needs)."""
    lede = np.zeros(x.shape[1], dtype=bool)
    lede[LEDE] = True
    w_base = fit(x[:, ~lede], y, l2)
    z = x[:, ~lede] @ w_base
    hard = z > gate
    x2 = np.column_stack([z[hard], x[hard][:, lede], np.ones(int(hard.sum()))])
    w2 = fit(x2, y[hard], l2)
    print(f"stage 2: {int(hard.sum())} contested examples, {int(y[hard].sum())} joins")
    w = np.zeros(x.shape[1])
    w[~lede] = w2[0] * w_base
    w[lede] = w2[1:-1]
    w[-1] += w2[-1]
    return w


def examples(
    train: list[tuple[str, Rows, bool]],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Teacher-forced examples of *train*'s streams (features, joined), from a wider candidate
    set than the shipped one (more negatives per article)."""
    x, y, _ = examples_of(train)
    return x, y


def examples_of(
    train: list[tuple[str, Rows, bool]],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], list[str]]:
    """`examples`, with each example's gold cluster (for grouped cross-validation)."""
    base = StorySettings(max_candidates=40, link_members=20)
    xs: list[npt.NDArray[np.float64]] = []
    ys: list[int] = []
    groups: list[str] = []
    for _name, rows, dated in train:
        x, y, _ = replay(rows, dated, base, None, groups=groups)
        xs += x
        ys += y
    return np.array(xs), np.array(ys, dtype=float), groups


def fold(row: dict[str, str]) -> int:
    """The held-out half a dev row belongs to: by ECB+ topic pair, or by GVA incident."""
    cluster = row["cluster"]
    if cluster.endswith(("_ecb", "_ecbplus")):
        return int(cluster.split("_")[0]) // 2 % 2  # ECB+ topics are all even: pair them up
    return zlib.crc32(cluster.encode()) % 2


def holdout(runs: list[tuple[str, Rows, bool]], l2: float, gate: float, t: float) -> None:
    """2-fold: fit on one half of the ECB+ topics and GVA incidents, score the other half online;
    print the mean of both folds per file."""
    out = defaultdict(list)
    for k in (0, 1):
        half = [(name, [r for r in rows if fold(r) == k], dated) for name, rows, dated in runs[2:]]
        w = fit_two_stage(*examples(half), l2, gate)
        for name, rows, dated in runs:
            test = [r for r in rows if fold(r) != k]
            _, _, pred = replay(test, dated, StorySettings(threshold=t), w)
            out[name.split()[0]].append(scores([r["cluster"] for r in test], pred))
    print(f"held out, threshold {t:.2f}: " + summary(out), flush=True)


def summary(out: dict[str, list[dict[str, float]]]) -> str:
    """BCubed P/R/F1 per file, each the mean over its runs (the ECB+ shuffles)."""
    line = []
    for key, res in out.items():
        m = {k: sum(r[k] for r in res) / len(res) for k in res[0]}
        line.append(f"{key} P {m['P']:.3f} R {m['R']:.3f} F1 {m['F1']:.3f}")
    return " | ".join(line)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--l2", type=float, default=0.1)
    ap.add_argument("--eval", action="store_true", help="only evaluate DEFAULT_WEIGHTS online")
    ap.add_argument(
        "--oracle-first",
        action="store_true",
        help="diagnosis: the first article of each gold event starts a new story (the rest online)",
    )
    ap.add_argument("--thresholds", default="-1.5,-1,-0.5,0,0.5,1")
    ap.add_argument("--gate", type=float, default=-1.0, help="stage 2 trains on base score > this")
    ap.add_argument(
        "--train",
        choices=("both", "ecbplus", "gva"),
        default="both",
        help="fit on one ECB+ shuffle and GVA (shipped), or on one file alone (upper bounds)",
    )
    ap.add_argument(
        "--holdout",
        type=float,
        metavar="T",
        help="2-fold held-out figures at threshold T (fit on half the topics/incidents)",
    )
    args = ap.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return 0
    runs = streams()
    if args.holdout is not None:
        holdout(runs, args.l2, args.gate, args.holdout)
        return 0
    if args.eval:
        w = np.array(DEFAULT_WEIGHTS)
    else:
        train = {"both": runs[2:], "ecbplus": runs[2:3], "gva": runs[3:]}[args.train]
        x, y = examples(train)  # one ECB+ shuffle and/or GVA
        w = fit_two_stage(x, y, args.l2, args.gate)
        print(f"{len(y)} examples, {int(y.sum())} joins")
        fitted = [f"{v:.2f}" for v in w]
        print("JOIN_WEIGHTS = {  # monitor/stories/model.py")
        print(
            "".join(f'    "{name}": {v},\n' for name, v in zip(FEATURES, fitted, strict=True)),
            end="",
        )
        print("}")
        same = fitted == [f"{v:.2f}" for v in DEFAULT_WEIGHTS]
        print("reproduces the shipped JOIN_WEIGHTS" if same else "differs from JOIN_WEIGHTS")
    for t in [float(v) for v in args.thresholds.split(",")]:
        s = StorySettings(threshold=t)  # the shipped settings but the threshold
        out = defaultdict(list)
        for name, rows, dated in runs:
            _, _, pred = replay(rows, dated, s, w, args.oracle_first)
            out[name.split()[0]].append(scores([r["cluster"] for r in rows], pred))
        print(f"threshold {t:.2f}: " + summary(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
