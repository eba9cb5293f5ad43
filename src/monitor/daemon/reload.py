"""The daemon's SIGHUP: the config read again and applied (scheduler.py wires it)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from monitor.config import load_config
from monitor.errors import ConfigError, StoreError
from monitor.redact import learn_secrets

if TYPE_CHECKING:
    from monitor.daemon.scheduler import Daemon

log = logging.getLogger("monitor.daemon.scheduler")  # the daemon's log, as before the split


def reload_config(daemon: Daemon) -> None:
    """SIGHUP: read the config again and apply it through `App.reconfigure`; a broken file is
    reported and the old config kept; settings read at start only are named in the log."""
    try:
        config = load_config(daemon.config_path, daemon.environ)
    except ConfigError as exc:
        log.error("reload: %s is invalid, keeping the running config:\n%s", daemon.config_path, exc)
        return
    learn_secrets(config.secrets)  # a new password or webhook stays out of the log too
    for job, seconds, was in (
        ("tick", config.settings.tick, daemon.config.settings.tick),
        ("digests", config.settings.digest_check, daemon.config.settings.digest_check),
    ):
        if daemon.scheduler is not None and seconds != was:
            daemon.scheduler.reschedule_job(job, trigger="interval", seconds=seconds)
    try:
        reload = daemon.app.reconfigure(config)
    except StoreError as exc:  # the config is in use; its sources are synced at the next try
        log.error("reload: %s applied, but syncing the store failed: %s (hint: %s)",
                  daemon.config_path, exc.message, exc.hint)  # fmt: skip
        return
    if reload.needs_restart:
        log.warning(
            "reload: %s applied (%d sources); restart to apply %s (read at start only)",
            daemon.config_path, reload.sources, ", ".join(reload.needs_restart),
        )  # fmt: skip
    else:
        log.info("reload: %s applied (%d sources)", daemon.config_path, reload.sources)
    daemon.notifier.status(f"watching {reload.sources} sources")
