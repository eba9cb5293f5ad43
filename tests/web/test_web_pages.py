"""The web app over a state polled from the demo site, driven over HTTP against the installed
`news-monitor web` (pages, headers, the JSON API's shapes, the Atom feed, health, metrics)."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import feedparser
import httpx
from lxml import etree

from console import news_monitor
from webdemo import WIRE, XSS_TITLE, Demo


def test_every_page_carries_the_security_headers(web: str) -> None:
    for path in ("/", "/topics", "/sources", "/digests", "/api/v1/stories", "/nowhere"):
        r = httpx.get(web + path)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
    assert httpx.get(web + "/nowhere").status_code == 404


def test_home_lists_the_stories_as_the_cli_does(demo: Demo, web: str) -> None:
    cli = news_monitor("--config", str(demo.config), "stories", "--since", "30d", "--json")
    titles = [s["title"] for s in json.loads(cli.stdout)]
    assert len(titles) >= 3
    page = httpx.get(web + "/").text
    for title in titles:
        assert str(etree.HTML(f"<p>{title}</p>").xpath("string(//p)")) in etree.HTML(page).xpath(
            "string(//main)"
        )


def test_the_api_extends_the_cli_shapes(demo: Demo, web: str) -> None:
    cli = json.loads(
        news_monitor("--config", str(demo.config), "stories", "--since", "30d", "--json").stdout
    )
    api = httpx.get(web + "/api/v1/stories", params={"window": "30d", "limit": 200}).json()
    assert api["total"] == len(cli)
    by_id = {s["id"]: s for s in api["stories"]}
    for story in cli:
        served = by_id[story["id"]]
        for key, value in story.items():
            assert served[key] == value, key  # every CLI field, same value
    status = json.loads(news_monitor("--config", str(demo.config), "status", "--json").stdout)
    sources = httpx.get(web + "/api/v1/sources").json()["sources"]
    assert {s["name"] for s in sources} == {s["name"] for s in status["sources"]}
    for s in status["sources"]:
        served = next(x for x in sources if x["name"] == s["name"])
        assert {k: served[k] for k in s} == s
    digests = httpx.get(web + "/api/v1/digests").json()["digests"]
    assert [(d["name"], d["channel"]) for d in digests] == [
        (d["name"], d["channel"]) for d in status["digests"]
    ]


def test_a_story_folds_the_syndicated_copy_under_its_original(web: str) -> None:
    stories = httpx.get(web + "/api/v1/stories", params={"topic": "Legion"}).json()["stories"]
    raid = next(s for s in stories if any(a["source"] == WIRE for a in s["articles"]))
    copy = next(a for a in raid["articles"] if a["source"] == WIRE)
    assert copy["duplicate_of"] is not None
    page = etree.HTML(httpx.get(f"{web}/stories/{raid['id']}").text)
    original = page.xpath(f"//li[@class='coverage'][@data-article='{copy['duplicate_of']}']")
    assert original, "the original stands in the timeline"
    folded = original[0].xpath(".//details[@class='copies']//li[@class='copy']/@data-article")
    assert folded == [str(copy["id"])]
    assert not page.xpath(f"//li[@class='coverage'][@data-article='{copy['id']}']")
    lead = page.xpath("string(//main//span[@class='lead'])")  # as `stories --json` says
    assert lead.startswith(f"first: {raid['first_source']}"), lead
    assert raid["second_source"] is None or lead.endswith(f" before {raid['second_source']}")
    one = httpx.get(f"{web}/api/v1/stories/{raid['id']}").json()
    assert one["id"] == raid["id"] and all("snippet" in a for a in one["articles"])
    assert httpx.get(f"{web}/api/v1/stories/999999").status_code == 404


def test_a_markup_title_is_text(web: str) -> None:
    stories = httpx.get(web + "/api/v1/stories").json()["stories"]
    odd = next(s for s in stories if s["title"] == XSS_TITLE)
    html = httpx.get(f"{web}/stories/{odd['id']}").text
    assert XSS_TITLE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert XSS_TITLE not in httpx.get(web + "/").text


def test_hits_are_highlighted(web: str) -> None:
    page = httpx.get(web + "/topics", params={"q": '"Freedom of Russia Legion"'}).text
    assert re.search(r"<mark>Freedom of Russia Legion</mark>", page, re.I)
    bad = httpx.get(web + "/topics", params={"q": '"unclosed'}).text
    assert 'class="problem"' in bad
    api = httpx.get(web + "/api/v1/query", params={"q": "Belgorod"}).json()
    assert api and all("belgorod" in [h.lower() for h in r["hits"]] for r in api)
    assert httpx.get(web + "/api/v1/query", params={"q": "("}).status_code == 400


def test_the_topics_page_draws_matches_per_day(web: str) -> None:
    page = etree.HTML(httpx.get(web + "/topics").content)
    bars = page.xpath("//svg[@class='chart']/rect")
    assert len(bars) == 30
    assert "bar" in bars[-2].get("class") or "bar" in bars[-1].get("class")  # yesterday's


def test_a_broken_source_comes_first_on_sources(web: str) -> None:
    page = etree.HTML(httpx.get(web + "/sources").content)
    rows = page.xpath("//table[@class='sources']/tbody/tr")
    assert rows[0].get("data-source") == "Broken Feed"
    assert "broken" in rows[0].get("class")
    assert "500" in "".join(rows[0].itertext())


def test_topic_feed_is_atom(web: str) -> None:
    r = httpx.get(f"{web}/topics/{quote('Legion')}.atom")
    assert r.headers["content-type"].startswith("application/atom+xml")
    root = etree.fromstring(r.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    for required in ("a:id", "a:title", "a:updated", "a:author/a:name"):  # RFC 4287 4.1.1
        assert root.xpath(required, namespaces=ns), required
    entries = root.xpath("a:entry", namespaces=ns)
    stories = httpx.get(web + "/api/v1/stories", params={"topic": "Legion", "window": "30d"})
    assert len(entries) == stories.json()["total"] > 0
    for e in entries:  # RFC 4287 4.1.2: id, title, updated; a link as there is no content
        for required in ("a:id", "a:title", "a:updated", "a:link[@rel='alternate']"):
            assert e.xpath(required, namespaces=ns), required
    parsed = feedparser.parse(r.content)
    assert not parsed.bozo and parsed.version == "atom10"
    assert len(parsed.entries) == len(entries)
    assert httpx.get(f"{web}/topics/nope.atom").status_code == 404


def test_health_and_metrics(web: str) -> None:
    assert httpx.get(web + "/healthz").text == "ok\n"
    ready = httpx.get(web + "/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["store"] == "ok"
    text = httpx.get(web + "/metrics").text
    names = set(re.findall(r"^(news_monitor_\w+?)(?:\{| )", text, re.M))
    for name in (
        "news_monitor_articles_stored_total",
        "news_monitor_copies_folded_total",
        "news_monitor_stories_opened_total",
        "news_monitor_topic_matches_total",
        "news_monitor_outbox_pending",
        "news_monitor_sources_broken",
        "news_monitor_last_successful_poll_timestamp_seconds",
        "news_monitor_polls_total",
        "news_monitor_poll_duration_seconds_bucket",
    ):
        assert name in names, name
    assert "http" not in "".join(line for line in text.splitlines() if not line.startswith("#"))
    assert re.search(r"^news_monitor_sources_broken 1\.0$", text, re.M)
    assert re.search(r"^news_monitor_copies_folded_total [1-9]", text, re.M)


def test_a_post_needs_the_csrf_token(web: str) -> None:
    assert httpx.post(web + "/", data={"x": "1"}).status_code == 403
    assert httpx.delete(web + "/").status_code == 405


def test_digests_page_previews_the_next_digest(demo: Demo, web: str) -> None:
    page = httpx.get(web + "/digests").text
    assert "legion-daily" in page and "analysts" in page
    served = httpx.get(web + "/digests/legion-daily/preview.html")
    cli = news_monitor("--config", str(demo.config), "digest", "preview", "legion-daily",
                       "--format", "html")  # fmt: skip
    assert served.text.strip() == cli.stdout.strip()
    assert "sandbox" in served.headers["content-security-policy"]
