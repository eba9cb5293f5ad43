"""Re-examining a story: does it hold two events?

An article joins a story on the evidence of the moment, and the first report of a second,
similar event (another earthquake on the same island, another navy's capture of pirates) can
join the first event's story while that story is small; its successors then follow it there.
With more members on both sides, the two events are easier to tell apart. So a story is
re-examined as it grows (at the sizes of `check_sizes`): its members are cut in two where their
word similarities part best (a spectral bipartition), and each half is scored as a story for the
other half's members with the join score itself. When even the better-agreeing way round stays
far below the join threshold (`split` < the engine's split threshold), the two halves are two
events and the story is split.

Pure (no I/O): `stories.StoryEngine` reads the members, calls `split` and stores the result.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from monitor.story_model import ArticleVectors, Centroid, join_features, member_cosine
from monitor.story_vectors import cos

__all__ = ["check_sizes", "split"]

Mask = npt.NDArray[np.bool_]


def check_sizes(first: int = 4, factor: float = 1.5, limit: int = 10_000) -> frozenset[int]:
    """The story sizes at which a story is re-examined: 4, 6, 9, 13, 20, 30, … (each ×1.5), so
    the work per article stays bounded however large a story grows."""
    out, x = set(), float(first)
    while x <= limit:
        out.add(int(x))
        x *= factor
    return frozenset(out)


def split(
    members: list[ArticleVectors], weights: npt.NDArray[np.float64]
) -> tuple[float, Mask] | None:
    """The best two-way cut of a story's *members* (in arrival order) and its join score: the
    lower, over both ways round, of the mean score of one half's members joining the other half
    (age 0, linkage to the other half's members). None when no cut leaves two on each side."""
    m = len(members)
    if m < 4:
        return None
    sims = np.zeros((m, m))
    for a in range(m):
        va = members[a]
        for b in range(a + 1, m):
            vb = members[b]
            sims[a, b] = sims[b, a] = cos(va.words_k, va.words_v, vb.words_k, vb.words_v)
    cut = _bipartition(sims)
    if cut is None:
        return None
    return min(_side(members, cut, ~cut, weights), _side(members, ~cut, cut, weights)), cut


def _bipartition(sims: npt.NDArray[np.float64]) -> Mask | None:
    """The sweep cut of the normalised Laplacian's second eigenvector with the largest gap
    between mean similarity within the halves and across them (two members on each side)."""
    deg = sims.sum(axis=1)
    lap = np.eye(len(sims)) - sims / np.sqrt(np.outer(deg, deg) + 1e-12)
    _, vecs = np.linalg.eigh(lap)
    fiedler = vecs[:, 1]
    best: tuple[float, Mask] | None = None
    for value in np.unique(fiedler)[:-1]:
        left = fiedler <= value
        a, b = int(left.sum()), int((~left).sum())
        if a < 2 or b < 2:
            continue
        within = sims[np.ix_(left, left)].sum() + sims[np.ix_(~left, ~left)].sum()
        gap = within / (a * (a - 1) + b * (b - 1)) - sims[np.ix_(left, ~left)].mean()
        if best is None or gap > best[0]:
            best = (gap, left)
    return None if best is None else best[1]


def _side(
    members: list[ArticleVectors], story: Mask, joining: Mask, weights: npt.NDArray[np.float64]
) -> float:
    """Mean join score of the *joining* members to a story made of the *story* members."""
    centroid = Centroid.empty()
    kept = [v for v, keep in zip(members, story, strict=True) if keep]
    for vec in kept:
        centroid = centroid.add(vec)
    words = [v.member_words() for v in kept]
    zs = []
    for vec, join in zip(members, joining, strict=True):
        if join:
            link = max(member_cosine(vec, w) for w in words)
            zs.append(float(np.dot(weights, join_features(vec, centroid, len(kept), 0.0, link))))
    return float(np.mean(zs))
