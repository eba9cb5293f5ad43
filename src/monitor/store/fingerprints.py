"""Level 2 dedup's store: MinHash signatures and their LSH band keys, looked up and added."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import NamedTuple

import sqlalchemy as sa

from monitor.store.story_tables import fingerprints, minhash_bands


class StoredFingerprint(NamedTuple):
    """A stored signature that shares a band key with the one looked up."""

    article_id: int
    signature: bytes  # uint32[num_perm], little-endian
    seen: datetime  # published, else stored time


@cache
def _lookup(bands: int) -> sa.TextualSelect:
    """One prepared statement per band count (the shipped 20): the stored signatures of every
    article having any of the keys, answered by the band table's primary key. Built once, so
    SQLAlchemy's compiled cache serves the lookup that runs for every article."""
    keys = ", ".join(f":k{i}" for i in range(bands))
    return sa.text(
        f"SELECT article_id, signature, seen FROM {fingerprints.name} WHERE article_id IN "
        f"(SELECT article_id FROM {minhash_bands.name} WHERE band_hash IN ({keys}))"
    ).columns(fingerprints.c.article_id, fingerprints.c.signature, fingerprints.c.seen)


def candidates(conn: sa.Connection, keys: Sequence[int]) -> list[StoredFingerprint]:
    """The stored signatures sharing at least one of the band *keys*."""
    params = {f"k{i}": k for i, k in enumerate(keys)}
    rows = conn.execute(_lookup(len(keys)), params).all()
    return [StoredFingerprint(article_id, blob, seen) for article_id, blob, seen in rows]


def add(
    conn: sa.Connection, article_id: int, signature: bytes, seen: datetime, keys: Sequence[int]
) -> None:
    """Store an article's signature and its band keys, for the texts that come after it."""
    conn.execute(
        sa.insert(fingerprints).values(article_id=article_id, signature=signature, seen=seen)
    )
    conn.execute(
        sa.insert(minhash_bands), [{"band_hash": k, "article_id": article_id} for k in keys]
    )
