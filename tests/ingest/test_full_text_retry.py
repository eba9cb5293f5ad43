"""Work that timed out is retried: an article whose page failed for a while is stored with its
feed's teaser and waits for its full text; a later `poll` fetches the page, the article then
matches what only its full text says, and a digest sends it once. Driven through the installed
`news-monitor` against pages on loopback and a real SMTP server."""

from __future__ import annotations

import json
import signal
import subprocess
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from console import SCRIPT, clean_env, news_monitor
from httpserver import Exchange, LocalServer, respond
from peers import SmtpPeer, smtp_server

TITLE = "Port authority opens its new container terminal"
TEASER = "The port authority opened its new container terminal on Tuesday, officials said…"
PARAGRAPHS = [
    "The port authority opened its new container terminal on Tuesday, officials said, after "
    "four years of construction on the eastern quay and a long dispute over its cost.",
    "The terminal doubles the number of ships the port can unload at once. Cranes delivered "
    "last spring were tested through the summer, and the first vessel docked at dawn.",
    "Engineers said the dredging of the approach channel, which took eighteen months, was the "
    "hardest part of the work: the silt had to be carried far out to sea by barge.",
    "Local fishermen, who had opposed the project, said the new quay had changed the currents "
    "in the bay. The authority promised a study of the effects within a year.",
]
PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
    f"<title>{TITLE}</title></head><body><nav>Home · News</nav><article><h1>{TITLE}</h1>"
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    + "</article><footer>© The Port Gazette</footer></body></html>"
).encode()


def rss(*items: tuple[str, str, str]) -> bytes:
    """A feed of (guid, title, path) items, each carrying only the teaser."""
    body = "".join(
        f"<item><title>{title}</title><link>{path}</link><guid>{guid}</guid>"
        f"<pubDate>Tue, 01 Dec 2026 09:00:00 GMT</pubDate><description>{TEASER}</description></item>"
        for guid, title, path in items
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Port Gazette</title>"
        f"<link>http://example.org/</link>{body}</channel></rss>"
    ).encode()


