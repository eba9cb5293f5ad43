"""The per-host limit beyond this process: a gate a request passes after the process's own
per-host slot. The embedded daemon has none (one process); the workers of a cluster pass one
that holds a slot per host in PostgreSQL (workers/hostslots.py), so N workers do not make the
per-host limit N times larger."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol


class HostGate(Protocol):
    def slot(self, host: str) -> AbstractAsyncContextManager[None]:
        """Wait for one of the host's `per_host_limit` slots of the cluster; hold it inside."""
