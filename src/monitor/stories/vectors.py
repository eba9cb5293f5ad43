"""Sparse vectors as sorted hashed keys with values: TF-IDF weights, dot, cosine, merge (pure).

The arithmetic under `story_model`: kept bit-for-bit as it was there (same operations in the
same order), so stored centroids and scores do not change.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

Keys = npt.NDArray[np.int64]
Vals = npt.NDArray[np.float64]


def sparse(counts: Mapping[int, float], idf: dict[int, float]) -> tuple[Keys, Vals]:
    keys = np.array(sorted(counts), dtype=np.int64)
    vals = np.array([(1.0 + math.log(counts[k])) * idf[k] for k in keys.tolist()], dtype=np.float64)
    return keys, vals


def dot(ak: Keys, av: Vals, bk: Keys, bv: Vals) -> float:
    if not len(ak) or not len(bk):
        return 0.0
    idx = np.minimum(bk.searchsorted(ak), len(bk) - 1)
    hit = bk[idx] == ak
    return float(np.dot(av[hit], bv[idx[hit]]))


def norm(v: Vals) -> float:
    """``np.linalg.norm(v)`` the same way (sqrt of v·v), without its dispatch overhead."""
    return math.sqrt(float(v.dot(v)))


def cos(ak: Keys, av: Vals, bk: Keys, bv: Vals, a_norm: float | None = None) -> float:
    """Cosine; *a_norm* is ``np.linalg.norm(av)`` when the caller already has it (same value)."""
    both = (norm(av) if a_norm is None else a_norm) * norm(bv)
    return dot(ak, av, bk, bv) / both if both else 0.0


def contains(keys: Keys, probe: Keys) -> npt.NDArray[np.bool_]:
    if not len(keys):
        return np.zeros(len(probe), dtype=bool)
    idx = np.minimum(keys.searchsorted(probe), len(keys) - 1)
    found: npt.NDArray[np.bool_] = keys[idx] == probe
    return found


def merge(a: tuple[Keys, Vals], b: tuple[Keys, Vals], cap: int) -> tuple[Keys, Vals]:
    # Both key arrays are sorted and unique: each sum is 0 + a, then + b, as np.add.at did.
    uniq = np.union1d(a[0], b[0])
    sums = np.zeros(len(uniq))
    sums[np.searchsorted(uniq, a[0])] += a[1]
    sums[np.searchsorted(uniq, b[0])] += b[1]
    return _capped(uniq, sums, cap)


def total(parts: list[tuple[Keys, Vals]], cap: int) -> tuple[Keys, Vals]:
    """The sum of sparse vectors, the *cap* largest kept (ties: lower key), as `merge` keeps."""
    keys = np.concatenate([k for k, _ in parts]) if parts else np.zeros(0, dtype=np.int64)
    vals = np.concatenate([v for _, v in parts]) if parts else np.zeros(0)
    uniq, where = np.unique(keys, return_inverse=True)
    sums = np.bincount(where, weights=vals, minlength=len(uniq)).astype(np.float64)
    return _capped(uniq.astype(np.int64), sums, cap)


def _capped(keys: Keys, sums: Vals, cap: int) -> tuple[Keys, Vals]:
    """The *cap* largest of a sparse vector (ties: lower key), in key order."""
    if len(keys) > cap:
        keep = np.sort(np.lexsort((keys, -sums))[:cap])
        keys, sums = keys[keep], sums[keep]
    return keys, sums


def missing(found: npt.NDArray[np.bool_]) -> float:
    """Share of False in a non-empty mask: ``(~found).mean()``, the same float (count / n)."""
    return float(len(found) - int(np.count_nonzero(found))) / len(found)
