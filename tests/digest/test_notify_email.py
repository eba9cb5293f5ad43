"""The email channel against a real aiosmtpd server: MIME structure, headers, TLS, faults."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_render import HOSTILE, digest, story

from monitor.digest.channels import sender_for
from monitor.digest.channels.email import EmailSender
from monitor.digest.message import Message
from monitor.errors import DeliveryError
from peers import SmtpPeer, authenticator, free_port, make_cert, server_tls, smtp_server


@pytest.fixture
def smtp_peer() -> Iterator[SmtpPeer]:
    with smtp_server() as peer:
        yield peer


MESSAGE_ID = "20240502080000.ab12cd34.legion-daily.analysts"


def send(sender: EmailSender, message: Message) -> None:
    asyncio.run(sender.send(message, message_id=MESSAGE_ID))


def rendered(sender: EmailSender) -> Message:
    d = digest(story(1, HOSTILE), story(2), story(3, update=True))
    (message,) = sender.render(d, "Europe/Berlin")
    return message


def test_multipart_message_with_headers(smtp_peer: SmtpPeer) -> None:
    channel = smtp_peer.channel(reply_to="desk@example.org", list_id="<legion.news-monitor>")
    sender = sender_for(channel)
    assert isinstance(sender, EmailSender)
    send(sender, rendered(sender))
    (got,) = smtp_peer.received
    msg = got.message
    assert got.rcpt_tos == ["analyst@example.com"]
    assert got.mail_from == "news-monitor@example.org"
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert msg["Subject"] == "[news-monitor] legion-daily — 2 stories, 1 update"
    assert msg["From"] == "news-monitor@example.org" and msg["To"] == "analyst@example.com"
    assert msg["Reply-To"] == "desk@example.org"
    assert msg["List-Id"] == "<legion.news-monitor>"
    assert msg["Message-ID"] == f"<{MESSAGE_ID}@example.org>"
    assert msg["Date"].datetime == digest().built_at  # the build time, stable across retries
    assert msg["Bcc"] is None
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Story number 2  [new story]" in text
    assert '<a href="https://outlet2.example/a"' in html
    assert "https://outlet2.example/a?x=1&amp;y=2" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_title_with_crlf_cannot_inject_headers(smtp_peer: SmtpPeer) -> None:
    sender = EmailSender(smtp_peer.channel())
    evil = Message(subject=f"[news-monitor] {HOSTILE}", text="body", html="", created="")
    send(sender, evil)
    (got,) = smtp_peer.received
    assert got.rcpt_tos == ["analyst@example.com"]
    assert got.message["Bcc"] is None
    assert b"\r\nBcc:" not in got.raw.split(b"\r\n\r\n")[0]
    assert "Bcc: victim@example.com" in got.message["Subject"]  # kept as harmless text


def test_refused_connection_is_retryable() -> None:
    sender = EmailSender(SmtpPeer(free_port()).channel())
    with pytest.raises(DeliveryError) as info:
        send(sender, rendered(sender))
    assert info.value.retryable and "ConnectionRefusedError" in str(info.value)


@pytest.mark.parametrize(
    ("answer", "retryable"),
    [("451 4.3.0 try again later", True), ("550 5.1.1 no such user", False)],
)
def test_smtp_status_decides_retry(smtp_peer: SmtpPeer, answer: str, retryable: bool) -> None:
    smtp_peer.answer = answer
    sender = EmailSender(smtp_peer.channel())
    with pytest.raises(DeliveryError) as info:
        send(sender, rendered(sender))
    assert info.value.retryable is retryable
    assert answer[:3] in str(info.value)
    assert not smtp_peer.received


def test_starttls_with_auth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = make_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test CA via the default context
    peer = SmtpPeer(
        free_port(),
        kwargs={
            "tls_context": server_tls(cert, key),
            "require_starttls": True,
            "authenticator": authenticator("mailer", "s3cret"),
            "auth_required": True,
        },
    )
    peer.up()
    try:
        ok = EmailSender(
            peer.channel(smtp={"starttls": True, "username": "mailer", "password": "s3cret"})
        )
        send(ok, rendered(ok))
        assert len(peer.received) == 1
        bad = EmailSender(
            peer.channel(smtp={"starttls": True, "username": "mailer", "password": "no"})
        )
        with pytest.raises(DeliveryError) as info:
            send(bad, rendered(bad))
        assert not info.value.retryable and "authentication failed" in str(info.value)
        plain = EmailSender(peer.channel())  # STARTTLS required by the server
        with pytest.raises(DeliveryError):
            send(plain, rendered(plain))
        assert len(peer.received) == 1
    finally:
        peer.down()


def test_implicit_tls_and_untrusted_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = make_cert(tmp_path)
    peer = SmtpPeer(free_port(), kwargs={"ssl_context": server_tls(cert, key)})
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    peer.up()
    try:
        sender = EmailSender(peer.channel(smtp={"ssl": True}))
        send(sender, rendered(sender))
        assert len(peer.received) == 1
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
        monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
        with pytest.raises(DeliveryError) as info:
            send(sender, rendered(sender))
        assert not info.value.retryable and "certificate" in str(info.value)
    finally:
        peer.down()


def test_missing_addresses_are_a_config_problem() -> None:
    sender = EmailSender(SmtpPeer(free_port()).channel(to=()))
    with pytest.raises(DeliveryError) as info:
        send(sender, Message("s", "t"))
    assert not info.value.retryable
