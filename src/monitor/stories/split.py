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

from monitor.stories.model import ArticleVectors, Centroid, join_features

__all__ = ["check_sizes", "split"]

Mask = npt.NDArray[np.bool_]


def check_sizes(first: int = 4, factor: float = 2.0, limit: int = 10_000) -> frozenset[int]:
    """The story sizes at which a story is re-examined: 4, 8, 16, 32, 64, … (each ×2), so
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
    (age 0, linkage to the other half's members). The cut is True for the half holding the first
    member (the one that keeps the story). None when no cut leaves two on each side."""
    if len(members) < 4:
        return None
    sims, links = _similarities(members)
    cut = _bipartition(sims)
    if cut is None:
        return None
    if not cut[0]:
        cut = ~cut
    scores = (_side(members, cut, ~cut, links, weights), _side(members, ~cut, cut, links, weights))
    return min(scores), cut


def _similarities(
    members: list[ArticleVectors],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Word cosines between every two members (0 on the diagonal), and each member's linkage to
    every other (`member_cosine`: its words against the other's kept top 50), as two matrix
    products over the members' word keys."""
    keys = np.unique(np.concatenate([v.words_k for v in members]))
    whole = np.zeros((len(members), len(keys)))
    top = np.zeros_like(whole)
    for row, kept, vec in zip(whole, top, members, strict=True):
        row[np.searchsorted(keys, vec.words_k)] = vec.words_v
        tk, tv = vec.member_words()
        kept[np.searchsorted(keys, tk)] = tv
    for dense in (whole, top):
        norms = np.linalg.norm(dense, axis=1)
        norms[norms == 0] = 1.0
        dense /= norms[:, None]
    sims = whole @ whole.T
    np.fill_diagonal(sims, 0.0)
    return sims, whole @ top.T


def _bipartition(sims: npt.NDArray[np.float64]) -> Mask | None:
    """The sweep cut of the normalised Laplacian's second eigenvector with the largest gap
    between mean similarity within the halves and across them (two members on each side)."""
    m = len(sims)
    deg = sims.sum(axis=1)
    lap = np.eye(m) - sims / np.sqrt(np.outer(deg, deg) + 1e-12)
    _, vecs = np.linalg.eigh(lap)
    fiedler = vecs[:, 1]
    order = np.argsort(fiedler, kind="stable")
    total = float(sims.sum())
    inner = cross = 0.0  # similarity sums within the first k (ordered pairs) and across
    best: tuple[float, int] | None = None
    for k in range(1, m - 1):
        i = order[k - 1]
        inner += 2.0 * float(sims[i, order[: k - 1]].sum())
        cross = float(deg[order[:k]].sum()) - inner
        if k < 2 or fiedler[order[k]] == fiedler[i]:
            continue  # two on each side, and no cut between equal values
        a, b = k, m - k
        within = inner + (total - inner - 2.0 * cross)
        gap = within / (a * (a - 1) + b * (b - 1)) - cross / (a * b)
        if best is None or gap > best[0]:
            best = (gap, k)
    if best is None:
        return None
    left = np.zeros(m, dtype=bool)
    left[order[: best[1]]] = True
    return left


def _side(
    members: list[ArticleVectors],
    story: Mask,
    joining: Mask,
    links: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64],
) -> float:
    """Mean join score of the *joining* members to a story made of the *story* members."""
    centroid = Centroid.of([vec for vec, keep in zip(members, story, strict=True) if keep])
    size = int(story.sum())
    zs = []
    for j in np.flatnonzero(joining):
        link = float(links[j, story].max())
        zs.append(float(np.dot(weights, join_features(members[j], centroid, size, 0.0, link))))
    return float(np.mean(zs))
