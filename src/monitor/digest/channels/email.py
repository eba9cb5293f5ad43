"""The email channel: multipart/alternative (text + HTML) over SMTP, plain, STARTTLS or TLS."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING, Any

from monitor.clock import utcnow
from monitor.config.fields import (
    Section,
    as_bool,
    as_int,
    as_str,
    as_str_list,
    secret_from,
    secret_keys,
)
from monitor.config.model import ChannelConfig
from monitor.config.values import parse_duration
from monitor.digest.channels.registry import expect
from monitor.digest.message import Message, header_safe
from monitor.errors import DeliveryError
from monitor.redact import Redactor, login_secrets

if TYPE_CHECKING:
    from monitor.digest.build import Digest

log = logging.getLogger(__name__)
_NONE: tuple[str, ...] = ()
SMTP_KEYS = ("host", "port", "starttls", "ssl", "username", *secret_keys("password"), "timeout")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    ssl: bool = False  # implicit TLS (port 465)
    username: str | None = None
    password: str | None = field(
        default=None, repr=False
    )  # from password_env, _file or _credential
    timeout: float = 30.0


@dataclass(frozen=True, kw_only=True)
class EmailChannel(ChannelConfig):
    """`type: email`: recipients, sender, optional headers, the SMTP server."""

    type: str = "email"
    to: tuple[str, ...] = ()
    sender: str | None = None  # `from:`
    reply_to: str | None = None
    list_id: str | None = None
    smtp: SmtpConfig = field(default_factory=SmtpConfig)


class EmailType:
    """The email channel type: its keys, its config record, its sender."""

    name: str = "email"
    keys: tuple[str, ...] = ("to", "from", "reply_to", "list_id", "smtp")

    def parse(self, s: Section, common: ChannelConfig, env: Mapping[str, str]) -> EmailChannel:
        to = s.get("to", lambda v: tuple(_address(x) for x in as_str_list(v)), _NONE, required=True)
        smtp_s = s.section("smtp")
        smtp_s.check_keys(SMTP_KEYS)
        d = SmtpConfig()
        smtp = SmtpConfig(
            host=smtp_s.get("host", as_str, d.host),
            port=smtp_s.get("port", as_int, d.port),
            starttls=smtp_s.get("starttls", as_bool, d.starttls),
            ssl=smtp_s.get("ssl", as_bool, d.ssl),
            username=smtp_s.opt("username", as_str),
            password=secret_from(smtp_s, "password", env),
            timeout=smtp_s.get("timeout", parse_duration, d.timeout),
        )
        if smtp.ssl and smtp.starttls:
            smtp_s.error(
                "starttls",
                "ssl and starttls exclude each other",
                "ssl: implicit TLS (465); starttls: upgrade (587)",
            )
        return EmailChannel(
            **vars(common),  # shallow: the proxy settings stay a record
            to=to,
            sender=s.get("from", _address, "", required=True) or None,
            reply_to=s.opt("reply_to", _address),
            list_id=s.opt("list_id", as_str),
            smtp=smtp,
        )

    def sender(self, channel: ChannelConfig) -> EmailSender:
        return EmailSender(expect(channel, EmailChannel))


def _address(value: Any) -> str:
    text = as_str(value)
    if not _EMAIL.match(text):
        raise ValueError(f"{text!r} is not an e-mail address")
    return text


class EmailSender:
    """Renders a digest as one email and sends it with smtplib (in a thread)."""

    def __init__(self, channel: EmailChannel) -> None:
        self.channel = channel

    def render(self, digest: Digest, tz: str) -> list[Message]:
        from monitor.digest import render  # Jinja2 and the digest records: at delivery only

        return [
            Message(
                subject=render.subject(digest),
                text=render.text(digest, tz),
                html=render.html(digest, tz),
                created=digest.built_at.isoformat(),
            )
        ]

    def build(self, message: Message, message_id: str) -> EmailMessage:
        """The MIME message; every header value is a single line."""
        ch = self.channel
        if not ch.to or not ch.sender:
            raise DeliveryError(
                f"channel {ch.name!r}: an email channel needs `to:` and `from:`",
                retryable=False,
            )
        domain = parseaddr(ch.sender)[1].rpartition("@")[2] or "news-monitor.invalid"
        created = datetime.fromisoformat(message.created) if message.created else utcnow()
        msg = EmailMessage()
        msg["Subject"] = header_safe(message.subject)
        msg["From"] = header_safe(ch.sender)
        msg["To"] = ", ".join(header_safe(a) for a in ch.to)
        if ch.reply_to:
            msg["Reply-To"] = header_safe(ch.reply_to)
        if ch.list_id:
            msg["List-Id"] = header_safe(ch.list_id)
        msg["Date"] = format_datetime(created)
        msg["Message-ID"] = f"<{header_safe(message_id)}@{header_safe(domain)}>"
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(message.text)
        if message.html:
            msg.add_alternative(message.html, subtype="html")
        return msg

    async def send(self, message: Message, *, message_id: str) -> None:
        import asyncio  # here, like smtplib: `check` reads this type without loading them

        msg = self.build(message, message_id)
        await asyncio.to_thread(self._send, msg)

    def _send(self, msg: EmailMessage) -> None:
        import smtplib
        import ssl

        ch, cfg = self.channel, self.channel.smtp
        where = f"channel {ch.name!r} (SMTP {cfg.host}:{cfg.port})"
        # a server's reply may echo what it was sent: the password, or its AUTH base64 forms
        safe = Redactor.of(login_secrets(cfg.username, cfg.password) if cfg.password else ())
        try:
            context = ssl.create_default_context()
            smtp: smtplib.SMTP
            if cfg.ssl:
                smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
            with smtp:
                smtp.ehlo()
                if cfg.starttls and not cfg.ssl:
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if cfg.username:
                    smtp.login(cfg.username, cfg.password or "")
                refused = smtp.send_message(msg, to_addrs=list(ch.to))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"{where}: every recipient refused: {_codes(exc.recipients)}",
                "check `to:` and the server's relay rules",
                retryable=any(400 <= c < 500 for c in codes),
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"{where}: authentication failed ({exc.smtp_code})",
                "check smtp.username and the password (password_env, _file or _credential)",
                retryable=False,
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(
                f"{where}: {safe(str(exc))}",
                "the server offers no STARTTLS/AUTH: check smtp.starttls, smtp.ssl and smtp.port",
                retryable=False,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error
            if isinstance(text, bytes):
                text = text.decode("utf-8", "replace")
            raise DeliveryError(
                f"{where}: server answered {exc.smtp_code} {safe(header_safe(str(text)))}",
                retryable=not 500 <= exc.smtp_code < 600,
            ) from exc
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(
                f"{where}: TLS certificate not trusted: {exc.verify_message}",
                "the server's certificate must match smtp.host and chain to a trusted CA",
                retryable=False,
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timeout, DNS, TLS
            raise DeliveryError(f"{where}: {exc.__class__.__name__}: {safe(str(exc))}") from exc
        if refused:  # the others got it: a retry would send them a second copy, so log only
            log.warning("%s: delivered, but refused for %s", where, _codes(refused))


CHANNEL_TYPE = EmailType()


def _codes(recipients: dict[str, tuple[int, bytes]]) -> str:
    return ", ".join(f"{addr} ({code})" for addr, (code, _) in sorted(recipients.items()))
