"""Level 2 dedup: MinHash signatures over word shingles, their LSH band keys, and verification."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from monitor.store.fingerprints import StoredFingerprint

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_PRIME = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(61)

Signature = npt.NDArray[np.uint32]


@dataclass(frozen=True)
class DedupSettings:
    """Shingle size, signature length, LSH shape, and the verification threshold."""

    shingle: int = 3  # words per shingle
    num_perm: int = 128
    # bands × rows ≤ num_perm; 20 × 2 makes a J = 0.4 pair a candidate with p ≈ 0.97 (42 × 3:
    # 0.94) from 20 band rows per article instead of 42
    bands: int = 20
    rows: int = 2
    threshold: float = 0.4  # estimated Jaccard for a copy
    # Short-text guard: texts with fewer distinct shingles are never fingerprinted, and a match
    # must rest on at least this many shared shingles (estimated), more than a share bar and a
    # footer hold, so short texts in the same boilerplate wrapper never collide.
    min_shingles: int = 50


class MinHasher:
    """Numpy-vectorised MinHash with fixed permutations (identical in every process)."""

    def __init__(self, settings: DedupSettings) -> None:
        self.settings = settings
        rng = np.random.RandomState(1)
        self._a = rng.randint(1, (1 << 61) - 1, size=settings.num_perm, dtype=np.uint64)
        self._b = rng.randint(0, (1 << 61) - 1, size=settings.num_perm, dtype=np.uint64)

    def shingles(self, text: str) -> set[str]:
        words = [w.lower() for w in _WORD.findall(text)]
        k = self.settings.shingle
        if k == 3:  # the shipped size: the same set, without a slice per shingle
            return set(map(" ".join, zip(words, words[1:], words[2:], strict=False)))
        return {" ".join(words[i : i + k]) for i in range(max(0, len(words) - k + 1))}

    def signature(self, shingles: set[str]) -> Signature:
        hv = np.fromiter(
            (zlib.crc32(s.encode()) for s in shingles), dtype=np.uint64, count=len(shingles)
        )
        with np.errstate(over="ignore"):
            ph = hv[:, None] * self._a  # wraps mod 2**64, as before
            ph += self._b
            # ph % _PRIME without a division: _PRIME is 2**61 - 1, so ph = hi·2**61 + lo gives
            # ph ≡ lo + hi (hi ≤ 7), at most one _PRIME too large — the same values exactly
            low = ph & _PRIME
            ph >>= _SHIFT
            low += ph
            low[low >= _PRIME] -= _PRIME
            low &= _MASK32
        sig: Signature = low.min(axis=0).astype(np.uint32)
        return sig

    def band_keys(self, sig: Signature) -> list[int]:
        return band_keys(sig, self.settings.bands, self.settings.rows)


def band_keys(sig: Signature, bands: int, rows: int) -> list[int]:
    """One integer per LSH band, ``band << 32 | crc32(the band's rows)``: a lookup of one band is
    one key, so every band of a signature is one ``IN`` list answered by the primary key."""
    raw = sig.astype("<u4").tobytes()
    step = 4 * rows
    return [(i << 32) | zlib.crc32(raw[i * step : (i + 1) * step]) for i in range(bands)]


def jaccard(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


def cardinality(sig: Signature) -> float:
    """Estimated number of distinct shingles behind a signature (k minima of uniform hashes)."""
    return (len(sig) - 1) / max(float(sig.astype(np.float64).sum()) / 2.0**32, 1e-12)


def shared(a: Signature, b: Signature) -> float:
    """Estimated number of shingles two texts share: Jaccard × the size of their union."""
    return jaccard(a, b) * cardinality(np.minimum(a, b))


def signature_bytes(sig: Signature) -> bytes:
    """A signature as the store keeps it: uint32[num_perm], little-endian."""
    return sig.astype("<u4").tobytes()


class Original(NamedTuple):
    """The stored article a text is a copy of, and their estimated Jaccard."""

    article_id: int
    score: float


class CopyIndex:
    """Fingerprints texts and picks the original of a copy among stored candidates (pure: the
    caller looks the candidates up by `band_keys` and stores each signature, `store.fingerprints`)."""

    def __init__(self, settings: DedupSettings | None = None) -> None:
        self.settings = settings or DedupSettings()
        self.hasher = MinHasher(self.settings)

    def fingerprint(self, text: str) -> Signature | None:
        """The signature of *text*, or None when it is too short to fingerprint safely."""
        shingles = self.hasher.shingles(text)
        if len(shingles) < self.settings.min_shingles:
            return None
        return self.hasher.signature(shingles)

    def band_keys(self, sig: Signature) -> list[int]:
        return self.hasher.band_keys(sig)

    def original(self, sig: Signature, stored: Iterable[StoredFingerprint]) -> Original | None:
        """The earliest of the *stored* candidates whose signature matches *sig*."""
        best: tuple[datetime, int, float] | None = None
        for article_id, blob, seen in stored:
            other: Signature = np.frombuffer(blob, dtype="<u4")
            if len(other) != len(sig):
                continue  # stored with another num_perm
            score = jaccard(sig, other)
            if (
                score >= self.settings.threshold
                and shared(sig, other) >= self.settings.min_shingles
            ):
                key = (seen, article_id, score)
                if best is None or key[:2] < best[:2]:
                    best = key
        return Original(best[1], best[2]) if best else None
