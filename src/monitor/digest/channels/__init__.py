"""Channel types: a registry keyed by `type:`, each a Sender that renders a digest and sends it.

A sender turns a Digest into one or more Messages (stored in the outbox, so a retry sends the
same bytes) and sends one Message at a time, raising DeliveryError(retryable=…, retry_after=…)
on failure. Third-party channel types register themselves in CHANNEL_TYPES the same way.
"""

from __future__ import annotations

from typing import Protocol

from monitor.config.model import ChannelConfig
from monitor.digest.build import Digest
from monitor.digest.channels.apprise import AppriseSender
from monitor.digest.channels.email import EmailSender
from monitor.digest.channels.slack import SlackSender
from monitor.digest.message import Message
from monitor.errors import DeliveryError


class Sender(Protocol):
    """What a channel type implements."""

    def __init__(self, channel: ChannelConfig) -> None: ...

    def render(self, digest: Digest, tz: str) -> list[Message]:
        """The messages this digest becomes on this channel, in sending order."""
        ...

    async def send(self, message: Message, *, message_id: str) -> None:
        """Send one message; *message_id* is stable across retries of the same delivery."""
        ...


CHANNEL_TYPES: dict[str, type[Sender]] = {
    "email": EmailSender,
    "slack": SlackSender,
    "apprise": AppriseSender,
}


def sender_for(channel: ChannelConfig) -> Sender:
    kind = CHANNEL_TYPES.get(channel.type)
    if kind is None:
        raise DeliveryError(
            f"channel {channel.name!r}: unknown type {channel.type!r}",
            f"use one of: {', '.join(sorted(CHANNEL_TYPES))}",
            retryable=False,
        )
    return kind(channel)


__all__ = ["CHANNEL_TYPES", "Message", "Sender", "sender_for"]
