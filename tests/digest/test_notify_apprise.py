"""The apprise channel: the text digest through an Apprise URL, here json:// to a local peer."""

from __future__ import annotations

import asyncio
import sys

import pytest
from test_render import digest, story

from monitor.digest.channels import sender_for
from monitor.digest.channels.apprise import AppriseChannel, AppriseSender
from monitor.errors import DeliveryError
from peers import slack_server

# apprise's PGP helper imports the stdlib `imghdr` module, deprecated since Python 3.11
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")


def channel(url: str | None) -> AppriseChannel:
    return AppriseChannel(name="ntfy", apprise_url=url)


def test_text_digest_through_apprise() -> None:
    pytest.importorskip("apprise")
    with slack_server() as peer:
        peer.validate = False
        sender = sender_for(channel(peer.url.replace("http://", "json://")))
        assert isinstance(sender, AppriseSender)
        (message,) = sender.render(digest(story(1)), "UTC")
        asyncio.run(sender.send(message, message_id="m1"))
    (payload,) = peer.accepted
    assert payload["title"] == "[news-monitor] legion-daily — 1 story"
    assert "1. Story number 1  [new story]" in payload["message"]


def test_bad_url_is_final() -> None:
    pytest.importorskip("apprise")
    sender = AppriseSender(channel("nosuchscheme://x"))
    with pytest.raises(DeliveryError) as info:
        asyncio.run(sender.send(sender.render(digest(story(1)), "UTC")[0], message_id="m1"))
    assert not info.value.retryable


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # import apprise → ImportError
    sender = AppriseSender(channel("json://127.0.0.1:9/x"))
    with pytest.raises(DeliveryError) as info:
        asyncio.run(sender.send(sender.render(digest(story(1)), "UTC")[0], message_id="m1"))
    assert not info.value.retryable and "news-monitor[apprise]" in (info.value.hint or "")
