"""Private addresses, through the installed `news-monitor`: a URL a feed leads to may reach one
only on its source's own host or in settings.fetch.allow_networks (docs/decisions.md)."""

from __future__ import annotations

import json
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from console import news_monitor
from demosite import write_config
from httpserver import LocalServer, redirect, respond

RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
TOKEN = "INTERNAL-ONLY-7f3a"  # what the private servers answer: it must never be stored
ALLOW_HINT = "allow it with settings.fetch.allow_networks"


ITEM = (
    "<item><title>Item {n}</title><link>{link}</link><description>Teaser {n}.</description></item>"
)


def rss(*links: str) -> bytes:
    """A feed whose items link to `links`, with teasers only (so `full_text: auto` wants pages)."""
    items = [ITEM.format(n=n, link=link) for n, link in enumerate(links)]
    return (
        '<rss version="2.0"><channel><title>T</title>' + "".join(items) + "</channel></rss>"
    ).encode()


def page(title: str, words: str) -> bytes:
    body = " ".join([words] * 40)
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{body}</p></article></body></html>".encode()


PRIVATE_PAGE = respond(200, page("Admin", TOKEN), HTML)
PUBLIC_PAGE = respond(200, page("Story", "An ordinary article about the harbour."), HTML)


@contextmanager
def private_servers() -> Iterator[tuple[LocalServer, LocalServer]]:
    """Two servers on other loopback addresses (Linux routes all of 127/8 to lo)."""
    with (
        LocalServer({"/admin": PRIVATE_PAGE}, host="127.0.0.2") as two,
        LocalServer({"/secret": PRIVATE_PAGE}, host="127.0.0.3") as three,
    ):
        yield two, three


def config_for(tmp_path: Path, url: str, *, kind: str = "feed", allow: str = "") -> Path:
    path = write_config(
        tmp_path, f"- {{url: '{url}', name: Src, type: {kind}, full_text: always}}\n"
    )
    if allow:  # into write_config's own `fetch:` block
        text = path.read_text(encoding="utf-8")
        text = text.replace(
            "max_body_size: 1MiB}", f"max_body_size: 1MiB, allow_networks: [{allow}]}}"
        )
        path.write_text(text, encoding="utf-8")
    return path


def poll_status(config: Path) -> dict[str, Any]:
    run = news_monitor("poll", "--all", "--config", str(config))
    assert "Traceback" not in run.stderr, run.stderr
    shown = news_monitor("status", "--json", "--config", str(config))
    assert shown.returncode == 0, shown.stderr
    (source,) = json.loads(shown.stdout)["sources"]
    source["poll_stdout"] = run.stdout
    return source


def state_dump(tmp_path: Path) -> str:
    (db,) = (tmp_path / "state").glob("*.db")
    with sqlite3.connect(db) as conn:
        return "\n".join(conn.iterdump())


def reasons(source: dict[str, Any]) -> dict[str, int]:
    return {r["reason"]: r["count"] for r in source["skip_reasons"]}


def test_links_and_redirects_to_other_private_hosts_are_skipped(tmp_path: Path) -> None:
    with (
        private_servers() as (two, three),
        LocalServer({"/b": PUBLIC_PAGE}) as port_b,  # 127.0.0.1 too, another port
        LocalServer({"/same": PUBLIC_PAGE}) as src,
    ):
        src.routes["/hop"] = redirect(three.url("/secret"))
        links = [src.url("/same"), port_b.url("/b"), two.url("/admin"), src.url("/hop")]
        src.routes["/feed"] = respond(200, rss(*links), RSS)
        source = poll_status(config_for(tmp_path, src.url("/feed")))
        assert two.requests == [] and three.requests == []
        assert "/same" in src.paths() and "/hop" in src.paths() and port_b.paths() == ["/b"]
    assert source["health"] == "ok" and source["error_count"] == 0
    assert source["articles"] == 2 and source["skipped"] == 2
    assert reasons(source) == {
        f"link to a private address 127.0.0.2 refused; {ALLOW_HINT}": 1,
        f"redirect to a private address 127.0.0.3 refused; {ALLOW_HINT}": 1,
    }
    assert "Src: skipped 1 item: link to a private address 127.0.0.2" in source["poll_stdout"]
    assert TOKEN not in state_dump(tmp_path)
    table = news_monitor("status", "--config", str(tmp_path / "feeds.yaml")).stdout
    assert "link to a private address 127.0.0.2 refused" in table


