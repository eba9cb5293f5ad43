"""procrastinate's worker, made to outlive a lost database connection: its heartbeat tries
again at the next beat instead of stopping the worker (a dropped connection, a PostgreSQL
restart), and a job's end is recorded again until the database answers, so that no job stays
`doing` for ever under a live worker (which would hold its source's lock). These override two
methods of procrastinate 3.x's `Worker` (pinned below 4 in pyproject.toml)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from procrastinate import exceptions as queue_errors
from procrastinate.worker import Worker

log = logging.getLogger(__name__)
PERSIST_TRIES = 8  # a job's end is recorded again this many times, backing off to 30 s


class QueueWorker(Worker):
    def __init__(
        self,
        *args: Any,
        on_fault: Callable[[BaseException], None],
        on_back: Callable[[], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.on_fault = on_fault  # the worker's one line per outage
        self.on_back = on_back  # ... and the one at its end

    async def _update_heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.update_heartbeat_interval)
            if self.worker_id is None:
                continue
            try:
                await self.app.job_manager.update_heartbeat(self.worker_id)
            except queue_errors.ConnectorException as exc:
                self.on_fault(exc.__cause__ or exc)
            else:
                self.on_back()

    async def _persist_job_status(self, **kwargs: Any) -> None:  # type: ignore[override]
        delay = 0.5
        for attempt in range(PERSIST_TRIES):
            try:
                await super()._persist_job_status(**kwargs)  # type: ignore[no-untyped-call]
                return
            except queue_errors.ConnectorException as exc:
                cause = exc.__cause__
                if cause is not None and type(cause).__name__ == "RaiseException":
                    # not `doing` any more: it went back to the queue while it ran (this
                    # worker missed heartbeats for stalled_after); its next run finds the work
                    # done (the source's lease, the outbox)
                    log.warning("job %s: ended after it was given to another worker",
                                kwargs["job"].call_string)  # fmt: skip
                    return
                self.on_fault(cause or exc)
                if attempt + 1 == PERSIST_TRIES:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
