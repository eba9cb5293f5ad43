"""The apprise channel: any Apprise URL (Discord, Teams, Telegram, ntfy, …) with the text digest."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from monitor.config.model import ChannelConfig
from monitor.digest.channels.registry import SecretUrlType
from monitor.digest.message import Message
from monitor.errors import DeliveryError

if TYPE_CHECKING:
    from monitor.digest.build import Digest


@dataclass(frozen=True, kw_only=True)
class AppriseChannel(ChannelConfig):
    """`type: apprise`: any Apprise URL (a secret, from `url_env`)."""

    type: str = "apprise"
    apprise_url: str | None = field(default=None, repr=False)


class AppriseSender:
    """Sends the plain-text rendering through the optional `apprise` package."""

    def __init__(self, channel: AppriseChannel) -> None:
        self.channel = channel

    def render(self, digest: Digest, tz: str) -> list[Message]:
        from monitor.digest import render  # Jinja2 and the digest records: at delivery only

        created = digest.built_at.isoformat()
        return [Message(render.subject(digest), render.text(digest, tz), created=created)]

    async def send(self, message: Message, *, message_id: str) -> None:
        import asyncio  # here: `check` reads this type without loading the event loop

        module = _apprise()
        url = self.channel.apprise_url
        if not url:
            raise DeliveryError(
                f"channel {self.channel.name!r}: no Apprise URL",
                "set url_env: to the name of an environment variable holding the Apprise URL",
                retryable=False,
            )
        client = module.Apprise()
        if not client.add(url):
            raise DeliveryError(
                f"channel {self.channel.name!r}: Apprise does not accept this URL",
                "check the URL against https://github.com/caronc/apprise/wiki",
                retryable=False,
            )
        ok = await asyncio.to_thread(client.notify, body=message.text, title=message.subject)
        if not ok:
            raise DeliveryError(f"channel {self.channel.name!r}: Apprise could not notify")


CHANNEL_TYPE = SecretUrlType("apprise", "url", AppriseChannel, "apprise_url", AppriseSender)


def _apprise() -> Any:
    try:
        return importlib.import_module("apprise")
    except ImportError as exc:
        raise DeliveryError(
            "the apprise channel type needs the optional 'apprise' package",
            "pip install 'news-monitor[apprise]'",
            retryable=False,
        ) from exc
