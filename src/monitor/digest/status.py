"""What `status` says of delivery: per digest × channel, the last delivery, pending retries and
the last error, read from the outbox without loading the channel types or the renderer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from monitor.store import outbox

if TYPE_CHECKING:
    import sqlalchemy as sa

    from monitor.config.model import Config


def delivery_status(conn: sa.Connection, config: Config | None = None) -> list[dict[str, Any]]:
    """Per digest × channel: last delivery, pending retries, last error (`status --json`)."""
    pairs = outbox.pairs(conn)
    if config is not None:
        pairs = [(d.name, c) for d in config.digests for c in d.channels]
    return [outbox.pair_status(conn, d, c) for d, c in pairs]
