"""Local test peers for delivery: an aiosmtpd SMTP server, a Slack webhook route, store data."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from httpserver import Exchange, LocalServer
from monitor.config.model import ChannelConfig, Config, DigestConfig, Settings
from monitor.digest.channels.email import EmailChannel, SmtpConfig
from monitor.store import Store
from monitor.store.schema import article_sources, articles, topic_matches

T0 = datetime(2024, 5, 2, 6, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- SMTP


class _Handler:
    def __init__(self, peer: SmtpPeer) -> None:
        self.peer = peer

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.peer.answer:
            return self.peer.answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.peer.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg, raw))
        return "250 Message accepted"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class SmtpPeer:
    """An SMTP server on 127.0.0.1: `down()` refuses connections, `answer` sets an RCPT reply."""

    port: int
    received: list[Received] = field(default_factory=list)
    answer: str | None = None  # e.g. "451 4.3.0 try later", "550 5.1.1 no such user"
    kwargs: dict[str, Any] = field(default_factory=dict)
    controller: Controller | None = None

    def up(self) -> None:
        if self.controller is None:
            self.controller = Controller(
                _Handler(self), hostname="127.0.0.1", port=self.port, **self.kwargs
            )
            self.controller.start()

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def channel(self, **changes: Any) -> EmailChannel:
        smtp = SmtpConfig(host="127.0.0.1", port=self.port, timeout=5, **changes.pop("smtp", {}))
        values: dict[str, Any] = {
            "name": "analysts",
            "to": ("analyst@example.com",),
            "sender": "news-monitor@example.org",
            "smtp": smtp,
        }
        values.update(changes)
        return EmailChannel(**values)


@contextmanager
def smtp_server(**kwargs: Any) -> Iterator[SmtpPeer]:
    """A running SMTP peer; test modules wrap it in a fixture."""
    peer = SmtpPeer(free_port(), kwargs=kwargs)
    peer.up()
    try:
        yield peer
    finally:
        peer.down()


def make_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost (openssl CLI), as (cert, key)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def authenticator(user: str, password: str) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            user.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False)  # let aiosmtpd answer 235/535

    return check


# --------------------------------------------------------------------------- Slack


def slack_problems(payload: Any) -> list[str]:
    """What Slack would reject in an incoming-webhook payload (the limits we rely on)."""
    problems = []
    if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
        return ["no text fallback"]
    blocks = payload.get("blocks", [])
    if len(blocks) > 50:
        problems.append(f"{len(blocks)} blocks")
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            text = block["text"]
            if text["type"] != "plain_text" or not 0 < len(text["text"]) <= 150:
                problems.append("header")
        elif kind == "section":
            if not 0 < len(block["text"]["text"]) <= 3000:
                problems.append("section text")
        elif kind == "context":
            elements = block["elements"]
            if not 0 < len(elements) <= 10 or any(len(e["text"]) > 3000 for e in elements):
                problems.append("context")
        elif kind != "divider":
            problems.append(f"block type {kind}")
    return problems


@dataclass
class SlackPeer:
    """A webhook endpoint, a route of LocalServer: scripted answers first, then 200 "ok"."""

    url: str = ""
    script: list[tuple[int, dict[str, str]] | None] = field(default_factory=list)  # None: normal
    accepted: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    validate: bool = True  # False: accept any JSON (for Apprise's json:// notifications)

    def __call__(self, ex: Exchange) -> None:
        body = ex.body()
        self.requests += 1
        scripted = self.script.pop(0) if self.script else None
        if scripted is not None:
            status, headers = scripted
            return _answer(ex, status, "rate_limited" if status == 429 else "error", headers)
        try:
            payload = json.loads(body)
        except ValueError:
            return _answer(ex, 400, "invalid_payload")
        if self.validate and slack_problems(payload):
            return _answer(ex, 400, "invalid_blocks")
        self.accepted.append(payload)
        _answer(ex, 200, "ok")


def _answer(ex: Exchange, status: int, text: str, headers: dict[str, str] | None = None) -> None:
    ex.send(status, text.encode(), {**(headers or {}), "Content-Type": "text/plain"})


SLACK_PATH = "/services/T0/B0/secret"


@contextmanager
def slack_server() -> Iterator[SlackPeer]:
    """A running Slack webhook peer on a LocalServer; test modules wrap it in a fixture."""
    peer = SlackPeer()
    with LocalServer({SLACK_PATH: peer}) as server:
        peer.url = server.url(SLACK_PATH)
        yield peer


# --------------------------------------------------------------------------- store data


@contextmanager
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The store for a fixture parametrized over "sqlite" and "postgresql" (conftest's pg_url)."""
    if request.param == "sqlite":
        store = open_store(tmp_path / "state")
    else:
        store = open_store(str(request.getfixturevalue("pg_url")))
    try:
        yield store
    finally:
        store.close()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def open_store(path: Path | str) -> Store:
    """A migrated store (SQLite in a directory, or a database URL)."""
    store = Store(path) if isinstance(path, str) else Store.open(path)
    return store


class Data:
    """Inserts articles and topic matches the way the pipeline does."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.count = 0

    def article(
        self,
        title: str,
        *,
        source: str = "Example World",
        site: str | None = None,
        at: datetime = T0,
        topic: str | None = "Legion",
        score: float = 1.0,
        snippet: str = "",
        story: int | None = None,
        copy_of: int | None = None,
        url: str | None = None,
    ) -> int:
        self.count += 1
        url = url or f"https://{(site or source).lower().replace(' ', '-')}.example/{self.count}"
        with self.store.begin() as conn:
            art_id = conn.execute(
                sa.insert(articles)
                .values(
                    url=url, canonical_url=url, title=title, text=snippet, published=at,
                    stored_at=at, fetched=at, source=source, site_name=site,
                    duplicate_of=copy_of, story_id=story,
                )
                .returning(articles.c.id)
            ).scalar_one()  # fmt: skip
            conn.execute(
                sa.insert(article_sources).values(article_id=art_id, source=source, first_seen=at)
            )
            if topic is not None:
                conn.execute(
                    sa.insert(topic_matches).values(
                        article_id=art_id, topic=topic, score=score, hits="[]",
                        snippet=snippet or f"{title} — snippet", matched_at=at,
                    )
                )  # fmt: skip
        return int(art_id)


def config(
    *channels: ChannelConfig,
    schedule: str = "0 8 * * *",
    max_stories: int = 25,
    send_empty: bool = False,
    order: str = "relevance",
    name: str = "legion-daily",
    **settings: Any,
) -> Config:
    values: dict[str, Any] = {"delivery_retry_base": 1.0, "delivery_retry_cap": 8.0}
    values.update(settings)
    digest = DigestConfig(
        name=name,
        topics=("Legion",),
        channels=tuple(c.name for c in channels),
        schedule=schedule,
        max_stories=max_stories,
        send_empty=send_empty,
        order=order,
    )
    return Config(
        path=Path("feeds.yaml"),
        settings=Settings(**values),
        digests=(digest,),
        channels={c.name: c for c in channels},
    )
