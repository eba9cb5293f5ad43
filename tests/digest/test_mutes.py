"""Mutes through the installed `news-monitor`: `stories mute`, `topics mute`, their end, and what
every digest rendering (email text and HTML, Slack) says about them, against local peers."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from console import news_monitor
from monitor.store import Store
from monitor.store.schema import topic_matches
from monitor.store.story_tables import stories
from peers import T0, Data, SlackPeer, SmtpPeer, open_store, slack_server, smtp_server

M = timedelta(minutes=1)
D = timedelta(days=1)  # more than the scan's look-back before the watermark


@dataclass
class Home:
    """A config (two topics, one digest to an email and a Slack channel), its state, the peers."""

    config: Path
    store: Store
    data: Data
    smtp: SmtpPeer
    slack: SlackPeer

    def cli(self, *argv: str) -> subprocess.CompletedProcess[str]:
        done = news_monitor("--config", str(self.config), *argv)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    def story(self, story_id: int, title: str) -> None:
        with self.store.begin() as conn:
            conn.execute(
                sa.insert(stories).values(
                    id=story_id, title=title, first_seen=T0, last_seen=T0, centroid=b""
                )
            )

    def send(self) -> str:
        """`digest send`; the text of the email it delivered ('' when none went out)."""
        mails, posts = len(self.smtp.received), len(self.slack.accepted)
        out = self.cli("digest", "send", "legion-daily").stdout
        if "delivered" not in out:
            assert len(self.smtp.received) == mails and len(self.slack.accepted) == posts
            return ""
        assert len(self.smtp.received) == mails + 1 and len(self.slack.accepted) == posts + 1
        return self.text(-1)

    def text(self, n: int) -> str:
        return str(self.smtp.received[n].message.get_body(("plain",)).get_content())  # type: ignore[union-attr]

    def html(self, n: int) -> str:
        return str(self.smtp.received[n].message.get_body(("html",)).get_content())  # type: ignore[union-attr]

    def slack_text(self, n: int) -> str:
        return json.dumps(self.slack.accepted[n]["blocks"], ensure_ascii=False)

    def mutes(self) -> list[dict[str, Any]]:
        report = json.loads(self.cli("status", "--json").stdout)
        return list(report["mutes"])


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    with smtp_server() as smtp, slack_server() as slack:
        config = tmp_path / "feeds.yaml"
        config.write_text(
            f"""\
settings: {{state_dir: state}}
topics:
  - {{name: Legion, query: legion}}
  - {{name: Border, query: border}}
feeds:
  - {{url: 'http://127.0.0.1:9/none.rss', name: Unpolled}}
digests:
  - {{name: legion-daily, topics: [Legion, Border], channels: [analysts, team-slack]}}
channels:
  analysts:
    type: email
    to: [analyst@example.com]
    from: news-monitor@example.org
    smtp: {{host: 127.0.0.1, port: {smtp.port}, timeout: 5s}}
  team-slack: {{type: slack, webhook_url: '{slack.url}', timeout: 5s}}
