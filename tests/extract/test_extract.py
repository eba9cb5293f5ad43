"""Tests for the extract stage: golden article texts, metadata, the pool."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.extract.article import ExtractPool, extract_article
from monitor.models import Extracted

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "extract"
URLS = {
    "legion": "https://harbour-courier.example/world/2024/05/07/volunteer-unit-crosses-border?utm_source=rss",
    "blog-de": "https://stadtblog.example/2023/radwege-altstadt",
}


@pytest.mark.parametrize("name", sorted(URLS))
def test_golden_article_text(name: str) -> None:
    """x.html → x.expected.txt; set UPDATE_GOLDEN=1 to rewrite the expected files."""
    result = extract_article((GOLDEN / f"{name}.html").read_bytes(), URLS[name])
    assert result is not None
    expected = GOLDEN / f"{name}.expected.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        expected.write_text(result.text + "\n", encoding="utf-8")
    assert result.text == expected.read_text(encoding="utf-8").rstrip("\n")


def test_boilerplate_is_left_out() -> None:
    result = extract_article((GOLDEN / "legion.html").read_bytes(), URLS["legion"])
    assert result is not None
    for junk in ("Advert", "Read Full Article", "Post a Comment", "Previous article", "Log in"):
        assert junk not in result.text
    assert "window.ads" not in result.text


def test_metadata() -> None:
    legion = extract_article((GOLDEN / "legion.html").read_text(encoding="utf-8"), URLS["legion"])
    assert legion == Extracted(
        text=legion.text if legion else "",
        title="Volunteer unit crosses the border at dawn",
        author="Mara Lindqvist",
        published=datetime(2024, 5, 7, 6, 30, tzinfo=UTC),
        language="en",
        site_name="The Harbour Courier",
        # relative rel=canonical, resolved against the page URL
        canonical_url="https://harbour-courier.example/world/2024/05/07/volunteer-unit-crosses-border",
    )
    blog = extract_article((GOLDEN / "blog-de.html").read_bytes(), URLS["blog-de"])
    assert blog is not None
    assert "Universität" in blog.text  # ISO-8859-1 page, declared in a meta tag
    assert blog.language == "de"
    assert blog.canonical_url == "https://stadtblog.example/2023/radwege-altstadt"  # og:url
    assert blog.published is not None and blog.published.date().isoformat() == "2023-03-12"


@pytest.mark.parametrize("html", [b"", b"<html><body></body></html>", b"\x00\xff junk", "<p>"])
def test_no_article(html: bytes | str) -> None:
    assert extract_article(html, "https://x.example/") is None


def crash(html: bytes | str, url: str) -> Extracted | None:
    """A pool task that kills its worker process, as a segfault in lxml would."""
    if b"crash" in (html if isinstance(html, bytes) else html.encode()):
        os._exit(1)
    return extract_article(html, url)


def test_pool_extracts_and_survives_a_worker_crash(caplog: pytest.LogCaptureFixture) -> None:
    page = (GOLDEN / "legion.html").read_bytes()

    async def scenario() -> tuple[Extracted | None, Extracted | None, Extracted | None]:
        pool = ExtractPool(1, task=crash)
        try:
            first = await pool.extract(page, URLS["legion"])
            executor = pool._executor
            crashed = await pool.extract(b"crash", "https://x.example/crash")
            after = await pool.extract(page, URLS["legion"])
            assert pool._executor is not executor  # a fresh pool took over
        finally:
            pool.close()
        return first, crashed, after

    first, crashed, after = asyncio.run(scenario())
    assert first is not None and first.title == "Volunteer unit crosses the border at dawn"
    assert crashed is None
    assert "worker process died" in caplog.text
    assert after == first


def test_pool_defaults_to_the_cpus_and_is_lazy() -> None:
    pool = ExtractPool()
    assert pool.workers >= 1
    assert pool._executor is None
    pool.close()  # closing a pool never started is fine


def whose(html: bytes | str, url: str) -> Extracted | None:
    """A pool task that tells which worker process ran it."""
    return Extracted(text=str(os.getpid()))


def test_pool_recycles_its_workers_under_a_backlog() -> None:
    """After tasks_per_pool tasks a fresh pool takes over, while work is queued. The executor's
    own max_tasks_per_child hung here for good on Python 3.11–3.13 (CPython gh-115634)."""

    async def scenario() -> list[Extracted | None]:
        pool = ExtractPool(1, task=whose)
        pool.tasks_per_pool = 3
        try:
            jobs = [pool.extract(b"", f"https://x.example/{n}") for n in range(10)]
            return await asyncio.wait_for(asyncio.gather(*jobs), 60)
        finally:
            pool.close()

    results = asyncio.run(scenario())
    pids = [r.text for r in results if r is not None]
    assert len(pids) == 10
    assert len(set(pids)) == 4  # 3 + 3 + 3 + 1: four pools, one worker each
