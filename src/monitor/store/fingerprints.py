"""Level 2 dedup's store: MinHash signatures and their LSH band keys, looked up and added."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import NamedTuple

import sqlalchemy as sa

from monitor.store import raw
from monitor.store.story_tables import fingerprints, minhash_bands
from monitor.store.util import param_mark


class StoredFingerprint(NamedTuple):
    """A stored signature that shares a band key with the one looked up."""

    article_id: int
    signature: bytes  # uint32[num_perm], little-endian
    seen: datetime  # published, else stored time


@cache
def _lookup(bands: int, mark: str) -> str:
    """The stored signatures of every article having any of the *bands* keys, answered by the
    band table's primary key: one SQL text per band count (the shipped 20) and driver."""
    keys = ", ".join([mark] * bands)
    return (
        f"SELECT article_id, signature, seen FROM {fingerprints.name} WHERE article_id IN "
        f"(SELECT article_id FROM {minhash_bands.name} WHERE band_hash IN ({keys}))"
    )


def candidates(conn: sa.Connection, keys: Sequence[int]) -> list[StoredFingerprint]:
    """The stored signatures sharing at least one of the band *keys*."""
    if not keys:
        return []
    load = raw.time_codec(conn, True)
    rows = raw.run(conn, _lookup(len(keys), param_mark(conn)), list(keys))
    return [StoredFingerprint(int(aid), bytes(blob), load(seen)) for aid, blob, seen in rows]


def add(
    conn: sa.Connection, article_id: int, signature: bytes, seen: datetime, keys: Sequence[int]
) -> None:
    """Store an article's signature and its band keys, for the texts that come after it."""
    mark = param_mark(conn)
    raw.run(
        conn,
        f"INSERT INTO {fingerprints.name} (article_id, signature, seen) "
        f"VALUES ({mark}, {mark}, {mark})",
        (article_id, signature, raw.time_codec(conn, False)(seen)),
    )
    if keys:
        raw.run_many(
            conn,
            f"INSERT INTO {minhash_bands.name} (band_hash, article_id) VALUES ({mark}, {mark})",
            [(k, article_id) for k in keys],
        )
