"""A third-party channel type as a plugin would write it: `type: pigeon` POSTs a JSON note.

It lives outside the package and touches no config code: tests register it with
`monitor.digest.channels.register(CHANNEL_TYPE)`, or through an entry point in the group
`news_monitor.channels` (`pigeon = pigeon_channel:CHANNEL_TYPE`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import httpx

from monitor.config.fields import Section, as_str, choice
from monitor.config.model import ChannelConfig
from monitor.digest import render
from monitor.digest.build import Digest
from monitor.digest.channels import Message, expect
from monitor.errors import DeliveryError


@dataclass(frozen=True, kw_only=True)
class PigeonChannel(ChannelConfig):
    type: str = "pigeon"
    loft: str = ""  # the URL the note is posted to
    colour: str = "grey"


class PigeonType:
    name: str = "pigeon"
    keys: tuple[str, ...] = ("loft", "colour")

    def parse(self, s: Section, common: ChannelConfig, env: Mapping[str, str]) -> PigeonChannel:
        return PigeonChannel(
            **asdict(common),
            loft=s.get("loft", as_str, "", required=True, hint="the URL of the loft"),
            colour=s.get("colour", choice("grey", "white"), "grey"),
        )

    def sender(self, channel: ChannelConfig) -> PigeonSender:
        return PigeonSender(expect(channel, PigeonChannel))


class PigeonSender:
    def __init__(self, channel: PigeonChannel) -> None:
        self.channel = channel

    def render(self, digest: Digest, tz: str) -> list[Message]:
        note = f"{self.channel.colour} pigeon: {render.subject(digest)}"
        return [Message(subject=note, text=render.text(digest, tz))]

    async def send(self, message: Message, *, message_id: str) -> None:
        body = json.dumps({"id": message_id, "note": message.subject, "text": message.text})
        async with httpx.AsyncClient(timeout=self.channel.timeout) as client:
            response = await client.post(self.channel.loft, content=body.encode())
        if response.status_code != 200:
            raise DeliveryError(
                f"channel {self.channel.name!r}: the loft said {response.status_code}"
            )


CHANNEL_TYPE = PigeonType()
