"""Version 6: LSH bands as one integer key each, `(band_hash, article_id)` WITHOUT ROWID on SQLite;
the table is rebuilt from the stored signatures."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from alembic.operations import Operations

from monitor.stories.copies import DedupSettings, band_keys

VERSION = 6
_BATCH = 5000


def upgrade(op: Operations) -> None:
    conn = op.get_bind()
    op.drop_table("minhash_bands")  # its article_id index goes with it
    op.create_table(
        "minhash_bands",
        sa.Column("band_hash", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("article_id", sa.Integer, primary_key=True, autoincrement=False),
        sqlite_with_rowid=False,
    )
    s = DedupSettings()
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
            if len(blob) == 4 * s.num_perm  # signatures of another length are never matched
            for key in band_keys(np.frombuffer(blob, dtype="<u4"), s.bands, s.rows)
        ]
        values.sort(key=lambda v: (v["band_hash"], v["article_id"]))
        if values:
            conn.execute(sa.insert(bands), values)
    op.create_index("ix_minhash_bands_article_id", "minhash_bands", ["article_id"])
