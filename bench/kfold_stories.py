"""k-fold held-out figures of the story model: each fold fitted on the others, replayed online.

ECB+ is split by topic (each topic's two events stay in one fold), GVA by incident, into
`K` = 5 folds. For each fold, a *recipe* (features, stages, L2, threshold grid) is fitted on the
other four folds of both files, as `bench/fit_stories.py` fits the shipped model (teacher-forced
candidates of ECB+ shuffle 3 and GVA): the L2 strength by grouped 4-fold cross-validation of the
examples (log-loss, by event), the threshold by replaying the training folds online (all three
ECB+ shuffles and GVA, mean of the two files' BCubed F1). The held-out fold is then replayed
online in its own order (ECB+: each of the three shuffles; GVA: date order) through the same
in-memory replay (`fit_stories.replay`, with re-examination), and scored. Figures pool the five
held-out folds (a story never spans two folds) and, beside them, the in-sample figure of the same
recipe (fitted, threshold chosen and scored on everything). Nothing here is tuned on the
held-out figures it prints: those are the figure of record for choosing between recipes.

    .venv/bin/python bench/kfold_stories.py                       # the shipped recipe and today's
    .venv/bin/python bench/kfold_stories.py --recipes today,lean  # named recipes (RECIPES)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_stories import Rows, examples_of, replay  # noqa: E402
from monitor.stories import StorySettings  # noqa: E402
from monitor.stories.model import DEFAULT_WEIGHTS, FEATURES  # noqa: E402
from stories import DATA, scores, streams  # noqa: E402

K = 5
Arr = npt.NDArray[np.float64]
Run = tuple[str, Rows, bool]
LEDE_FEATURES = frozenset(f for f in FEATURES if "lede" in f)


@dataclass(frozen=True)
class Recipe:
    """How a model is fitted: which features, one or two stages, the L2 grid, the threshold grid."""

    features: tuple[str, ...]  # used (the others get weight 0); "bias" always
    two_stage: bool = False  # stage 2: the base score and the lede features on contested examples
    l2: tuple[float, ...] = (0.1,)  # more than one: chosen by grouped CV on the training examples
    gate: float = -1.0  # stage 2 trains on base score > gate
    standardize: bool = False  # scale the features to unit variance before the L2 penalty
    thresholds: tuple[float, ...] = (-1.5, -1.0, -0.5, 0.0, 0.5, 1.0)
    split_threshold: float = -2.5
    fixed: tuple[float, ...] | None = None  # weights given (no fit): the shipped model


ALL = tuple(f for f in FEATURES if f != "bias")
L2_GRID = (0.1, 10.0, 100.0, 1000.0)
WIDE = (-2.5, -2.0, -1.5, -1.0, -0.5, 0.0)


def _without(*parts: str) -> tuple[str, ...]:
    """All features but those whose name contains one of *parts*."""
    return tuple(f for f in ALL if not any(p in f for p in parts))


RECIPES: dict[str, Recipe] = {
    # the shipped weights and threshold (in-sample only: they were fitted on all of both files)
    "shipped": Recipe(ALL, fixed=DEFAULT_WEIGHTS, thresholds=(-0.5,)),
    # today's procedure (bench/fit_stories.py): two stages, L2 0.1, threshold from the sweep
    "today": Recipe(ALL, two_stage=True),
    # the same, L2 chosen by grouped CV on the training examples
    "today-cv": Recipe(ALL, two_stage=True, l2=L2_GRID),
    # one stage, all features, standardised, L2 by CV
    "one-stage": Recipe(ALL, l2=L2_GRID, standardize=True),
    # two stages without the features of one habit each
    "no-top1": Recipe(_without("top1"), two_stage=True),
    "no-inter": Recipe(_without("log_age_x"), two_stage=True),
    "no-size": Recipe(_without("log_size"), two_stage=True),
    "lean": Recipe(_without("top1", "log_age_x_entity", "year_hit", "title_cos"), two_stage=True),
    # no-top1 (the best of the above held out) with the threshold grid reaching lower
    "no-top1-wide": Recipe(_without("top1"), two_stage=True, thresholds=WIDE),
    "no-top1-l2-10": Recipe(_without("top1"), two_stage=True, l2=(10.0,), thresholds=WIDE),
}


def fold_of(row: dict[str, str], ecb_topics: list[str]) -> int:
    """The fold of a dev row: ECB+ by topic (sorted, dealt round), GVA by incident (hash)."""
    if "topic" in row:
        return ecb_topics.index(str(row["topic"])) % K
    return zlib.crc32(row["cluster"].encode()) % K


@dataclass
class Data:
    """The dev streams and, per fold, the teacher-forced examples of the other folds (cached)."""

    runs: list[Run]
    folds: list[list[int]]  # per run, each row's fold
    cache: dict[int, tuple[Arr, Arr, list[str]]] = field(default_factory=dict)

    def rows(self, run: int, keep: set[int]) -> Rows:
        return [r for r, f in zip(self.runs[run][1], self.folds[run], strict=True) if f in keep]

    def examples(self, held: int) -> tuple[Arr, Arr, list[str]]:
        """Examples of every fold but *held* (-1: of everything)."""
        if held not in self.cache:
            keep = set(range(K)) - {held}
            train = [(n, self.rows(i, keep), d) for i, (n, _, d) in enumerate(self.runs) if i >= 2]
            self.cache[held] = examples_of(train)
        return self.cache[held]

    def streams(self, keep: set[int]) -> list[Run]:
        return [(n, self.rows(i, keep), d) for i, (n, _, d) in enumerate(self.runs)]


def logistic(x: Arr, y: Arr, l2: float, standardize: bool) -> Arr:
    """Class-balanced logistic regression by Newton's method (bias, last column, unpenalised)."""
    scale = np.ones(x.shape[1])
    if standardize:
        sd = x[:, :-1].std(axis=0)
        scale[:-1] = np.where(sd > 1e-9, sd, 1.0)
    xs = x / scale
    w = np.zeros(x.shape[1])
    pos = y.mean()
    sw = np.where(y > 0, 0.5 / pos, 0.5 / (1 - pos))
    reg = np.full(x.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(xs @ w, -30, 30)))
        grad = xs.T @ (sw * (p - y)) + reg * w
        hess = (xs * (sw * p * (1 - p))[:, None]).T @ xs + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    out: Arr = w / scale
    return out


