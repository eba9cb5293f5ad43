"""What the web app keeps (web/answers.py): an answer is served again only for the same key,
while the data version is the same and for at most MAX_AGE; never a non-200 answer, never
under an unknown version; the least recently used go first; a change here forgets all."""

from __future__ import annotations

from starlette.responses import Response

from monitor.web import answers
from monitor.web.answers import Answers


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
