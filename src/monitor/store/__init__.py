"""State: schema, migrations and queries over SQLAlchemy Core (SQLite or PostgreSQL)."""

from monitor.store.db import Store

__all__ = ["Store"]
