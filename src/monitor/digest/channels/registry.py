"""The channel-type registry: built-in types and `news_monitor.channels` entry points, one door.

Like datasette's DEFAULT_PLUGINS, the built-in types (BUILTINS) are registered through the same
`register` call a third-party type uses; entry points of the group ENTRY_POINT_GROUP are loaded
after them, once, when the registry is first asked. config/ reaches this module only from inside
a function (config must not import digest at module level).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable

from monitor.config.fields import Section, secret_keys, secret_or_value
from monitor.config.model import ChannelConfig
from monitor.digest.message import Message
from monitor.errors import DeliveryError

if TYPE_CHECKING:  # `check` reads channel types without loading the store or the renderer
    from monitor.digest.build import Digest

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "news_monitor.channels"
BUILTINS = (
    "monitor.digest.channels.email",
    "monitor.digest.channels.slack",
    "monitor.digest.channels.apprise",
)
C = TypeVar("C", bound=ChannelConfig)


class Sender(Protocol):
    """What a channel type's sender does: render a digest, send one stored message."""

    def render(self, digest: Digest, tz: str) -> list[Message]:
        """The messages this digest becomes on this channel, in sending order."""
        ...

    async def send(self, message: Message, *, message_id: str) -> None:
        """Send one message; *message_id* is stable across retries of the same delivery."""
        ...


@runtime_checkable
class ChannelType(Protocol):
    """One `type:` of channel: its YAML keys, its config record, and the Sender it builds."""

    name: str  # the value of `type:`
    keys: tuple[str, ...]  # its keys besides `type` and `timeout`, in the order hints list them

    def parse(self, s: Section, common: ChannelConfig, env: Mapping[str, str]) -> ChannelConfig:
        """The channel's record from its mapping *s* (problems go to s.problems); *common*
        holds name, type, timeout and line, already read."""
        ...

    def sender(self, channel: ChannelConfig) -> Sender:
        """The sender for a channel this type parsed."""
        ...


class SecretUrlType(Generic[C]):
    """A ChannelType whose one setting is a secret URL: `KEY_env`, `KEY_file` or `KEY_credential`
    (or `KEY` itself for local tests)."""

    def __init__(
        self, name: str, key: str, record: type[C], field: str, sender: Callable[[C], Sender]
    ) -> None:
        self.name, self.key, self.keys = name, key, (key, *secret_keys(key))
        self.record, self.field, self.make = record, field, sender

    def parse(self, s: Section, common: ChannelConfig, env: Mapping[str, str]) -> C:
        values: dict[str, Any] = {**vars(common), self.field: secret_or_value(s, self.key, env)}
        return self.record(**values)

    def sender(self, channel: ChannelConfig) -> Sender:
        return self.make(expect(channel, self.record))


CHANNEL_TYPES: dict[str, ChannelType] = {}
_loaded: set[str] = set()  # "builtins", "plugins": what has been registered so far


def register(kind: ChannelType) -> ChannelType:
    """Add a channel type (after the built-ins); registering the same object again is a no-op."""
    channel_types()
    return _add(kind)


def channel_types() -> Mapping[str, ChannelType]:
    """Every registered type by name: the built-ins first, then entry points, then `register`."""
    _builtins()
    if "plugins" not in _loaded:
        _loaded.add("plugins")
        from importlib.metadata import entry_points  # costly to import and scan: only here

        for point in entry_points(group=ENTRY_POINT_GROUP):
            try:
                loaded = point.load()
                _add(loaded() if isinstance(loaded, type) else loaded)
            except Exception as exc:  # a broken plugin must not take the built-ins down
                log.warning("channel type %s (%s) not loaded: %s", point.name, point.value, exc)
    return CHANNEL_TYPES


def types_for(names: Iterable[str]) -> Mapping[str, ChannelType]:
    """The registry as far as *names* need it: entry points are looked for only when one of
    them is not a type registered already (a config of built-in types never scans them)."""
    _builtins()
    return CHANNEL_TYPES if set(names) <= CHANNEL_TYPES.keys() else channel_types()


def _builtins() -> None:
    if "builtins" not in _loaded:
        _loaded.add("builtins")
        for module in BUILTINS:
            _add(importlib.import_module(module).CHANNEL_TYPE)


def _add(kind: ChannelType) -> ChannelType:
    if not isinstance(kind, ChannelType):
        raise TypeError(f"{kind!r} is not a ChannelType (name, keys, parse, sender)")
    existing = CHANNEL_TYPES.get(kind.name)
    if existing is not None and existing is not kind:
        raise ValueError(f"channel type {kind.name!r} is already registered by {existing!r}")
    CHANNEL_TYPES[kind.name] = kind
    return kind


def sender_for(channel: ChannelConfig) -> Sender:
    """The sender of a configured channel, from its type's entry in the registry."""
    kind = types_for([channel.type]).get(channel.type)
    if kind is None:
        raise DeliveryError(
            f"channel {channel.name!r}: unknown type {channel.type!r}",
            f"use one of: {', '.join(sorted(CHANNEL_TYPES))}",
            retryable=False,
        )
    return kind.sender(channel)


def expect(channel: ChannelConfig, record: type[C]) -> C:
    """*channel* as its type's own record (a ChannelType's `sender` starts with this)."""
    if not isinstance(channel, record):
        raise DeliveryError(
            f"channel {channel.name!r}: settings of type {channel.type!r} are incomplete",
            f"expected a {record.__name__}, got a {type(channel).__name__}",
            retryable=False,
        )
    return channel
