"""The whole product: feeds on a local site → poll → one digest e-mail; nothing new → nothing;
new coverage of a known story → one message marked as an update."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from demosite import SITE, conditional, email_digest, site_routes, write_config
from httpserver import LocalServer
from monitor.cli import main
from peers import SmtpPeer, smtp_server

EXTRA_ITEM = """
    <item>
      <title>Kremlin says border incursion near Kozinka repelled</title>
      <link>/articles/legion-fighters-seize-village.html</link>
      <guid isPermaLink="false">demo-legion-village</guid>
      <pubDate>Sat, 21 Nov 2026 09:00:00 GMT</pubDate>
      <description>Moscow said its troops had driven back the volunteers…</description>
    </item>
"""


@pytest.fixture
def smtp() -> Iterator[SmtpPeer]:
    with smtp_server() as peer:
        yield peer


def setup(tmp_path: Path, server: LocalServer, smtp: SmtpPeer) -> Path:
    feeds = f"- {{url: '{server.url('/world.rss')}', name: World}}\n"
    return write_config(tmp_path, feeds, email_digest(smtp.port))


def cli(capsys: pytest.CaptureFixture[str], config: Path, *argv: str) -> str:
    code = main(["--config", str(config), *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def body_text(smtp: SmtpPeer, index: int) -> tuple[str, str, str]:
    message = smtp.received[index].message
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return str(message["Subject"]), text, html


def test_poll_digest_nothing_new_then_an_update(
    tmp_path: Path, smtp: SmtpPeer, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalServer(site_routes()) as server:
        config = setup(tmp_path, server, smtp)
        cli(capsys, config, "poll", "--all")
        cli(capsys, config, "digest", "send", "legion-daily")
        assert len(smtp.received) == 1
        subject, text, html = body_text(smtp, 0)
        # two outlets, different words, one event: one story with two sources
        assert subject == "[news-monitor] legion-daily — 1 story"
        assert "Outlet One" in text and "Outlet Two" in text
        assert "cycling" not in text.lower()
        for boilerplate in ("Advert", "0 comments", "Read Full Article"):
            assert boilerplate not in text and boilerplate not in html
        assert server.url("/articles/legion-claims-belgorod-raid.html") in html

        # nothing new: nothing is sent
        cli(capsys, config, "poll", "--all")
        out = cli(capsys, config, "digest", "send", "legion-daily")
        assert len(smtp.received) == 1 and "empty" in out

        # a third outlet covers the same event: one message, marked as an update
        feed = (SITE / "world.rss").read_text().replace("  </channel>", EXTRA_ITEM + "  </channel>")
        server.routes["/world.rss"] = conditional(feed.encode(), "application/rss+xml", '"v2"')
        cli(capsys, config, "poll", "--all")
        cli(capsys, config, "digest", "send", "legion-daily")
        assert len(smtp.received) == 2
        subject, text, html = body_text(smtp, 1)
        assert "1 update" in subject
        assert re.search(r"update: 1 new source", text, re.I)
        assert "Outlet Three" in text
        listed = re.findall(r"^\s+- (.+?):", text, re.M)
        assert listed == ["Outlet Three"]  # earlier sources are not repeated as new
        assert "Earlier: Outlet One, Outlet Two" in text and "3 sources" in text
