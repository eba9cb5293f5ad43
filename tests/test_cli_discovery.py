"""`feeds add` fetches what it adds and, on a web page, finds its feeds (autodiscovery);
`feeds test` reports the same discovery. All through the installed `news-monitor`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from console import news_monitor
from demosite import SITE, write_config
from httpserver import LocalServer, respond

RSS = (SITE / "world.rss").read_bytes()
ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom of the site</title>
<id>urn:x</id><updated>2025-01-01T00:00:00Z</updated>
<entry><title>One</title><id>urn:x:1</id><link href="http://e.example/1"/>
<updated>2025-01-01T00:00:00Z</updated></entry></feed>"""
JSON_FEED = json.dumps(
    {"version": "https://jsonfeed.org/version/1.1", "title": "JSON of the site", "items": []}
).encode()
HTML = {"Content-Type": "text/html; charset=utf-8"}


def home(*links: str) -> bytes:
    head = "".join(
        f'<link rel="alternate" type="{kind}" href="{href}" title="{title}">'
        for kind, href, title in (link.split("|") for link in links)
    )
    return f"<html><head>{head}</head><body><p>Home</p></body></html>".encode()


@pytest.fixture
def site() -> Iterator[LocalServer]:
    with LocalServer(
        {
            "/world.rss": respond(200, RSS, {"Content-Type": "application/rss+xml"}),
            "/news/atom": respond(200, ATOM, {"Content-Type": "application/atom+xml"}),
            "/broken.rss": respond(200, b"<html>not a feed</html>", HTML),
        }
    ) as server:
        yield server


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path, "- {url: 'http://127.0.0.1:9/old.rss', name: Old}\n")


def add(config: Path, *argv: str) -> tuple[int, str, str]:
    done = news_monitor("feeds", "add", *argv, "--config", str(config))
    return done.returncode, done.stdout, done.stderr


def urls(config: Path) -> list[str]:
    done = news_monitor("feeds", "list", "--json", "--config", str(config))
    assert done.returncode == 0, done.stderr
    return [f["url"] for f in json.loads(done.stdout)]


def test_a_page_that_declares_one_feed_adds_that_feed(site: LocalServer, config: Path) -> None:
    # relative href, and the page's comments feed is not the one it means
    site.routes["/"] = respond(
        200,
        home(
            "application/rss+xml|/world.rss|Top stories",
            "application/rss+xml|/comments.rss|Comments Feed",
        ),
        HTML,
    )
    code, out, err = add(config, site.url("/"))
    assert code == 0, err
    assert f"found {site.url('/world.rss')} (rss, declared by the page)" in out
    assert urls(config)[-1] == site.url("/world.rss")
    assert "/comments.rss" not in site.paths()


def test_several_feeds_are_listed_and_one_is_picked(site: LocalServer, config: Path) -> None:
    site.routes["/"] = respond(
        200,
        home("application/rss+xml|world.rss|RSS", "application/atom+xml|news/atom|Atom"),
        HTML,
    )
    before = config.read_text(encoding="utf-8")
    code, out, err = add(config, site.url("/"))
    assert code == 1 and "declares 2 feeds: which one?" in err
    assert "--pick N" in err and "--yes" in err and "Traceback" not in err
    assert (
        f"1. {site.url('/world.rss')}  rss" in out and f"2. {site.url('/news/atom')}  atom" in out
    )
    assert config.read_text(encoding="utf-8") == before  # nothing added
    assert add(config, site.url("/"), "--pick", "3")[0] == 1
    code, out, err = add(config, site.url("/"), "--pick", "2", "--name", "Atom")
    assert code == 0 and "added 'Atom'" in out, err
    code, out, err = add(config, site.url("/"), "--yes", "--name", "First")
    assert code == 0, err
    assert urls(config)[-2:] == [site.url("/news/atom"), site.url("/world.rss")]


def test_without_declared_feeds_the_usual_paths_are_probed_in_order(
    site: LocalServer, config: Path
) -> None:
    site.routes["/section/"] = respond(200, home(), HTML)
    site.routes["/rss.xml"] = respond(200, RSS, {"Content-Type": "application/rss+xml"})
    site.routes["/atom.xml"] = respond(200, ATOM, {"Content-Type": "application/atom+xml"})
    code, out, err = add(config, site.url("/section/"))
    assert code == 0, err
    assert f"found {site.url('/rss.xml')} (rss, at a usual path of the site)" in out
    # one at a time, and no further than the first feed
    assert site.paths() == ["/section/", "/feed", "/rss.xml"]
    assert urls(config)[-1] == site.url("/rss.xml")


def test_a_page_without_feeds_is_not_added_and_the_hint_offers_a_section_page(
    site: LocalServer, config: Path
) -> None:
    site.routes["/"] = respond(200, home("application/rss+xml|/broken.rss|Unreadable"), HTML)
    before = config.read_text(encoding="utf-8")
    code, out, err = add(config, site.url("/"))
    assert code == 1 and f"error: no feed found at {site.url('/')}" in err
    assert f"news-monitor feeds add {site.url('/')} --type page" in err
    assert config.read_text(encoding="utf-8") == before
    assert site.paths() == ["/", "/broken.rss", "/feed", "/rss.xml", "/atom.xml", "/index.xml"] + [
        "/feed.json"
    ]
    code, out, err = add(config, site.url("/"), "--type", "page")
    assert code == 0 and urls(config)[-1] == site.url("/"), err


def test_feeds_add_fetches_what_it_adds(site: LocalServer, config: Path) -> None:
    before = config.read_text(encoding="utf-8")
    code, _, err = add(config, site.url("/missing.rss"))
    assert code == 1 and "HTTP 404" in err and "Traceback" not in err
    code, _, err = add(config, site.url("/world.rss"), "--type", "page")
    assert code == 1 and "is a feed (rss), not a section page" in err
    assert config.read_text(encoding="utf-8") == before


def test_default_names_keep_the_port(config: Path) -> None:
    feed = {"/world.rss": respond(200, RSS, {"Content-Type": "application/rss+xml"})}
    with LocalServer(feed) as one, LocalServer(feed) as two:
        for server in (one, two):
            code, out, err = add(config, server.url("/world.rss"))
            assert code == 0 and f"added '127.0.0.1:{server.port}/world.rss'" in out, err
    done = news_monitor("feeds", "list", "--json", "--config", str(config))
    names = [f["name"] for f in json.loads(done.stdout)]
    assert names[1:] == [f"127.0.0.1:{one.port}/world.rss", f"127.0.0.1:{two.port}/world.rss"]


def test_feeds_test_reports_the_discovery(site: LocalServer, config: Path) -> None:
    site.routes["/"] = respond(
        200,
        home("application/rss+xml|/world.rss|RSS", "application/atom+xml|/news/atom|Atom"),
        HTML,
    )
    done = news_monitor("feeds", "test", site.url("/"), "--json", "--config", str(config))
    report = json.loads(done.stdout)
    assert [(f["url"], f["format"], f["via"]) for f in report["discovered"]] == [
        (site.url("/world.rss"), "rss", "declared"),
        (site.url("/news/atom"), "atom", "declared"),
    ]
    assert report["discovered"][1]["title"] == "Atom of the site"
    done = news_monitor("feeds", "test", site.url("/"), "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert "2 feeds found for it" in done.stdout and f"2. {site.url('/news/atom')}" in done.stdout
    done = news_monitor("feeds", "test", site.url("/world.rss"), "--json", "--config", str(config))
    assert "discovered" not in json.loads(done.stdout)  # a feed: nothing to discover
