"""The daemon: APScheduler wiring (polls, digests, maintenance, watchdog), signals, sd_notify.

May import: app, ingest, digest, stories (pruning), store, config, errors.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.daemon.scheduler import Daemon
    from monitor.daemon.sdnotify import Notifier
else:
    from monitor.faces import lazy_face

    __getattr__, __dir__ = lazy_face(
        __name__,
        {
            "monitor.daemon.scheduler": "Daemon",
            "monitor.daemon.sdnotify": "Notifier",
        },
    )

__all__ = ["Daemon", "Notifier"]
