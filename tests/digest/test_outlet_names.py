"""A digest names each source as its reader knows it: the outlet's declared name, else the
configured `name:`, never the `host:port` of the page (the installed `news-monitor`)."""

from __future__ import annotations

from pathlib import Path

from console import news_monitor
from demosite import SITE, email_digest, write_config
from httpserver import LocalServer, closed_port, respond

WORDS = " ".join(["The Freedom of Russia Legion said its fighters crossed the border."] * 30)
NAMELESS_PAGE = f"""<!DOCTYPE html><html lang="en"><head><title>Legion crosses again</title>
</head><body><article><h1>Legion crosses again</h1><p>{WORDS}</p><p>{WORDS}</p></article>
</body></html>""".encode()
HTML = {"Content-Type": "text/html; charset=utf-8"}


def rss(base: str) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link></item>"
        for title, path in [
            ("Legion crosses again", "/nameless.html"),
            ("Russian volunteer legion claims raid", "/declared.html"),
        ]
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>G</title>{items}</channel></rss>'
    ).encode()


def test_a_digest_names_the_outlet_or_the_configured_source_never_host_port(
    tmp_path: Path,
) -> None:
    declared = (SITE / "articles" / "legion-claims-belgorod-raid.html").read_bytes()  # Outlet One
    with LocalServer(
        {
            "/nameless.html": respond(200, NAMELESS_PAGE, HTML),
            "/declared.html": respond(200, declared, HTML),
        }
    ) as server:
        server.routes["/feed.rss"] = respond(
            200, rss(server.url("")), {"Content-Type": "application/rss+xml"}
        )
        config = write_config(
            tmp_path,
            f"- {{url: '{server.url('/feed.rss')}', name: Harbour Gazette, full_text: always}}\n",
            email_digest(closed_port()),
        )
        poll = news_monitor("poll", "--all", "--config", str(config))
        assert poll.returncode == 0 and "0 failed" in poll.stdout, poll.stdout + poll.stderr
        preview = news_monitor("digest", "preview", "legion-daily", "--config", str(config))
        host_port = f"127.0.0.1:{server.port}"
    assert preview.returncode == 0, preview.stderr
    lines = preview.stdout.splitlines()
    assert any(line.strip().startswith("- Harbour Gazette") for line in lines), preview.stdout
    assert any(line.strip().startswith("- Outlet One") for line in lines), preview.stdout
    assert not any(line.strip().startswith(f"- {host_port}") for line in lines)
