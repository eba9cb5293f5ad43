"""Version 5: who holds an outbox row's send lease, so a killed sender's lease is taken over."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

VERSION = 5


def upgrade(op: Operations) -> None:
    op.add_column("delivery_outbox", sa.Column("claimed_by", sa.String(200), nullable=True))