""",
            encoding="utf-8",
        )
        # the first command matches the (empty) state against the topics and records them, so
        # the matches stored below are kept as they are, as the pipeline would have stored them
        assert news_monitor("--config", str(config), "status").returncode == 0
        store = open_store(tmp_path / "state")
        try:
            yield Home(config, store, Data(store), smtp, slack)
        finally:
            store.close()


def test_a_muted_story_is_left_out_counted_and_comes_back_once_unmuted(home: Home) -> None:
    home.story(1, "Legion unit defects")
    home.story(2, "Legion crosses the border")
    for n in range(2):
        home.data.article(f"Legion unit defects ({n})", site=f"Outlet {n}", story=1, at=T0 + n * M)
    home.data.article("Legion crosses the border", site="Wire", story=2, at=T0)
    first = home.send()
    assert "Legion unit defects" in first and "muted" not in first

    muted = home.cli("stories", "mute", "#1", "--for", "7d").stdout
    assert muted.startswith("muted story #1 (Legion unit defects) until ")
    (mute,) = home.mutes()
    assert mute["kind"] == "story" and mute["story_id"] == 1 and mute["until"] is not None
    assert "story #1 (Legion unit defects)" in home.cli("status").stdout

    # an update to the muted story is not sent; the digest says a muted story had news
    home.data.article("Legion defection, day two", site="Outlet 8", story=1, at=T0 + 10 * M)
    home.data.article("Legion at the border again", site="Agency", story=2, at=T0 + 10 * M)
    text = home.send()
    assert "Outlet 8" not in text and "defection" not in text and "Agency" in text
    assert "1 muted story had new sources" in text
    assert "1 muted story had new sources" in home.html(-1)
    assert "1 muted story had new sources" in home.slack_text(-1)
    assert "Outlet 8" not in home.html(-1) + home.slack_text(-1)

    # only the muted story has news: nothing to send (and it is not counted twice later)
    home.data.article("Legion defection, day three", site="Outlet 9", story=1, at=T0 + 2 * D)
    assert home.send() == ""
    home.data.article("Border quiet", site="Agency", story=2, at=T0 + 2 * D)
    assert "1 muted story had new sources" in home.send()  # Outlet 9 is news since the last
    home.data.article("Border calm", site="Agency", story=2, at=T0 + 3 * D)
    assert "muted" not in home.send()  # nothing new in the muted story since

    # unmuted, the story comes back once, with everything the mute held back (Outlet 8 too,
    # though the watermark has moved days past it)
    assert home.cli("stories", "unmute", "1").stdout.strip() == (
        "unmuted story #1 (Legion unit defects)"
    )
    assert home.mutes() == []
    back = home.send()
    assert "[update: 2 new sources]" in back
    assert "Outlet 8" in back and "Outlet 9" in back and "Earlier: Outlet 0, Outlet 1" in back
    assert "muted" not in back
    assert home.send() == ""  # exactly once: nothing is repeated
    assert home.cli("stories", "unmute", "1").stdout.strip() == (
        "story #1 (Legion unit defects) was not muted"
    )


def test_a_story_mute_ends_by_itself(home: Home) -> None:
    home.story(1, "Legion unit defects")
    home.data.article("Legion unit defects", site="Outlet 0", story=1)
    home.cli("stories", "mute", "1", "--for", "1s")
    time.sleep(1.2)
    assert home.mutes() == []
    assert "Legion unit defects" in home.send()


def test_mute_commands_refuse_what_does_not_exist(home: Home) -> None:
    for argv, message in [
        (["stories", "mute", "7"], "error: there is no story #7"),
        (["stories", "unmute", "7"], "error: there is no story #7"),
        (["topics", "mute", "Sport", "--for", "1d"], "error: no topic named 'Sport'"),
        (["topics", "mute", "Legion", "--for", "soon"], "error: --for: "),
    ]:
        done = news_monitor("--config", str(home.config), *argv)
        assert done.returncode == 1 and done.stderr.startswith(message), done.stderr
        assert "hint: " in done.stderr and "Traceback" not in done.stderr
    done = news_monitor("--config", str(home.config), "topics", "mute", "Legion")
    assert done.returncode == 2 and "--for" in done.stderr  # a topic mute always ends


def test_a_muted_topic_pauses_only_the_stories_it_alone_brings(home: Home) -> None:
    home.story(1, "Legion unit defects")
    home.story(2, "Border posts shelled")
    home.story(3, "Legion raid across the border")
    home.data.article("Legion unit defects", site="Outlet A", story=1, topic="Legion")
    home.data.article("Border posts shelled", site="Outlet B", story=2, topic="Border")
    both = home.data.article("Legion raid", site="Outlet C", story=3, topic="Legion")
    home.data.article("Raid on the border", site="Outlet D", story=3, topic="Border")
    with home.store.begin() as conn:  # the raid's first report matches both topics
        conn.execute(
            sa.insert(topic_matches).values(
                article_id=both, topic="Border", score=1.0, hits="[]", snippet="", matched_at=T0
            )
        )
    said = home.cli("topics", "mute", "Border", "--for", "1d", "--json").stdout
    assert json.loads(said)["topic"] == "Border"
    (mute,) = home.mutes()
    assert mute["kind"] == "topic" and mute["topic"] == "Border"

    text = home.send()
    assert "Legion unit defects" in text and "Border posts shelled" not in text
    # a story that an unmuted topic also matches is shown whole, the muted topic's part too
    assert "Outlet C" in text and "Outlet D" in text
    assert "1 muted story had new sources" in text
    assert "1 muted story had new sources" in home.slack_text(-1)

    assert home.cli("topics", "unmute", "Border").stdout.strip() == "unmuted topic 'Border'"
    back = home.send()
    assert "Border posts shelled" in back and "[new story]" in back and "Outlet C" not in back
    assert home.send() == ""
