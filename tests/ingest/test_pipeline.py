"""A source through every stage against a real local site: stored once, extracted, matched, isolated."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from demosite import write_config
from httpserver import Exchange, LocalServer, redirect, respond
from monitor.app import App
from monitor.clock import utcnow
from monitor.config import load_config
from monitor.store import sources as source_store
from monitor.store.schema import article_sources, articles, topic_matches


def make_app(tmp_path: Path, feeds: str) -> App:
    return App.open(load_config(write_config(tmp_path, feeds), {}))


def poll(app: App, *names: str, force: bool = True) -> dict[str, object]:
    outcomes = asyncio.run(app.poll(list(names) or None, force=force))
    return {o.source: o for o in outcomes}


def source(app: App, name: str) -> source_store.SourceRow:
    with app.store.connect() as conn:
        (row,) = source_store.all_sources(conn, [name])
    return row


def rows(app: App, table: sa.Table) -> list[sa.Row[object]]:
    with app.store.connect() as conn:
        return list(conn.execute(sa.select(table)))


def test_feed_poll_extracts_pages_and_uses_full_feed_content(
    tmp_path: Path, server: LocalServer
) -> None:
    app = make_app(tmp_path, f"- {{url: '{server.url('/world.rss')}', name: World}}\n")
    outcome = poll(app)["World"]
    assert outcome.ok and outcome.new_articles == 3  # type: ignore[attr-defined]
    stored = {r.title: r for r in rows(app, articles)}
    raid = stored["Russian volunteer legion claims cross-border raid in Belgorod"]
    assert raid.canonical_url == server.url(
        "/articles/legion-claims-belgorod-raid.html"
    )  # utm_* gone, rel=canonical
    assert "Kozinka" in raid.text and raid.published is not None
    assert raid.text.startswith("Fighters of the Freedom of Russia Legion")  # not the headline
    for boilerplate in ("Advert", "0 comments", "Read Full Article", "Previous article"):
        assert boilerplate not in raid.text
    cycling = stored["City council approves new cycling lanes"]
    assert "48 million euros" in cycling.text
    assert (
        "/articles/council-approves-cycling-lanes.html" not in server.paths()
    )  # full feed content: page not fetched
    matched = {r.article_id for r in rows(app, topic_matches)}
    assert matched == {stored[t].id for t in stored if "cycling" not in t}
    row = source(app, "World")
    assert row.etag == '"v1"' and row.error_count == 0 and row.items_seen == 3
    assert row.next_check_at is not None and row.next_check_at > utcnow()


def test_second_poll_is_conditional_and_stores_nothing_twice(
    tmp_path: Path, server: LocalServer
) -> None:
    app = make_app(tmp_path, f"- {{url: '{server.url('/world.rss')}', name: World}}\n")
    poll(app)
    outcome = poll(app)["World"]
    assert outcome.ok and outcome.not_modified  # type: ignore[attr-defined]
    assert server.requests[-1].headers.get("if-none-match") == '"v1"'
    assert len(rows(app, articles)) == 3


def test_page_source_follows_links_and_shares_articles_with_the_feed(
    tmp_path: Path, server: LocalServer
) -> None:
    feeds = f"""\
    - {{url: '{server.url("/world.rss")}', name: World}}
    - {{url: '{server.url("/ukraine/")}', name: Section, type: page}}
    """
    app = make_app(tmp_path, feeds)
    results = poll(app)
    assert results["Section"].ok and results["World"].ok  # type: ignore[attr-defined]
    assert len(rows(app, articles)) == 3  # the two section links are the feed's articles
    links = {(r.article_id, r.source) for r in rows(app, article_sources)}
    assert sum(1 for _, s in links if s == "Section") == 2
    assert not any("/about/" in p or "/tag/" in p or "/author/" in p for p in server.paths())


def test_failing_sources_are_recorded_and_do_not_stop_the_others(
    tmp_path: Path, server: LocalServer
) -> None:
    server.routes["/broken"] = respond(500, b"oops")
    server.routes["/busy"] = respond(429, b"slow down", {"Retry-After": "3600"})
    server.routes["/gone"] = respond(410, b"gone")
    server.routes["/html"] = respond(
        200, b"<!DOCTYPE html><html><body><p>hi</p></body></html>", {"Content-Type": "text/html"}
    )
    feeds = "".join(
        f"- {{url: '{server.url(p)}', name: {n}}}\n"
        for p, n in [
            ("/world.rss", "World"),
            ("/broken", "Broken"),
            ("/busy", "Busy"),
            ("/gone", "Gone"),
            ("/html", "Html"),
        ]
    )
    app = make_app(tmp_path, feeds)
    before = utcnow()
    results = poll(app)
    assert results["World"].ok and results["World"].new_articles == 3  # type: ignore[attr-defined]
    broken = source(app, "Broken")
    assert broken.error_count == 1 and "500" in (broken.last_error or "")
    assert broken.next_check_at is not None and broken.next_check_at > before
    busy = source(app, "Busy")
    assert busy.next_check_at is not None and busy.next_check_at >= before + timedelta(seconds=3600)
    gone = source(app, "Gone")
    assert gone.disabled and "410" in (gone.disabled_reason or "")
    html = source(app, "Html")
    assert html.error_count == 1 and "HTML" in (html.last_error or "")
    # a second round: the disabled source is not polled again
    again = poll(app)
    assert "Gone" not in again and source(app, "Broken").error_count == 2


def test_permanent_redirect_updates_the_stored_url(tmp_path: Path, server: LocalServer) -> None:
    server.routes["/old.rss"] = redirect(server.url("/world.rss"), 301)
    app = make_app(tmp_path, f"- {{url: '{server.url('/old.rss')}', name: World}}\n")
    poll(app)
    row = source(app, "World")
    assert row.current_url == server.url("/world.rss") and row.url == server.url("/old.rss")
    poll(app)
    assert server.paths()[-1] == "/world.rss"  # the next poll goes straight to the new URL


def test_a_crash_inside_the_transaction_stores_nothing_and_keeps_the_source_state(
    tmp_path: Path, server: LocalServer
) -> None:
    app = make_app(tmp_path, f"- {{url: '{server.url('/world.rss')}', name: World}}\n")

    class Boom:
        name = "boom"
        calls = 0

        def process(
            self, conn: sa.Connection, article_id: int, article: object, now: datetime
        ) -> None:
            Boom.calls += 1
            if Boom.calls == 2:
                raise RuntimeError("simulated crash after the first article")

    app.stages = [*app.stages, Boom()]
    outcome = poll(app)["World"]
    assert not outcome.ok  # type: ignore[attr-defined]
    assert rows(app, articles) == [] and rows(app, topic_matches) == []
    row = source(app, "World")
    assert row.etag is None and row.error_count == 1 and row.last_success is None
    app.stages = app.stages[:-1]
    assert poll(app)["World"].new_articles == 3  # type: ignore[attr-defined]


def test_hostile_slow_source_does_not_hold_up_the_others(
    tmp_path: Path, server: LocalServer
) -> None:
    def trickle(ex: Exchange) -> None:
        ex.start(200, {"Content-Type": "application/rss+xml"})
        while ex.write(b" ") and ex.sleep(0.5):
            pass

    server.routes["/slow"] = trickle
    feeds = f"- {{url: '{server.url('/world.rss')}', name: World}}\n- {{url: '{server.url('/slow')}', name: Slow}}\n"
    app = make_app(tmp_path, feeds)
    results = poll(app)
    assert results["World"].ok  # type: ignore[attr-defined]
    assert (
        "timed out" in (source(app, "Slow").last_error or "").lower()
        or source(app, "Slow").error_count == 1
    )
