"""A source's `headers:` go to its own origin (its document, its pages there), never elsewhere:
not to a redirect's other host, not to an article page on another host."""

from __future__ import annotations

from pathlib import Path

from console import news_monitor
from demosite import write_config
from httpserver import Exchange, LocalServer, redirect

PAGE = "<html><body><article><h1>T</h1>" + "<p>Words of the page itself. </p>" * 40 + "</article>"


def recorder(seen: list[tuple[str, str | None]], body: bytes, kind: str) -> object:
    def handle(ex: Exchange) -> None:
        seen.append((ex.request.path, ex.headers.get("x-api-key")))
        ex.send(200, body, {"Content-Type": kind})

    return handle


def test_headers_reach_the_source_s_own_origin_only(tmp_path: Path) -> None:
    seen: list[tuple[str, str | None]] = []
    html = PAGE.encode()
    with LocalServer({}) as home, LocalServer({}) as other:
        rss = (
            "<rss version='2.0'><channel><title>K</title>"
            f"<item><title>Here</title><link>{home.url('/here')}</link><guid>1</guid>"
            "<description>A teaser …</description></item>"
            f"<item><title>There</title><link>{other.url('/there')}</link><guid>2</guid>"
            "<description>Another teaser …</description></item></channel></rss>"
        ).encode()
        home.routes.update(
            {
                "/start": redirect("/feed"),  # within the origin: the key goes along
                "/feed": recorder(seen, rss, "application/rss+xml"),
                "/here": recorder(seen, html, "text/html"),
                "/away": redirect(other.url("/moved")),
            }
        )
        other.routes.update(
            {
                "/there": recorder(seen, html, "text/html"),
                "/moved": recorder(seen, rss, "application/rss+xml"),
            }
        )
        feeds = (
            f"- {{url: '{home.url('/start')}', name: Keyed, headers: {{X-Api-Key_env: KEY}}}}\n"
            f"- {{url: '{home.url('/away')}', name: Away, headers: {{X-Api-Key_env: KEY}}}}\n"
        )
        config = write_config(tmp_path, feeds)
        done = news_monitor("--config", str(config), "poll", "--all", env={"KEY": "k-123456"})
        assert done.returncode == 0, done.stderr
    got = dict(seen)
    assert got["/feed"] == "k-123456" and got["/here"] == "k-123456"
    assert "/there" in got and got["/there"] is None  # an article on another host
    assert "/moved" in got and got["/moved"] is None  # a redirect to another host
    assert "k-123456" not in done.stdout + done.stderr


def check(tmp_path: Path, headers: str, more: str = "") -> str:
    feeds = f"- {{url: 'http://127.0.0.1:9/a', name: A, headers: {headers}}}\n{more}"
    config = write_config(tmp_path, feeds)
    done = news_monitor("--config", str(config), "check", env={"KEY": "v-987654"})
    return f"{done.returncode}\n{done.stdout}{done.stderr}"


def test_bad_headers_are_config_errors_that_name_the_key(tmp_path: Path) -> None:
    assert check(tmp_path, "{X-Api-Key_env: KEY, Accept-Language: en}").startswith("0\n")
    assert "Host is set by news-monitor itself" in check(tmp_path, "{Host: x}")
    assert "is not an HTTP header name" in check(tmp_path, "{'Bad Name': x}")
    assert "may not hold a line break" in check(tmp_path, '{X-A: "a\\r\\nB: c"}')
    assert "environment variable NOPE is not set" in check(tmp_path, "{X-A_env: NOPE}")
    twice = check(tmp_path, "{X-A_env: KEY, X-A: v}")
    assert "header X-A is given twice" in twice
    other = "- {url: 'http://127.0.0.1:9/b', name: B, headers: {X-A: w}}\n"
    clash = check(tmp_path, "{X-A: v}", other)
    assert "are on one origin (http://127.0.0.1:9) with different headers" in clash
    assert "v-987654" not in clash + twice
