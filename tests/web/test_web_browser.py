"""The pages in a real browser (Debian's chromium through Playwright): what a user sees, the DOM
after every script had its chance to run, and no request leaving loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from chromium_driver import chromium
from webdemo import WIRE, XSS_TITLE


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as found:
        yield found


@pytest.fixture
def page(browser: Any, web: str) -> Iterator[Any]:
    context = browser.new_context()
    tab = context.new_page()
    tab.dialogs = []  # type: ignore[attr-defined]
    tab.errors = []  # type: ignore[attr-defined]
    tab.hosts = set()  # type: ignore[attr-defined]
    tab.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    tab.on("request", lambda r: tab.hosts.add(urlsplit(r.url).hostname))
    yield tab
    assert tab.hosts <= {"127.0.0.1"}, f"requests left loopback: {tab.hosts}"
    context.close()


def test_home_lists_the_demo_stories(page: Any, web: str) -> None:
    api = httpx.get(web + "/api/v1/stories").json()
    page.goto(web + "/")
    titles = page.locator("article.story h2").all_inner_texts()
    assert titles == [s["title"] for s in api["stories"]] and len(titles) >= 3
    assert page.locator("link[rel=stylesheet]").get_attribute("href") == "/static/style.css"
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # our CSS applied


def test_a_story_page_shows_sources_and_folded_copies(page: Any, web: str) -> None:
    stories = httpx.get(web + "/api/v1/stories").json()["stories"]
    raid = next(s for s in stories if any(a["source"] == WIRE for a in s["articles"]))
    page.goto(f"{web}/stories/{raid['id']}")
    sources = page.locator("li.coverage > span.source").all_inner_texts()
    assert sources and WIRE not in sources  # the copy is folded, not a row of its own
    copies = page.locator("details.copies")
    assert copies.count() == 1 and not copies.locator("li.copy").first.is_visible()
    copies.locator("summary").click()  # unfold
    assert copies.locator("li.copy .source").inner_text() == WIRE
    assert copies.locator("li.copy").first.is_visible()


def test_a_markup_title_renders_as_text(page: Any, web: str) -> None:
    stories = httpx.get(web + "/api/v1/stories").json()["stories"]
    odd = next(s for s in stories if s["title"] == XSS_TITLE)
    for path in ("/", f"/stories/{odd['id']}"):
        page.goto(web + path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)  # an onerror handler would have fired by now
        assert page.get_by_text(XSS_TITLE, exact=True).count() >= 1  # shown as text
        assert page.locator("main img").count() == 0  # no element injected
        assert page.evaluate("document.querySelectorAll('[onerror]').length") == 0
        assert page.dialogs == [] and page.errors == []


def test_the_query_box_highlights_hits(page: Any, web: str) -> None:
    page.goto(web + "/topics")
    page.fill("input[name=q]", '"Legion of Free Russia" OR Belgorod')
    page.click("section.try button[type=submit]")
    page.wait_for_url("**/topics?q=*")
    marks = {m.lower() for m in page.locator("ul.results mark").all_inner_texts()}
    assert marks and marks <= {"legion of free russia", "belgorod"}
    assert "belgorod" in marks
    assert page.locator("ul.results li.result").count() >= 1


def test_a_broken_source_is_flagged_on_sources(page: Any, web: str) -> None:
    page.goto(web + "/sources")
    first = page.locator("table.sources tbody tr").first
    assert first.get_attribute("data-source") == "Broken Feed"
    assert first.locator("td.health").inner_text().startswith("failed")
    red = first.locator("td.health").evaluate("e => getComputedStyle(e).color")
    ok = page.locator("tr.health-ok td.health").first.evaluate("e => getComputedStyle(e).color")
    assert red != ok  # flagged, not only sorted


def test_non_loopback_needs_auth_and_a_tokenless_request_gets_401(browser: Any, demo: Any) -> None:
    from console import news_monitor, web_server
    from peers import free_port

    listen = f"0.0.0.0:{free_port()}"
    refused = news_monitor("--config", str(demo.config), "web", "--listen", listen)
    assert refused.returncode == 1 and "settings.web.auth is not set" in refused.stderr
    guarded = demo.config.with_name("guarded.yaml")  # beside it: the same state
    text = demo.config.read_text()
    guarded.write_text(text.replace("settings:\n", "settings:\n  web: {auth: {token_env: T}}\n", 1))
    with web_server(guarded, env={"T": "browser-token-1234"}, listen=listen) as base:
        base = base.replace("0.0.0.0", "127.0.0.1")
        context = browser.new_context()
        answer = context.new_page().goto(base + "/")
        assert answer.status == 401
        context.close()
        context = browser.new_context(
            extra_http_headers={"Authorization": "Bearer browser-token-1234"}
        )
        tab = context.new_page()
        assert tab.goto(base + "/").status == 200
        assert tab.locator("article.story").count() >= 3
        context.close()
