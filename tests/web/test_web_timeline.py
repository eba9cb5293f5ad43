"""A story's timeline is paged: 25 entries a page (an original with every copy folded under it,
whichever page the copy's own time would fall on), on the page (`?page=`) and in the API
(`limit`, `offset`), over a state with one long story stored as the pipeline stores it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from lxml import etree

from console import web_server
from demosite import write_config
from monitor.store.story_queries import StoryArticle, StoryView
from monitor.store.story_tables import stories
from monitor.web.views import TIMELINE_PAGE, timeline_page
from peers import T0, Data, open_store

ORIGINALS = 30  # two pages


def _view(articles: list[StoryArticle]) -> StoryView:
    return StoryView(1, "t", T0, T0, [], articles)


def _article(i: int, minutes: int, copy_of: int | None = None) -> StoryArticle:
    return StoryArticle(
        i, f"https://x.example/{i}", f"S{i}", f"a{i}", T0 + timedelta(minutes=minutes), copy_of
    )


def test_a_copy_stays_under_its_original_across_pages() -> None:
    originals = [_article(i, i) for i in range(1, 8)]
    late_copy = _article(100, 60, copy_of=1)  # its time is after every original
    early_copy = _article(101, 0, copy_of=7)  # its time is before every original
    orphan = _article(102, 30, copy_of=999)  # its original is not in the story
    members = sorted([*originals, late_copy, early_copy, orphan], key=lambda a: a.published)
    first = timeline_page(_view(members), 0, 3)
    assert [(a.id, [c.id for c in cs]) for a, cs in first.entries] == [(1, [100]), (2, []), (3, [])]
    assert first.total == 8 and first.pages == 3 and first.page == 1
    assert first.ids() == [1, 100, 2, 3]
    last = timeline_page(_view(members), 6, 3)
    assert [(a.id, [c.id for c in cs]) for a, cs in last.entries] == [(7, [101]), (102, [])]
    assert last.page == 3 and last.ids() == [7, 101, 102]
    every = [i for o in range(0, 9, 3) for i in timeline_page(_view(members), o, 3).ids()]
    assert sorted(every) == sorted(a.id for a in members)  # each article on exactly one page
    assert timeline_page(_view(members), 9, 3).entries == []


@pytest.fixture(scope="module")
def long_story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    """Story 1: 30 originals a minute apart, a copy of the first published after all of them
    and a copy of the last published before all of them."""
    tmp = tmp_path_factory.mktemp("timeline")
    config = write_config(tmp, "- {url: 'http://127.0.0.1:9/x.rss', name: Outlet 0}\n")
    store = open_store(tmp / "state")
    with store.begin() as conn:
        conn.execute(
            sa.insert(stories).values(
                id=1, title="A long story", first_seen=T0, last_seen=T0, centroid=b""
            )
        )
    data = Data(store)
    ids = {}
    for i in range(ORIGINALS):
        ids[f"o{i}"] = data.article(
            f"Report {i}", source=f"Outlet {i}", at=T0 + timedelta(minutes=i + 1), story=1
        )
    ids["late"] = data.article(
        "Wire copy of report 0", source="Wire", at=T0 + timedelta(hours=5), story=1,
        copy_of=ids["o0"],
    )  # fmt: skip
    ids["early"] = data.article(
        "Wire copy of report 29", source="Wire 2", at=T0, story=1, copy_of=ids[f"o{ORIGINALS - 1}"]
    )
    store.close()
    with web_server(config) as base:
        yield base, ids


def _entries(html: str) -> list[tuple[int, list[int]]]:
    page = etree.HTML(html)
    return [
        (
            int(li.get("data-article")),
            [int(c) for c in li.xpath(".//li[@class='copy']/@data-article")],
        )
        for li in page.xpath("//ol[@class='timeline']/li[@class='coverage']")
    ]


def test_the_story_page_pages_its_timeline(long_story: tuple[str, dict[str, int]]) -> None:
    base, ids = long_story
    one = httpx.get(f"{base}/stories/1")
    first = _entries(one.text)
    assert len(first) == TIMELINE_PAGE
    assert first[0] == (ids["o0"], [ids["late"]])  # the late copy folded here, not on page 2
    assert "page 1 of 2" in one.text and 'rel="next" href="?page=2"' in one.text
    assert "32 articles" in one.text  # the header counts the whole story
    second = _entries(httpx.get(f"{base}/stories/1", params={"page": 2}).text)
    assert [o for o, _ in second] == [ids[f"o{i}"] for i in range(TIMELINE_PAGE, ORIGINALS)]
    assert second[-1] == (ids[f"o{ORIGINALS - 1}"], [ids["early"]])
    shown = [i for o, cs in first + second for i in (o, *cs)]
    assert sorted(shown) == sorted(ids.values())  # every article once, on one page
    beyond = httpx.get(f"{base}/stories/1", params={"page": 3})
    assert beyond.status_code == 200 and _entries(beyond.text) == []
    assert httpx.get(f"{base}/stories/1", params={"page": "x"}).status_code == 400


def test_the_api_pages_a_storys_members_the_same_way(
    long_story: tuple[str, dict[str, int]],
) -> None:
    base, ids = long_story
    whole = httpx.get(f"{base}/api/v1/stories/1", params={"limit": 200}).json()
    assert whole["article_count"] == ORIGINALS + 2 == len(whole["articles"])
    assert whole["timeline"] == {"total": ORIGINALS, "limit": 200, "offset": 0}
    assert whole["sources"] == ORIGINALS + 2
    first = httpx.get(f"{base}/api/v1/stories/1", params={"limit": 2}).json()
    assert [a["id"] for a in first["articles"]] == [ids["o0"], ids["late"], ids["o1"]]
    assert first["articles"][1]["duplicate_of"] == ids["o0"]
    assert all("snippet" in a for a in first["articles"])
    tail = httpx.get(f"{base}/api/v1/stories/1", params={"limit": 5, "offset": 28}).json()
    assert [a["id"] for a in tail["articles"]] == [ids["o28"], ids["o29"], ids["early"]]
    assert tail["timeline"] == {"total": ORIGINALS, "limit": 5, "offset": 28}
    default = httpx.get(f"{base}/api/v1/stories/1").json()
    assert default["timeline"]["limit"] == 25 and len(default["articles"]) == 26


def test_the_next_link_leads_to_the_second_page_in_a_browser(
    long_story: tuple[str, dict[str, int]],
) -> None:
    from chromium_driver import chromium

    base, ids = long_story
    with chromium() as browser:
        tab = browser.new_page()
        tab.goto(f"{base}/stories/1")
        first = tab.locator("li.coverage").first
        first.locator("details.copies summary").click()  # unfold the copy
        assert first.locator("details.copies li.copy .source").inner_text() == "Wire"
        tab.click("nav.pager a[rel=next]")
        tab.wait_for_url("**/stories/1?page=2")
        rows = tab.locator("ol.timeline > li.coverage")
        assert rows.count() == ORIGINALS - TIMELINE_PAGE
        assert rows.first.locator("span.source").first.inner_text() == f"Outlet {TIMELINE_PAGE}"
        assert tab.locator("nav.pager").inner_text().strip().startswith("← earlier")
        assert "page 2 of 2" in tab.locator("nav.pager").inner_text()
        assert tab.locator("li.copy .source", has_text="Wire 2").count() == 1  # folded here
        assert tab.locator("li.copy .source", has_text="Wire").count() == 1  # not the late one
        tab.close()
