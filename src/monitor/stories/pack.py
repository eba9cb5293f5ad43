"""Byte layout of stored sparse vectors: a story's centroid channels, a member's kept words.

int32 channel count, int32 size of each, then per channel its keys (int64) and values (float32),
all little-endian. Values come back as float64 (exactly the stored float32).
"""

from __future__ import annotations

import struct

import numpy as np

from monitor.stories.vectors import Keys, Vals


def pack(channels: list[tuple[Keys, Vals]]) -> bytes:
    head = np.array([len(k) for k, _ in channels], dtype="<i4").tobytes()
    body = b"".join(k.astype("<i8").tobytes() + v.astype("<f4").tobytes() for k, v in channels)
    return np.array([len(channels)], dtype="<i4").tobytes() + head + body


def unpack(blob: bytes) -> list[tuple[Keys, Vals]]:
    if not blob:
        return []
    count = int.from_bytes(blob[:4], "little", signed=True)
    sizes = struct.unpack_from(f"<{count}i", blob, 4)
    pos, spans = 4 + 4 * count, []
    for size in sizes:
        spans.append((pos, size))
        pos += 12 * size
    # every channel's float32 values widened in one conversion (exactly the stored values),
    # each channel a slice of it; the keys are read in place (any host reads them)
    raw = b"".join([blob[at + 8 * size : at + 12 * size] for at, size in spans])
    vals = np.frombuffer(raw, dtype="<f4").astype(np.float64)
    out, start = [], 0
    for at, size in spans:
        keys: Keys = np.frombuffer(blob, dtype="<i8", count=size, offset=at)
        out.append((keys, vals[start : start + size]))
        start += size
    return out


def unpack_sparse(blob: bytes) -> tuple[Keys, Vals]:
    """A member article's stored word vector."""
    return unpack(blob)[0]