def fit_once(x: Arr, y: Arr, recipe: Recipe, l2: float) -> Arr:
    """Full-length weights (0 for features the recipe leaves out)."""
    used = np.array([f in recipe.features or f == "bias" for f in FEATURES])
    w = np.zeros(len(FEATURES))
    if not recipe.two_stage:
        w[used] = logistic(x[:, used], y, l2, recipe.standardize)
        return w
    lede = np.array([f in LEDE_FEATURES for f in FEATURES])
    base = used & ~lede
    second = used & lede
    w_base = logistic(x[:, base], y, l2, recipe.standardize)
    z = x[:, base] @ w_base
    hard = z > recipe.gate
    x2 = np.column_stack([z[hard], x[hard][:, second], np.ones(int(hard.sum()))])
    w2 = logistic(x2, y[hard], l2, recipe.standardize)
    w[base] = w2[0] * w_base
    w[second] = w2[1:-1]
    w[-1] += w2[-1]
    return w


def cv_loss(x: Arr, y: Arr, groups: list[str], recipe: Recipe, l2: float) -> float:
    """Grouped 4-fold CV (by event) of the class-balanced log-loss of the recipe's score."""
    g = np.array([zlib.crc32(s.encode()) % 4 for s in groups])
    loss = 0.0
    for k in range(4):
        tr, te = g != k, g == k
        w = fit_once(x[tr], y[tr], recipe, l2)
        z = np.clip(x[te] @ w, -30, 30)
        yt = y[te]
        pos = max(yt.mean(), 1e-9)
        sw = np.where(yt > 0, 0.5 / pos, 0.5 / (1 - pos))
        loss += float(np.sum(sw * (np.logaddexp(0, z) - yt * z))) / len(yt)
    return loss / 4


def fit(data: Data, held: int, recipe: Recipe) -> tuple[Arr, float]:
    """The recipe's weights fitted on every fold but *held*, and the L2 chosen."""
    if recipe.fixed is not None:
        return np.array(recipe.fixed), float("nan")
    x, y, groups = data.examples(held)
    l2 = recipe.l2[0]
    if len(recipe.l2) > 1:
        l2 = min(recipe.l2, key=lambda v: cv_loss(x, y, groups, recipe, v))
    return fit_once(x, y, recipe, l2), l2


def online(runs: list[Run], w: Arr, t: float, recipe: Recipe) -> dict[str, list[list[int]]]:
    """Each stream replayed online with *w* at threshold *t*: predictions per file and run."""
    s = StorySettings(threshold=t, split_threshold=recipe.split_threshold)
    out: dict[str, list[list[int]]] = defaultdict(list)
    for name, rows, dated in runs:
        out[name.split()[0]].append(replay(rows, dated, s, w)[2])
    return out


def f1_of(runs: list[Run], preds: dict[str, list[list[int]]]) -> dict[str, float]:
    """Mean BCubed F1 per file (over its runs)."""
    res: dict[str, list[float]] = defaultdict(list)
    it = {k: iter(v) for k, v in preds.items()}
    for name, rows, _ in runs:
        key = name.split()[0]
        res[key].append(scores([r["cluster"] for r in rows], next(it[key]))["F1"])
    return {k: statistics.mean(v) for k, v in res.items()}


def choose_threshold(runs: list[Run], w: Arr, recipe: Recipe, show: bool = False) -> float:
    """The threshold of the grid with the best mean F1 of the two files on *runs* (training);
    *show* prints each threshold's figures."""
    if len(recipe.thresholds) == 1:
        return recipe.thresholds[0]
    best: tuple[tuple[float, float], float] | None = None
    for t in recipe.thresholds:
        f1 = f1_of(runs, online(runs, w, t, recipe))
        if show:
            print(f"   in-sample sweep t {t}: " + ", ".join(f"{k} {v:.3f}" for k, v in f1.items()))
        key = (statistics.mean(f1.values()), -abs(t))
        if best is None or key > best[0]:
            best = (key, t)
    assert best is not None
    return best[1]


