"""What the web app keeps between requests: each GET answer (page, API, feed) and /metrics'
store totals, for at most MAX_AGE seconds and only while the store's data version
(`store/data_version.py`) and the config stay the same; and the bounded pool of threads that
runs the store work and rendering off the event loop.

A commit anywhere (a poll, a digest, a mute from the CLI or from a page) changes the version,
so the next request computes its answer anew; what depends on the clock alone (a window of
"the last 1d", a next poll) is at most MAX_AGE old.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from starlette.requests import Request
from starlette.responses import Response

T = TypeVar("T")
MAX_AGE = 10.0  # seconds an answer is kept at most, whatever the data version
RECHECK = 0.1  # seconds between two reads of the data version (a commit is seen this late)
ENTRIES = 256  # answers kept (least recently used dropped first)
THREADS = 4  # store work and rendering at once; more requests wait their turn on the loop


@dataclass(frozen=True)
class _Answer:
    born: float
    version: object
    status: int = 200
    headers: dict[str, str] | None = None
    body: bytes = b""
    value: Any = None  # what `keep` computed

    def response(self) -> Response:
        return Response(self.body, self.status, self.headers)


class Answers:
    """Answers kept by (config, host, path, query), valid for one data version."""

    def __init__(
        self, version: Callable[[], object | None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.probe = version
        self.clock = clock
        self.kept: OrderedDict[tuple[Any, ...], _Answer] = OrderedDict()
        self.lock = threading.Lock()
        self.checked = -1e9
        self.seen: object | None = None
        self.limiter: CapacityLimiter | None = None
        self.hits = self.misses = 0
        # answers being computed, by (key, version): the requests that come meanwhile wait
        # for it instead of computing the same (after a commit, every open request misses)
        self.pending: dict[tuple[Any, ...], asyncio.Future[_Answer | None]] = {}

    def version(self) -> object | None:
        """The data version, read at most every RECHECK seconds (None: keep nothing)."""
        now = self.clock()
        if now - self.checked >= RECHECK:
            self.seen = self.probe()
            self.checked = now
        return self.seen

    def changed(self) -> None:
        """This process committed a change: forget everything now."""
        with self.lock:
            self.kept.clear()
            self.checked = -1e9

    def get(self, key: tuple[Any, ...]) -> Response | None:
        version = self.version()
        with self.lock:
            found = self.kept.get(key)
            if found is None or version is None or found.version != version:
                self.misses += 1
                return None
            if self.clock() - found.born > MAX_AGE:
                del self.kept[key]
                self.misses += 1
                return None
            self.kept.move_to_end(key)
            self.hits += 1
        return found.response()

    def put(
        self, key: tuple[Any, ...], version: object | None, response: Response
    ) -> _Answer | None:
        if version is None or response.status_code != 200:
            return None
        headers = {k: v for k, v in response.headers.items() if k != "content-length"}
        answer = _Answer(self.clock(), version, response.status_code, headers, bytes(response.body))
        with self.lock:
            self.kept[key] = answer
            self.kept.move_to_end(key)
            while len(self.kept) > ENTRIES:
                self.kept.popitem(last=False)
        return answer

    def keep(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """*compute*'s value, kept like an answer (for /metrics' totals)."""
        version = self.version()
        with self.lock:
            found = self.kept.get(key)
        if (
            found is not None
            and version is not None
            and found.version == version
            and self.clock() - found.born <= MAX_AGE
        ):
            value: T = found.value
            return value
        value = compute()
        if version is not None:
            with self.lock:
                self.kept[key] = _Answer(self.clock(), version, value=value)
        return value

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """*fn(*args)* on one of THREADS threads (the store's calls block)."""
        if self.limiter is None:
            self.limiter = CapacityLimiter(THREADS)
        return await anyio.to_thread.run_sync(fn, *args, limiter=self.limiter)


def kept(handler: Callable[[Request], Response]) -> Callable[[Request], Awaitable[Response]]:
    """A GET handler whose 200 answers are kept (`Answers`), run on the bounded pool."""

    async def endpoint(request: Request) -> Response:
        state = request.app.state.web
        answers: Answers = state.answers
        key = (id(state.config), request.headers.get("host"), request.url.path, request.url.query)
        found = answers.get(key)
        if found is not None:
            return found
        version = answers.seen
        flight = (*key, version)
        mine: asyncio.Future[_Answer | None] | None = None
        if (pending := answers.pending.get(flight)) is not None:
            shared = await asyncio.shield(pending)
            if shared is not None:
                return shared.response()  # else (not a 200): compute our own
        else:
            mine = answers.pending[flight] = asyncio.get_running_loop().create_future()
        answer = None
        try:
            response = await answers.run(handler, request)
            answer = answers.put(key, version, response)
        finally:
            if mine is not None:
                mine.set_result(answer)  # the waiting requests take it (None: their own)
                del answers.pending[flight]
        return response

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint
