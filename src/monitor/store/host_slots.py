"""Per-host fetch slots across the workers of a cluster: PostgreSQL session advisory locks, held
on one connection of each worker. A slot is the lock (HOST_SLOTS, crc32(host)), with the slot
number folded in; a worker that dies (kill -9, a lost host) loses its connection, and the
server frees its slots at once. Waiting and retrying are the caller's (workers/hostslots.py)."""

from __future__ import annotations

import zlib

import psycopg
import sqlalchemy as sa

from monitor.errors import StoreError


def libpq_url(database_url: str) -> str:
    """settings.database_url (a SQLAlchemy URL) as a libpq URL for psycopg and procrastinate."""
    url = sa.make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def slot_key(host: str, slot: int) -> tuple[int, int]:
    """The two int4 keys of *host*'s slot number *slot* (a crc32 collision of two hosts only
    makes them share slots: stricter, never looser)."""
    code = zlib.crc32(host.lower().encode()) & 0xFFFFFFFF
    return (code - (1 << 32) if code >= 1 << 31 else code), slot


class HostSlots:
    """One autocommit connection holding this worker's slots (psycopg serialises its use)."""

    def __init__(self, database_url: str, *, connect_timeout: float = 10.0) -> None:
        self._url = libpq_url(database_url)
        self._timeout = connect_timeout
        self._conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self.generation = 0  # bumped on each new connection: older slots are gone with it

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.closed

    async def connect(self) -> None:
        await self.close()
        try:
            self._conn = await psycopg.AsyncConnection.connect(
                self._url, autocommit=True, connect_timeout=max(1, int(self._timeout))
            )
        except psycopg.Error as exc:
            raise _lost(exc) from exc
        self.generation += 1

    async def try_take(
        self, host: str, slots: int, held: set[int], *, first: int = 0
    ) -> int | None:
        """Take a free slot of *host* (of *slots*, skipping those this worker holds already);
        its number, or None when every one is held in the cluster."""
        if self._conn is None or self._conn.closed:
            await self.connect()
        assert self._conn is not None
        for slot in range(first, slots):
            if slot in held:
                continue
            key, sub = slot_key(host, slot)
            try:
                cur = await self._conn.execute(
                    "SELECT pg_try_advisory_lock(%s, %s)", (key, sub), prepare=True
                )
                row = await cur.fetchone()
            except psycopg.Error as exc:
                await self.close()
                raise _lost(exc) from exc
            if row is not None and row[0]:
                return slot
        return None

    async def try_lock(self, name: str) -> bool:
        """Take the cluster-wide lock *name* (no wait): whether this worker holds it now. Its
        key is slot -1 of *name*, a number no host's slot has."""
        return await self.try_take(name, 0, set(), first=-1) is not None

    async def give(self, host: str, slot: int, generation: int) -> None:
        """Free a slot taken on connection *generation* (a later connection holds none of its
        predecessor's: the server freed them when it went)."""
        if generation != self.generation or self._conn is None or self._conn.closed:
            return
        key, sub = slot_key(host, slot)
        try:
            await self._conn.execute("SELECT pg_advisory_unlock(%s, %s)", (key, sub), prepare=True)
        except psycopg.Error:
            await self.close()  # and with the connection every slot it held

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            try:
                await conn.close()
            except psycopg.Error:
                pass


def _lost(exc: psycopg.Error) -> StoreError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreError(
        f"PostgreSQL unreachable: {first}",
        "the worker waits and reconnects; check that the database is up",
    )
