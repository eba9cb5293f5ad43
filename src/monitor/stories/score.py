"""The join score of all of an article's candidate stories at once (the engine's hot loop).

Same numbers as scoring each candidate with `story_model.join_features`: the three cosines are
found for all candidates with one lookup per channel (each centroid's keys searched in the
article's), and each is still one ``np.dot`` of the same products in the same (key) order.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from monitor.stories.model import ArticleVectors, Centroid, join_features
from monitor.stories.vectors import Keys, Vals, norm

Candidate = tuple[Centroid, int, float]  # centroid, size, age in days


def _cosines(ak: Keys, av: Vals, a_norm: float, chans: list[tuple[Keys, Vals]]) -> list[float]:
    """``story_vectors.cos(ak, av, bk, bv, a_norm)`` for each (bk, bv) in *chans* (sorted
    unique keys)."""
    if not len(ak):
        return [0.0] * len(chans)
    keys = np.concatenate([k for k, _ in chans])
    pos = ak.searchsorted(keys)
    hit = ak.take(pos, mode="clip") == keys
    mine, theirs = av[pos[hit]], np.concatenate([v for _, v in chans])[hit]
    ends = np.cumsum([len(k) for k, _ in chans])
    bounds = np.concatenate(([0], np.cumsum(hit)))[np.concatenate(([0], ends))].tolist()
    out = []
    for i, (_, bv) in enumerate(chans):
        lo, hi = bounds[i], bounds[i + 1]
        both = a_norm * norm(bv)
        out.append(float(np.dot(mine[lo:hi], theirs[lo:hi])) / both if both else 0.0)
    return out


def scores(
    vec: ArticleVectors, candidates: list[Candidate], weights: npt.NDArray[np.float64]
) -> list[float]:
    """Each candidate's join score without linkage (``weights · join_features(..., 0.0)``)."""
    if not candidates:
        return []
    nw, ne, nt = vec.norms
    chans = [c.channels for c, _, _ in candidates]
    cw = _cosines(vec.words_k, vec.words_v, nw, [ch[0] for ch in chans])
    ce = _cosines(vec.ents_k, vec.ents_v, ne, [ch[1] for ch in chans])
    ct = _cosines(vec.title_k, vec.title_v, nt, [ch[2] for ch in chans])
    return [
        float(np.dot(weights, join_features(vec, c, size, age, 0.0, (cw[i], ce[i], ct[i]))))
        for i, (c, size, age) in enumerate(candidates)
    ]
