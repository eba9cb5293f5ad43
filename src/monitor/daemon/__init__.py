"""The daemon: APScheduler wiring (polls, digests, maintenance, watchdog), signals, sd_notify.

May import: app, ingest, digest, stories (pruning), store, config, errors.
"""

from monitor.daemon.scheduler import Daemon
from monitor.daemon.sdnotify import Notifier

__all__ = ["Daemon", "Notifier"]