class Page:
    """An article page that is slow, failing or fine, as the test says."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.hits = 0

    def __call__(self, ex: Exchange) -> None:
        self.hits += 1
        if self.mode == "slow":  # beyond the configured read timeout
            if ex.sleep(3.0):
                ex.send(200, PAGE, {"Content-Type": "text/html; charset=utf-8"})
        elif self.mode == "503":
            ex.send(503, b"busy", {"Content-Type": "text/plain"})
        elif self.mode == "404":
            ex.send(404, b"gone", {"Content-Type": "text/plain"})
        else:
            ex.send(200, PAGE, {"Content-Type": "text/html; charset=utf-8"})


@pytest.fixture
def smtp() -> Iterator[SmtpPeer]:
    with smtp_server() as peer:
        yield peer


def write_config(tmp_path: Path, feed_url: str, smtp_port: int, attempts: int = 3) -> Path:
    text = f"""\
        settings:
          state_dir: state
          poll_interval: 15m
          min_interval: 1m
          extract_workers: 1
          fetch: {{connect_timeout: 1s, read_timeout: 1s, total_timeout: 2s}}
          full_text_retry: {{attempts: {attempts}, backoff: [1s]}}
        feeds:
          - {{url: '{feed_url}', name: Gazette}}
        topics:
          - name: Dredging
            query: dredging
          - name: Terminal
            query: 'title:terminal'
        digests:
          - name: dredging
            topics: [Dredging]
            channels: [analysts]
          - name: terminals
            topics: [Terminal]
            channels: [analysts]
        channels:
          analysts:
            type: email
            to: [analyst@example.com]
            from: news-monitor@example.org
            smtp: {{host: 127.0.0.1, port: {smtp_port}, timeout: 5s}}
        """
    path = tmp_path / "feeds.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run(config: Path, *argv: str) -> str:
    done = news_monitor(*argv, "--config", str(config))
    assert done.returncode == 0, done.stderr
    return done.stdout


def status(config: Path) -> dict[str, Any]:
    value = json.loads(run(config, "status", "--json"))
    assert isinstance(value, dict)
    return value


def stored(config: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in run(config, "export").splitlines() if line.strip()]


def subjects(smtp: SmtpPeer) -> list[str]:
    return [str(r.message["Subject"]) for r in smtp.received]


def test_a_page_slower_than_the_timeout_is_fetched_later(tmp_path: Path, smtp: SmtpPeer) -> None:
    page = Page("slow")
    feed = rss(("a1", TITLE, "/a.html"))
    routes = {"/feed.rss": respond(200, feed, {"Content-Type": "application/rss+xml"})}
    with LocalServer({**routes, "/a.html": page}) as server:
        config = write_config(tmp_path, server.url("/feed.rss"), smtp.port)
        run(config, "poll")
        assert status(config)["full_text_waiting"] == 1
        page.mode = "ok"
        time.sleep(1.2)  # the backoff (1s)
        assert "1 fetched" in run(config, "poll")
        (article,) = stored(config)
        assert "dredging" in article["text"] and article["topics"] == ["Dredging", "Terminal"]
        assert page.hits == 2


def test_a_teaser_gets_its_full_text_later_and_is_sent_once(tmp_path: Path, smtp: SmtpPeer) -> None:
    page = Page("503")
    routes = {
        "/feed.rss": respond(
            200, rss(("a1", TITLE, "/a.html")), {"Content-Type": "application/rss+xml"}
        )
    }
    with LocalServer({**routes, "/a.html": page}) as server:
        config = write_config(tmp_path, server.url("/feed.rss"), smtp.port)
        run(config, "poll")
        (article,) = stored(config)
        assert "dredging" not in article["text"] and article["topics"] == ["Terminal"]
        report = status(config)
        assert (report["full_text_waiting"], report["full_text_given_up"]) == (1, 0)

        # the title matched: that digest goes out now, with the teaser
        run(config, "digest", "send", "terminals")
        assert "empty" in run(config, "digest", "send", "dredging")
        assert len(smtp.received) == 1

        page.mode = "ok"
        time.sleep(1.2)  # the backoff (1s)
        out = run(config, "poll")  # the source is not due: only the waiting page is fetched
        assert "1 fetched" in out, out
        (article,) = stored(config)
        assert "dredging" in article["text"]
        assert article["topics"] == ["Dredging", "Terminal"]
        report = status(config)
        assert (report["full_text_waiting"], report["full_text_given_up"]) == (0, 0)

        # the new match is sent once; the old one is not sent again
        run(config, "digest", "send", "dredging")
        run(config, "digest", "send", "terminals")
        assert len(smtp.received) == 2
        assert "dredging" in subjects(smtp)[1]
        text = smtp.received[1].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert TITLE in text
        assert "empty" in run(config, "digest", "send", "dredging")
        assert len(smtp.received) == 2


def test_a_missing_page_is_not_retried_and_attempts_stop(tmp_path: Path, smtp: SmtpPeer) -> None:
    busy, missing = Page("503"), Page("404")
    feed = rss(("b1", "Busy page", "/busy.html"), ("m1", "Missing page", "/missing.html"))
    routes = {
        "/feed.rss": respond(200, feed, {"Content-Type": "application/rss+xml"}),
        "/busy.html": busy,
        "/missing.html": missing,
    }
    with LocalServer(routes) as server:
        config = write_config(tmp_path, server.url("/feed.rss"), smtp.port, attempts=2)
        run(config, "poll")
        assert len(stored(config)) == 2  # both kept with their teaser
        assert (busy.hits, missing.hits) == (1, 1)
        assert status(config)["full_text_waiting"] == 1  # the 404 does not wait
        for tries in (2, 3):
            time.sleep(1.2)
            run(config, "poll")
            assert (busy.hits, missing.hits) == (tries, 1)
        report = status(config)
        assert (report["full_text_waiting"], report["full_text_given_up"]) == (0, 1)
        assert "0 articles wait for their page, 1 given up" in run(config, "status")
        time.sleep(1.2)
        run(config, "poll")
        assert busy.hits == 3  # attempts: 2 retries after the first failure, then no more


def test_the_daemon_fetches_the_waiting_page_when_it_recovers(
    tmp_path: Path, smtp: SmtpPeer
) -> None:
    page = Page("503")
    feed = rss(("a1", TITLE, "/a.html"))
    routes = {"/feed.rss": respond(200, feed, {"Content-Type": "application/rss+xml"})}
    with LocalServer({**routes, "/a.html": page}) as server:
        config = write_config(tmp_path, server.url("/feed.rss"), smtp.port, attempts=20)
        log = (tmp_path / "daemon.log").open("w")
        proc = subprocess.Popen(
            [str(SCRIPT), "--config", str(config), "run"],
            stdout=log, stderr=subprocess.STDOUT, env=clean_env(),
        )  # fmt: skip
        try:
            wait_for(lambda: status(config)["full_text_waiting"] == 1)
            page.mode = "ok"
            wait_for(lambda: status(config)["full_text_waiting"] == 0)
            (article,) = stored(config)
            assert "dredging" in article["text"] and "Dredging" in article["topics"]
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
    text = (tmp_path / "daemon.log").read_text()
    assert "Traceback" not in text
    assert "full text source=Gazette fetched" in text


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")
