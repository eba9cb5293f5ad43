"""Who holds a lease: ``host:pid`` of the process, so a lease of a killed local process is taken
over at once instead of waiting for it to expire (sources being polled, digests being sent); and,
on a cluster, a lease of a worker on any host that is gone (no heartbeat: store/workers.py)."""

from __future__ import annotations

import os
import socket
from datetime import datetime

import sqlalchemy as sa

from monitor.store.workers import gone_names


def lease_owner() -> str:
    """This process, as written in the leases it holds."""
    return f"{socket.gethostname()}:{os.getpid()}"


def dead_local_owners(conn: sa.Connection, table: sa.Table, now: datetime) -> list[str]:
    """Owners of live leases in *table* (``claimed_until``, ``claimed_by``) that are processes
    of this host which have exited, or workers of any host that stopped or are gone."""
    owners = list(
        conn.execute(
            sa.select(table.c.claimed_by)
            .where(table.c.claimed_until >= now, table.c.claimed_by.is_not(None))
            .distinct()
        ).scalars()
    )
    return dead_among(conn, now, owners)


def dead_among(conn: sa.Connection, now: datetime, owners: list[str]) -> list[str]:
    """Those of *owners* (lease holders) that are processes of this host which have exited, or
    workers of any host that stopped or are gone."""
    host = socket.gethostname()
    dead: list[str] = []
    for owner in owners:
        name, _, pid = owner.rpartition(":")
        if name == host and pid.isdigit() and not _alive(int(pid)):
            dead.append(owner)
    dead += [o for o in gone_names(conn, now, owners) if o not in dead]
    return dead


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
