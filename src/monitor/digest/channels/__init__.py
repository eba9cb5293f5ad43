"""Channel types: one module each (email, slack, apprise) and the registry keyed by `type:`.

A channel type (registry.ChannelType) owns its YAML keys, its config record (a ChannelConfig
subclass) and its Sender, which turns a Digest into one or more Messages (stored in the outbox,
so a retry sends the same bytes) and sends one Message at a time, raising
DeliveryError(retryable=…, retry_after=…) on failure. Built-in types go through the registry
the same way third-party types do: `register(...)` or an entry point in `news_monitor.channels`
(docs/delivery.md, "Writing a channel type").
"""

from monitor.digest.channels.registry import (
    CHANNEL_TYPES,
    ENTRY_POINT_GROUP,
    ChannelType,
    SecretUrlType,
    Sender,
    channel_types,
    expect,
    register,
    sender_for,
)
from monitor.digest.message import Message

__all__ = [
    "CHANNEL_TYPES",
    "ENTRY_POINT_GROUP",
    "ChannelType",
    "Message",
    "SecretUrlType",
    "Sender",
    "channel_types",
    "expect",
    "register",
    "sender_for",
]