def test_allow_networks_lets_them_through(tmp_path: Path) -> None:
    with private_servers() as (two, three), LocalServer() as src:
        src.routes["/hop"] = redirect(three.url("/secret"))
        src.routes["/feed"] = respond(200, rss(two.url("/admin"), src.url("/hop")), RSS)
        config = config_for(tmp_path, src.url("/feed"), allow="127.0.0.2/32, 127.0.0.3")
        source = poll_status(config)
        assert two.paths() == ["/admin"] and three.paths() == ["/secret"]
    assert source["articles"] == 2 and source["skipped"] == 0
    assert TOKEN in state_dump(tmp_path)


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize(
    ("form", "address"),
    [
        ("http://2130706433:{port}/x", "127.0.0.1"),  # decimal
        ("http://[::ffff:127.0.0.1]:{port}/x", "127.0.0.1"),  # IPv4-mapped IPv6
        ("http://0177.0.0.1:{port}/x", None),  # octal: not even a URL to httpx
        ("http://[::1]:{port6}/x", "::1"),
    ],
)
def test_other_spellings_of_loopback_are_refused(
    tmp_path: Path, form: str, address: str | None
) -> None:
    if "port6" in form and not _has_ipv6_loopback():
        pytest.skip("this machine has no IPv6 loopback (::1)")
    with ExitStack() as stack:
        # the source's own server, spelled another way: another host name, so not "same host"
        src = stack.enter_context(LocalServer({"/x": PRIVATE_PAGE}))
        six = (
            stack.enter_context(LocalServer({"/x": PRIVATE_PAGE}, host="::1"))
            if "port6" in form
            else None
        )
        link = form.format(port=src.port, port6=six.port if six else 0)
        src.routes["/feed"] = respond(200, rss(link), RSS)
        source = poll_status(config_for(tmp_path, src.url("/feed")))
        assert src.paths() == ["/feed"] and (six is None or six.requests == [])
    assert source["health"] == "ok" and TOKEN not in state_dump(tmp_path)
    if address is not None:
        assert reasons(source) == {f"link to a private address {address} refused; {ALLOW_HINT}": 1}


def test_a_source_redirected_to_another_private_host_fails_with_the_hint(tmp_path: Path) -> None:
    with private_servers() as (two, three):
        two.routes["/feed"] = redirect(three.url("/secret"))
        source = poll_status(config_for(tmp_path, two.url("/feed")))
        assert three.requests == []
    assert source["health"] == "failed"
    assert source["last_error"] == (
        f"{two.url('/feed')}: redirected to {three.url('/secret')}: "
        "the private address 127.0.0.3 refused"
    )
    assert source["last_error_hint"] == ALLOW_HINT


def test_a_section_page_leads_nowhere_private(tmp_path: Path) -> None:
    # a section page follows only links on its own site; one may redirect, and the feed it
    # declares may be anywhere
    same, hop = "/world/harbour-reopens-after-storm", "/world/admin-panel-moved-here"
    with private_servers() as (two, three), LocalServer({same: PUBLIC_PAGE}) as src:
        src.routes[hop] = redirect(three.url("/secret"))
        links = f'<a href="{same}">The harbour reopens today</a> <a href="{hop}">Admin panel moved here</a>'
        alternate = f'<link rel="alternate" type="application/rss+xml" href="{two.url("/admin")}">'
        html = f"<html><head>{alternate}</head><body>{links}</body></html>".encode()
        src.routes["/section"] = respond(200, html, HTML)
        source = poll_status(config_for(tmp_path, src.url("/section"), kind="page"))
        assert two.requests == [] and three.requests == []
        assert same in src.paths() and hop in src.paths()
    assert source["health"] == "ok" and source["articles"] == 1
    assert reasons(source) == {f"redirect to a private address 127.0.0.3 refused; {ALLOW_HINT}": 1}
    assert TOKEN not in state_dump(tmp_path)


def test_feeds_test_shows_the_refused_item(tmp_path: Path) -> None:
    with private_servers() as (two, _), LocalServer() as src:
        src.routes["/feed"] = respond(200, rss(two.url("/admin")), RSS)
        config = config_for(tmp_path, src.url("/feed"))
        run = news_monitor("feeds", "test", src.url("/feed"), "--json", "--config", str(config))
        assert run.returncode == 0, run.stderr
        assert two.requests == []
    (item,) = json.loads(run.stdout)["items"]
    assert item["skipped"] == f"link to a private address 127.0.0.2 refused; {ALLOW_HINT}"
    assert TOKEN not in run.stdout


def test_check_validates_allow_networks(tmp_path: Path) -> None:
    config = config_for(tmp_path, "http://127.0.0.1:9/feed", allow="10.0.0.0/33")
    run = news_monitor("check", "--config", str(config))
    assert run.returncode != 0
    assert "allow_networks" in run.stdout + run.stderr and "10.0.0.0/33" in run.stdout + run.stderr
