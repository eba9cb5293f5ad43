"""Which page failures make an article wait for its full text, and the rules around it: the
configured schedule, matches kept or added when the text arrives."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from httpserver import LocalServer, respond
from monitor.config import load_config
from monitor.errors import (
    BodyTooLarge,
    ConfigError,
    ConnectFailed,
    FetchTimeout,
    HTTPStatusError,
    TooManyRedirects,
)
from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings
from monitor.ingest import steps
from monitor.models import Article, Entry, Extracted
from monitor.store import Store, articles, topic_queries
from monitor.store.schema import topic_matches
from monitor.store.topic_queries import MatchRow

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
QUICK = FetchSettings(connect_timeout=1, read_timeout=1, total_timeout=2)
PAGE = (
    b"<html><body><article><p>" + b"Words of the article. " * 60 + b"</p></article></body></html>"
)


class SlowExtractor:
    """Takes longer than the extraction timeout on every page."""

    async def extract(self, html: bytes, url: str) -> Extracted | None:
        await asyncio.sleep(5)
        return None


def test_transient_failures_are_told_from_permanent_ones() -> None:
    assert steps.transient(FetchTimeout("slow"))
    assert steps.transient(ConnectFailed("refused"))
    assert steps.transient(HTTPStatusError("busy", 503))
    assert steps.transient(HTTPStatusError("slow down", 429))
    for permanent in (404, 410, 403, 400):
        assert not steps.transient(HTTPStatusError("no", permanent))
    assert not steps.transient(BodyTooLarge("big"))
    assert not steps.transient(TooManyRedirects("loop"))


def test_an_extraction_that_times_out_keeps_the_teaser_and_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(steps, "EXTRACT_TIMEOUT", 0.2)

    async def read(url: str) -> steps.EntryArticle:
        async with Fetcher(QUICK) as fetcher:
            return await steps.article_of(
                fetcher,
                SlowExtractor(),  # type: ignore[arg-type]
                Entry(url=url, guid="g", title="Headline", summary="A teaser…"),
                url,
                "auto",
                source="S",
                origin=url,
                clock=lambda: T0,
            )

    with LocalServer({"/a": respond(200, PAGE, {"Content-Type": "text/html"})}) as server:
        got = asyncio.run(read(server.url("/a")))
    assert got.timed_out and got.article is not None and got.article.text == "A teaser…"
    assert isinstance(got.stored, steps.Teaser)
    assert "extraction took longer than 0.2s" in got.stored.error


def test_a_missing_page_does_not_wait() -> None:
    async def read(url: str) -> steps.EntryArticle:
        async with Fetcher(QUICK) as fetcher:
            entry = Entry(url=url, guid="g", title="Headline", summary="A teaser…")
            return await steps.article_of(
                fetcher,
                None,
                entry,
                url,
                "auto",
                source="S",
                origin=url,
                clock=lambda: T0,  # type: ignore[arg-type]
            )

    with LocalServer({}) as server:  # every path answers 404
        got = asyncio.run(read(server.url("/gone")))
    assert got.page_error is not None and "404" in got.page_error
    assert got.retry_error is None and got.stored is got.article


def config_with(tmp_path: Path, block: str) -> Any:
    path = tmp_path / "feeds.yaml"
    path.write_text(f"settings:\n  full_text_retry: {block}\n", encoding="utf-8")
    return load_config(path)


def test_the_schedule_is_configured(tmp_path: Path) -> None:
    default = config_with(tmp_path, "{}").settings.full_text_retry
    assert default.attempts == 5
    assert default.backoff == (600, 1800, 7200, 21600, 43200)
    policy = config_with(tmp_path, "{attempts: 4, backoff: [1m, 1h]}").settings.full_text_retry
    assert [policy.delay(i) for i in range(4)] == [60, 3600, 3600, 3600]  # the last repeats
    assert config_with(tmp_path, "{attempts: 0}").settings.full_text_retry.attempts == 0


@pytest.mark.parametrize(
    ("block", "said"),
    [
        ("{attempts: -1}", "full_text_retry.attempts"),
        ("{attempts: lots}", "full_text_retry.attempts"),
        ("{backoff: [10 minutes]}", "full_text_retry.backoff"),
        ("{backoff: []}", "full_text_retry.backoff"),
        ("{tries: 3}", "full_text_retry.tries"),
    ],
)
def test_a_bad_schedule_is_a_config_error(tmp_path: Path, block: str, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config_with(tmp_path, block)
    assert said in str(caught.value)


def test_new_matches_are_new_and_old_ones_keep_their_time(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "state")

    art = Article("https://x.example/a", "https://x.example/a", "Title", "teaser", "S")
    later = T0 + timedelta(hours=2)
    with store.begin() as conn:
        article_id = articles.store(conn, art, T0).article_id
        topic_queries.insert_matches(conn, article_id, [MatchRow("Old", 1.0, "[]", "")], T0)
        topic_queries.insert_matches(conn, article_id, [MatchRow("Gone", 1.0, "[]", "")], T0)
        rows = [MatchRow("Old", 2.0, json.dumps([]), "s"), MatchRow("New", 1.5, "[]", "s")]
        assert topic_queries.replace_matches(conn, article_id, rows, later) == ["New"]
    with store.connect() as conn:
        found = dict(
            conn.execute(sa.select(topic_matches.c.topic, topic_matches.c.matched_at)).all()
        )
    assert found == {"Old": T0, "New": later}
    store.close()
