"""What the web app keeps (web/answers.py): an answer is served again only for the same key,
while the data version is the same and for at most MAX_AGE; never a non-200 answer, never
under an unknown version; the least recently used go first; a change here forgets all."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from demosite import write_config
from monitor.config import load_config
from monitor.store.db import Store
from monitor.web import answers
from monitor.web.answers import Answers, kept
from monitor.web.server import web_state


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_is_kept_for_one_version_and_a_while() -> None:
    version: list[object | None] = [1]
    clock = Clock()
    kept = Answers(lambda: version[0], clock)
    key = ("config", "host", "/", "")
    assert kept.get(key) is None
    kept.put(key, kept.seen, Response(b"page one", headers={"x-a": "1"}))
    again = kept.get(key)
    assert again is not None and again.body == b"page one" and again.headers["x-a"] == "1"
    assert again.headers["content-length"] == "8"
    assert kept.get(("config", "host", "/", "page=2")) is None  # another query
    version[0] = 2
    clock.now += answers.RECHECK  # the version is read again
    assert kept.get(key) is None  # a commit happened
    kept.put(key, kept.seen, Response(b"page two"))
    clock.now += answers.MAX_AGE + 0.01
    assert kept.get(key) is None  # too old, whatever the version


def test_what_is_never_kept_and_what_goes_first() -> None:
    version: list[object | None] = [None]
    clock = Clock()
    kept = Answers(lambda: version[0], clock)
    kept.put(("a",), kept.version(), Response(b"x"))
    assert kept.get(("a",)) is None  # no version known: nothing kept
    version[0] = 7
    clock.now += answers.RECHECK
    kept.put(("e",), kept.version(), Response(b"no", status_code=404))
    assert kept.get(("e",)) is None
    for i in range(answers.ENTRIES + 1):
        kept.put((i,), 7, Response(b"n"))
    assert kept.get((0,)) is None and kept.get((answers.ENTRIES,)) is not None
    kept.changed()
    assert kept.get((answers.ENTRIES,)) is None


def test_totals_are_computed_once_per_version() -> None:
    version: list[object | None] = ["v1"]
    clock = Clock()
    kept = Answers(lambda: version[0], clock)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert kept.keep(("totals",), compute) == 1
    assert kept.keep(("totals",), compute) == 1
    version[0] = "v2"
    clock.now += answers.RECHECK
    assert kept.keep(("totals",), compute) == 2 and len(calls) == 2


def test_requests_that_miss_together_compute_the_answer_once(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, "[]\n"), {})
    store = Store.open(tmp_path / "state")
    state = web_state(store, lambda: config)
    calls: list[int] = []

    def slow(request: Request) -> Response:
        calls.append(1)
        time.sleep(0.3)  # on the app's threads, as a page's store work is
        return PlainTextResponse(f"answer {len(calls)}")

    app = Starlette(routes=[Route("/", kept(slow))])
    app.state.web = state

    async def together() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await asyncio.gather(*(client.get("/") for _ in range(8)))

    try:
        found = asyncio.run(together())
        assert [r.text for r in found] == ["answer 1"] * 8 and len(calls) == 1
        assert state.answers.pending == {}
        state.changed()  # a write of our own: computed anew
        assert asyncio.run(together())[0].text == "answer 2" and len(calls) == 2
    finally:
        store.close()
