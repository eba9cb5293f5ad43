"""Mute and unmute from the web app: POST forms with the CSRF token (settings.web.actions on),
answered 303 back to the page, which shows the mute; the CLI (`status --json`) sees the same
mutes, and a mute made by the CLI shows on the pages at once. A POST without the token, or with
a wrong one, gets 403 and changes nothing; with actions off, no page offers one."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chromium_driver import chromium
from console import news_monitor, web_server
from webdemo import Demo


def _mutes(config: Path) -> list[dict[str, Any]]:
    done = news_monitor("--config", str(config), "status", "--json")
    assert done.returncode == 0, done.stderr
    found: list[dict[str, Any]] = json.loads(done.stdout)["mutes"]
    return found


@pytest.fixture(scope="module")
def acting(demo: Demo) -> Iterator[tuple[Path, str]]:
    """The demo state served with settings.web.actions on (a config beside the demo's)."""
    config = demo.config.with_name("acting.yaml")
    text = demo.config.read_text()
    config.write_text(text.replace("settings:\n", "settings:\n  web: {actions: true}\n", 1))
    with web_server(config) as base:
        yield config, base


def _story(base: str) -> int:
    stories = httpx.get(base + "/api/v1/stories").json()["stories"]
    return int(stories[0]["id"])


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found, "the page offers a form with the CSRF token"
    return found.group(1)


def test_a_post_without_the_token_or_with_a_wrong_one_is_refused(
    acting: tuple[Path, str],
) -> None:
    config, base = acting
    story = _story(base)
    token = _token(httpx.get(f"{base}/stories/{story}").text)
    wrong = "0" * len(token)
    attempts = [
        {"data": {"for": "7d"}},
        {"data": {"for": "7d", "csrf_token": ""}},
        {"data": {"for": "7d", "csrf_token": wrong}},
        {"data": {"for": "7d"}, "headers": {"X-CSRF-Token": wrong}},
        {"content": f'{{"csrf_token": "{token}"}}', "headers": {"Content-Type": "text/plain"}},
    ]
    for path in (f"/stories/{story}/mute", "/topics/Legion/mute"):
        for attempt in attempts:
            r = httpx.post(base + path, **attempt)  # type: ignore[arg-type]
            assert r.status_code == 403, (path, attempt, r.status_code)
            assert "CSRF" in r.text
    assert _mutes(config) == []
    assert "Muted" not in httpx.get(f"{base}/stories/{story}").text
    assert 'class="muted"' not in httpx.get(f"{base}/topics").text
    assert httpx.get(f"{base}/stories/{story}/mute").status_code == 405  # GET changes nothing


def test_a_good_token_mutes_and_answers_303_back_to_the_page(acting: tuple[Path, str]) -> None:
    config, base = acting
    story = _story(base)
    token = _token(httpx.get(f"{base}/stories/{story}").text)
    r = httpx.post(f"{base}/stories/{story}/mute", data={"csrf_token": token, "for": "1d"})
    assert r.status_code == 303 and r.headers["location"] == f"/stories/{story}"
    (mute,) = _mutes(config)
    assert mute["kind"] == "story" and mute["story_id"] == story and mute["until"]
    bad = httpx.post(f"{base}/stories/{story}/mute", data={"csrf_token": token, "for": "soon"})
    assert bad.status_code == 400 and _mutes(config) == [mute]  # unchanged
    missing = httpx.post(f"{base}/stories/999999/mute", data={"csrf_token": token})
    assert missing.status_code == 404
    no_topic = httpx.post(f"{base}/topics/Nope/mute", data={"csrf_token": token, "for": "1d"})
    assert no_topic.status_code == 400 and len(_mutes(config)) == 1
    r = httpx.post(f"{base}/stories/{story}/unmute", headers={"X-CSRF-Token": token})
    assert r.status_code == 303 and _mutes(config) == []


def test_a_mute_by_the_cli_shows_on_the_pages_at_once(acting: tuple[Path, str]) -> None:
    config, base = acting
    story = _story(base)
    before = httpx.get(f"{base}/stories/{story}").text  # kept by the app
    assert "Muted" not in before and "Muted" not in httpx.get(f"{base}/stories/{story}").text
    said = news_monitor("--config", str(config), "stories", "mute", str(story), "--for", "2d")
    assert said.returncode == 0, said.stderr
    try:
        assert (
            "Muted until" in httpx.get(f"{base}/stories/{story}").text
        )  # another process's commit
        home = httpx.get(base + "/").text
        assert re.search(rf'data-story="{story}".*?class="muted">muted<', home, re.S)
    finally:
        news_monitor("--config", str(config), "stories", "unmute", str(story))
    assert "Muted until" not in httpx.get(f"{base}/stories/{story}").text


def test_mute_and_unmute_by_clicking_in_a_browser(acting: tuple[Path, str]) -> None:
    config, base = acting
    story = _story(base)
    with chromium() as browser:
        tab = browser.new_page()
        tab.goto(f"{base}/stories/{story}")
        assert tab.locator("section.mute p.muted").count() == 0
        tab.select_option("section.mute select[name=for]", "7d")
        tab.click("section.mute button[name=mute]")
        tab.wait_for_load_state("load")
        assert tab.url == f"{base}/stories/{story}"  # POST, then redirect, then GET
        assert tab.locator("section.mute p.muted").inner_text().startswith("Muted until ")
        (mute,) = _mutes(config)
        assert mute["story_id"] == story
        tab.goto(base + "/")
        card = tab.locator(f"article.story[data-story='{story}']")
        assert card.locator("span.muted").inner_text() == "muted"
        tab.goto(f"{base}/stories/{story}")
        tab.click("section.mute button[name=unmute]")
        tab.wait_for_load_state("load")
        assert tab.locator("section.mute p.muted").count() == 0
        assert tab.locator("section.mute button[name=mute]").is_visible()
        assert _mutes(config) == []

        tab.goto(base + "/topics")
        legion = tab.locator("section.topic-summary[data-topic='Legion']")
        legion.locator("select[name=for]").select_option("1d")
        legion.locator("button[name=mute]").click()
        tab.wait_for_load_state("load")
        legion = tab.locator("section.topic-summary[data-topic='Legion']")
        assert legion.locator("p.muted").inner_text().startswith("Muted until ")
        (mute,) = _mutes(config)
        assert mute["kind"] == "topic" and mute["topic"] == "Legion"
        legion.locator("button[name=unmute]").click()
        tab.wait_for_load_state("load")
        assert tab.locator("section.topic-summary[data-topic='Legion'] p.muted").count() == 0
        assert _mutes(config) == []
        tab.close()


def test_with_actions_off_no_page_offers_one_and_a_post_is_refused(demo: Demo, web: str) -> None:
    story = _story(web)
    for path in (f"/stories/{story}", "/topics"):
        assert 'method="post"' not in httpx.get(web + path).text
    r = httpx.post(f"{web}/stories/{story}/mute", data={"for": "1d"})
    assert r.status_code == 403
    assert _mutes(demo.config) == []