def evaluate(data: Data, recipe: Recipe, kfold: bool = True) -> dict[str, object]:
    """In-sample and k-fold held-out figures of *recipe* (per file; ECB+ per shuffle)."""
    t0 = time.perf_counter()
    everything = set(range(K))
    w_all, l2_all = fit(data, -1, recipe)
    runs_all = data.streams(everything)
    t_all = choose_threshold(runs_all, w_all, recipe, show=True)
    inside = online(runs_all, w_all, t_all, recipe)
    report: dict[str, object] = {
        "in": figures(runs_all, inside),
        "in_t": t_all,
        "in_l2": l2_all,
        "w": w_all,
    }
    if kfold and recipe.fixed is None:
        pooled: list[list[int]] = [[] for _ in data.runs]
        gold: list[list[str]] = [[] for _ in data.runs]
        chosen = []
        for k in range(K):
            w, l2 = fit(data, k, recipe)
            t = choose_threshold(data.streams(everything - {k}), w, recipe)
            chosen.append((t, l2))
            held = data.streams({k})
            preds = online(held, w, t, recipe)
            it = {key: iter(v) for key, v in preds.items()}
            for i, (name, rows, _) in enumerate(held):
                pred = next(it[name.split()[0]])
                pooled[i] += [k * 100_000 + p for p in pred]  # stories never span folds
                gold[i] += [r["cluster"] for r in rows]
        report["out"] = figures(
            [
                (n, [{"cluster": c} for c in g], d)
                for (n, _, d), g in zip(data.runs, gold, strict=True)
            ],
            {"ecbplus.dev": pooled[:3], "gva.dev": pooled[3:]},
        )
        report["folds"] = chosen
    report["s"] = time.perf_counter() - t0
    return report


def figures(runs: list[Run], preds: dict[str, list[list[int]]]) -> dict[str, dict[str, float]]:
    """BCubed P/R/F1 per file, the mean over its runs, and the spread of F1 (min, max)."""
    out: dict[str, dict[str, float]] = {}
    res: dict[str, list[dict[str, float]]] = defaultdict(list)
    it = {k: iter(v) for k, v in preds.items()}
    for name, rows, _ in runs:
        key = name.split()[0]
        res[key].append(scores([r["cluster"] for r in rows], next(it[key])))
    for key, lst in res.items():
        m = {k: statistics.mean(r[k] for r in lst) for k in ("P", "R", "F1")}
        m["lo"], m["hi"] = min(r["F1"] for r in lst), max(r["F1"] for r in lst)
        m["runs"] = len(lst)
        out[key] = m
    return out


def line(fig: dict[str, dict[str, float]]) -> str:
    parts = []
    for key, m in fig.items():
        spread = f" ({m['lo']:.3f}–{m['hi']:.3f})" if m["runs"] > 1 else ""
        parts.append(f"{key.split('.')[0]} P {m['P']:.3f} R {m['R']:.3f} F1 {m['F1']:.3f}{spread}")
    return " | ".join(parts)


def load_data() -> Data:
    runs = streams()
    topics = sorted({str(r["topic"]) for r in runs[0][1]}, key=int)
    return Data(runs, [[fold_of(r, topics) for r in rows] for _, rows, _ in runs])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipes", default="shipped,today", help=f"of {','.join(RECIPES)}")
    ap.add_argument("--weights", action="store_true", help="print each recipe's weights (all)")
    ap.add_argument(
        "--at",
        type=float,
        action="append",
        help="a sensitivity check: the recipes at this fixed threshold (repeatable), not chosen",
    )
    args = ap.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return 0
    data = load_data()
    todo = [(n, RECIPES[n]) for n in args.recipes.split(",")]
    if args.at:
        todo = [(f"{n}@{t}", replace(r, thresholds=(t,))) for n, r in todo for t in args.at]
    for name, recipe in todo:
        rep = evaluate(data, recipe)
        used = len([f for f in recipe.features if f != "bias"]) + 1
        print(f"== {name}: {used} weights, {rep['s']:.0f} s", flush=True)
        print(f"   in-sample (t {rep['in_t']}, l2 {rep['in_l2']}): {line(rep['in'])}")  # type: ignore[arg-type]
        if "out" in rep:
            print(f"   {K}-fold held out: {line(rep['out'])}")  # type: ignore[arg-type]
            print(f"   per fold (threshold, l2): {rep['folds']}")
        if args.weights:
            w = rep["w"]
            print("   " + ", ".join(f"{f} {v:.2f}" for f, v in zip(FEATURES, w, strict=True) if v))  # type: ignore[call-overload]
    return 0


if __name__ == "__main__":
    sys.exit(main())
