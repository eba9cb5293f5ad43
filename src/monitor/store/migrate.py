"""Applies the versioned migrations in `monitor.store.migrations`, each in its own transaction."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from monitor.store import migrations
from monitor.store.util import MIGRATE_LOCK, one_at_a_time

if TYPE_CHECKING:
    from alembic.operations import Operations

log = logging.getLogger(__name__)
TASK_QUEUE_VERSION = 10  # the migration that installs procrastinate's schema

_version_table = sa.Table(
    "schema_version",
    sa.MetaData(),
    sa.Column("version", sa.Integer, primary_key=True),
)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    upgrade: Callable[[Operations], None]


def available() -> list[Migration]:
    """Every migration module, in version order; versions must be unique and consecutive."""
    found: list[Migration] = []
    for info in pkgutil.iter_modules(migrations.__path__):
        if not info.name.startswith("v"):
            continue
        module = importlib.import_module(f"{migrations.__name__}.{info.name}")
        found.append(Migration(int(module.VERSION), info.name, module.upgrade))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise RuntimeError(f"migration versions are not 1..N: {[m.name for m in found]}")
    return found


def newest_version() -> int:
    """The newest migration's version, read off the file names: importing the modules would
    load alembic and what they use (numpy) on every start, where usually none is applied."""
    names = [i.name for i in pkgutil.iter_modules(migrations.__path__) if i.name.startswith("v")]
    return max((int(name[1:].split("_")[0]) for name in names), default=0)


def current_version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    value = conn.execute(sa.select(sa.func.max(_version_table.c.version))).scalar()
    return int(value or 0)


def upgrade(engine: sa.Engine) -> int:
    """Bring the database to the newest version; return it. Safe to call on every start."""
    with engine.begin() as conn:
        one_at_a_time(conn, MIGRATE_LOCK)  # two CREATE TABLEs at once collide in pg_type
        _version_table.create(conn, checkfirst=True)
        version = current_version(conn)
        if version >= newest_version():
            _task_queue(conn, version)
            return version
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    for migration in available():
        with engine.begin() as conn:
            one_at_a_time(conn, MIGRATE_LOCK)  # several workers starting together
            version = current_version(conn)
            if migration.version <= version:
                continue
            log.info("store: applying migration %s", migration.name)
            migration.upgrade(Operations(MigrationContext.configure(conn)))
            conn.execute(sa.insert(_version_table).values(version=migration.version))
            version = migration.version
    with engine.begin() as conn:
        one_at_a_time(conn, MIGRATE_LOCK)
        _task_queue(conn, version)
    return version


def _task_queue(conn: sa.Connection, version: int) -> None:
    """The workers' queue schema (PostgreSQL, from migration 10 on) brought up to the installed
    procrastinate by its own migration files (docs/scale.md#upgrading)."""
    if version >= TASK_QUEUE_VERSION and conn.dialect.name == "postgresql":
        from monitor.store import task_queue

        task_queue.upgrade(conn)
