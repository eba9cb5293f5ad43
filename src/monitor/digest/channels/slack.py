"""The slack channel: Block Kit messages posted to an incoming webhook with httpx."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from monitor.config.model import ChannelConfig
from monitor.digest.channels.registry import SecretUrlType
from monitor.digest.message import Message
from monitor.errors import DeliveryError
from monitor.redact import redact, url_secrets

if TYPE_CHECKING:  # httpx and the renderer load when a message is rendered or sent
    import httpx

    from monitor.digest.build import Digest


@dataclass(frozen=True, kw_only=True)
class SlackChannel(ChannelConfig):
    """`type: slack`: the incoming-webhook URL (a secret, from `webhook_url_env`)."""

    type: str = "slack"
    webhook_url: str | None = field(default=None, repr=False)


class SlackSender:
    """One webhook POST per Message; a digest too long for one message becomes several."""

    def __init__(self, channel: SlackChannel, transport: httpx.AsyncBaseTransport | None = None):
        self.channel = channel
        self.transport = transport

    def render(self, digest: Digest, tz: str) -> list[Message]:
        from monitor.digest import render  # Jinja2 and the digest records: at delivery only

        subject = render.subject(digest)
        created = digest.built_at.isoformat()
        return [
            Message(subject=subject, text=str(p["text"]), slack=json.dumps(p), created=created)
            for p in render.slack(digest, tz)
        ]

    async def send(self, message: Message, *, message_id: str) -> None:
        import httpx

        from monitor.fetch.support import parse_retry_after  # the one Retry-After rule

        name = self.channel.name
        url = self.channel.webhook_url
        if not url:
            raise DeliveryError(
                f"channel {name!r}: no Slack webhook URL",
                "set webhook_url_env: to the name of an environment variable holding it",
                retryable=False,
            )
        try:
            async with httpx.AsyncClient(
                timeout=self.channel.timeout,
                transport=self.transport,
                follow_redirects=False,
                trust_env=False,  # proxies: the validated routes of the environment's variables
                mounts=None if self.transport else self.channel.proxy.mounts(),
            ) as client:
                response = await client.post(
                    url,
                    content=message.slack.encode("utf-8"),
                    headers={"Content-Type": "application/json; charset=utf-8"},
                )
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"channel {name!r}: Slack webhook timed out") from exc
        except httpx.HTTPError as exc:  # never include the URL: it is the secret
            raise DeliveryError(
                f"channel {name!r}: Slack webhook unreachable: {type(exc).__name__}"
            ) from exc
        status = response.status_code
        if 200 <= status < 300:
            return
        # the reply may echo the request's URL, whose path is the webhook's token
        detail = redact(response.text.strip()[:200], *url_secrets(url)) or response.reason_phrase
        if status == 429:
            raise DeliveryError(
                f"channel {name!r}: Slack rate limit (429 {detail})",
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        if status >= 500:
            raise DeliveryError(f"channel {name!r}: Slack answered {status} {detail}")
        raise DeliveryError(
            f"channel {name!r}: Slack refused the message ({status} {detail})",
            "a 4xx is final: check the webhook URL (revoked? channel archived?) and the payload",
            retryable=False,
        )


CHANNEL_TYPE = SecretUrlType("slack", "webhook_url", SlackChannel, "webhook_url", SlackSender)
