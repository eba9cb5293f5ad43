"""Workers: the pipeline on several processes and hosts over one PostgreSQL database, scheduled
through procrastinate (periodic tick, poll jobs locked per source, delivery jobs per digest ×
channel, per-host slots across the cluster)."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.workers.runner import Worker, require_postgres
else:
    from monitor.faces import lazy_face

    __getattr__, __dir__ = lazy_face(
        __name__,
        {
            "monitor.workers.runner": "Worker require_postgres",
        },
    )

__all__ = ["Worker", "require_postgres"]
