"""State: schema, migrations and queries over SQLAlchemy Core (SQLite or PostgreSQL)."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.store.db import Store
else:
    from monitor.faces import lazy_face

    __getattr__, __dir__ = lazy_face(
        __name__,
        {
            "monitor.store.db": "Store",
        },
    )

__all__ = ["Store"]
