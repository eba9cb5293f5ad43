"""The Slack channel against a local webhook endpoint that enforces Slack's limits."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from test_render import HOSTILE, digest, story

from monitor.digest.channels import sender_for
from monitor.digest.channels.slack import SlackChannel, SlackSender
from monitor.digest.message import Message
from monitor.errors import DeliveryError
from peers import SlackPeer, free_port, slack_server


@pytest.fixture
def slack_peer() -> Iterator[SlackPeer]:
    with slack_server() as peer:
        yield peer


def channel(url: str | None) -> SlackChannel:
    return SlackChannel(name="team-slack", webhook_url=url, timeout=5)


def send_all(sender: SlackSender, messages: list[Message]) -> None:
    async def run() -> None:
        for n, message in enumerate(messages):
            await sender.send(message, message_id=f"m.{n}")

    asyncio.run(run())


def test_digest_is_accepted_and_escaped(slack_peer: SlackPeer) -> None:
    sender = sender_for(channel(slack_peer.url))
    assert isinstance(sender, SlackSender)
    messages = sender.render(digest(story(1, HOSTILE), story(2, update=True)), "UTC")
    send_all(sender, messages)
    (payload,) = slack_peer.accepted
    assert payload["text"] == "legion-daily — 1 story, 1 update"
    dumped = json.dumps(payload)
    assert "<!channel>" not in dumped and "<script>" not in dumped
    assert "&lt;!channel&gt;" in dumped


def test_long_digest_is_split_and_every_part_accepted(slack_peer: SlackPeer) -> None:
    sender = SlackSender(channel(slack_peer.url))
    stories = tuple(story(n, "Headline " * 30, snippet="text " * 700) for n in range(30))
    messages = sender.render(digest(*stories), "UTC")
    assert len(messages) >= 2
    send_all(sender, messages)
    assert len(slack_peer.accepted) == len(messages)


def test_rejected_payload_is_final(slack_peer: SlackPeer) -> None:
    bad = Message("s", "t", slack=json.dumps({"text": "x", "blocks": [{"type": "divider"}] * 51}))
    with pytest.raises(DeliveryError) as info:
        send_all(SlackSender(channel(slack_peer.url)), [bad])
    assert not info.value.retryable and "invalid_blocks" in str(info.value)


@pytest.mark.parametrize(
    ("header", "seconds"), [("7", 7.0), ("1.5", 1.5), ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0)]
)
def test_429_carries_retry_after(slack_peer: SlackPeer, header: str, seconds: float) -> None:
    slack_peer.script = [(429, {"Retry-After": header})]
    sender = SlackSender(channel(slack_peer.url))
    messages = sender.render(digest(story(1)), "UTC")
    with pytest.raises(DeliveryError) as info:
        send_all(sender, messages)
    assert info.value.retryable and info.value.retry_after == seconds
    send_all(sender, messages)
    assert len(slack_peer.accepted) == 1


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (503, True), (404, False), (403, False)]
)
def test_status_decides_retry(slack_peer: SlackPeer, status: int, retryable: bool) -> None:
    slack_peer.script = [(status, {})]
    sender = SlackSender(channel(slack_peer.url))
    with pytest.raises(DeliveryError) as info:
        send_all(sender, sender.render(digest(story(1)), "UTC"))
    assert info.value.retryable is retryable
    assert "secret" not in str(info.value)  # the webhook URL is a secret: never in messages


def test_unreachable_endpoint_is_retryable_and_url_not_leaked() -> None:
    url = f"http://127.0.0.1:{free_port()}/services/T0/B0/secret"
    sender = SlackSender(channel(url))
    with pytest.raises(DeliveryError) as info:
        send_all(sender, sender.render(digest(story(1)), "UTC"))
    assert info.value.retryable and "secret" not in str(info.value)


def test_missing_webhook_is_a_config_problem() -> None:
    with pytest.raises(DeliveryError) as info:
        send_all(SlackSender(channel(None)), [Message("s", "t", slack="{}")])
    assert not info.value.retryable
