"""Version 6: LSH bands as one integer key each, `(band_hash, article_id)` WITHOUT ROWID on SQLite;
the table is rebuilt from the stored signatures."""

from __future__ import annotations

import zlib

import sqlalchemy as sa
from alembic.operations import Operations

VERSION = 6
_BATCH = 5000
# The LSH shape of version 6, frozen here (a migration must not change with the live code):
# 128 permutations, 20 bands of 2 rows; a signature is uint32[128] little-endian.
_NUM_PERM = 128
_BANDS = 20
_ROWS = 2


def _keys(blob: bytes) -> list[int]:
    """The band keys of a stored signature as version 6 defines them: for band i,
    i << 32 | crc32 of its rows' bytes (the bytes as stored)."""
    width = 4 * _ROWS
    return [
        (band << 32) | zlib.crc32(blob[band * width : band * width + width])
        for band in range(_BANDS)
    ]


def upgrade(op: Operations) -> None:
    conn = op.get_bind()
    op.drop_table("minhash_bands")  # its article_id index goes with it
    op.create_table(
        "minhash_bands",
        sa.Column("band_hash", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("article_id", sa.Integer, primary_key=True, autoincrement=False),
        sqlite_with_rowid=False,
    )
    fingerprints = sa.table(
        "fingerprints", sa.column("article_id", sa.Integer), sa.column("signature", sa.LargeBinary)
    )
    bands = sa.table(
        "minhash_bands", sa.column("band_hash", sa.BigInteger), sa.column("article_id", sa.Integer)
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(fingerprints.c.article_id, fingerprints.c.signature)
            .where(fingerprints.c.article_id > last)
            .order_by(fingerprints.c.article_id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        values = [
            {"band_hash": key, "article_id": article_id}
            for article_id, blob in rows
            if len(blob) == 4 * _NUM_PERM  # signatures of another length are never matched
            for key in _keys(bytes(blob))
        ]
        values.sort(key=lambda v: (v["band_hash"], v["article_id"]))
        if values:
            conn.execute(sa.insert(bands), values)
    op.create_index("ix_minhash_bands_article_id", "minhash_bands", ["article_id"])
