"""The web app's door: authentication (bearer token or basic auth with a pbkdf2 hash), the
CSRF token every POST must carry, and the security headers of every response.

A pure ASGI middleware: it answers 401 before any route runs, and adds the headers to every
response, error pages included (docs/web.md#access).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from monitor.config.web import PBKDF2, WebAuth

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGI = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
OPEN_PATHS = frozenset({"/healthz"})  # liveness answers without credentials
PBKDF2_ITERATIONS = 600_000


def hash_password(password: str, iterations: int = PBKDF2_ITERATIONS) -> str:
    """`pbkdf2_sha256$ITERATIONS$SALT$HASH` (salt and hash base64): settings.web.auth.password_hash."""
    salt = base64.b64encode(secrets.token_bytes(16)).decode().rstrip("=")
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"{PBKDF2}${iterations}${salt}${base64.b64encode(digest).decode()}"


def check_password(password: str, encoded: str) -> bool:
    try:
        kind, iterations, salt, expected = encoded.split("$")
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
    except ValueError:
        return False
    return kind == PBKDF2 and hmac.compare_digest(base64.b64encode(digest).decode(), expected)


class Guard:
    """Authentication, CSRF for POST, and the security headers around the app."""

    def __init__(self, app: ASGI, auth: WebAuth | None, csrf_secret: bytes | None = None) -> None:
        self.app = app
        self.auth = auth
        self.csrf_secret = csrf_secret or secrets.token_bytes(32)
        self._good: set[bytes] = set()  # basic credentials already checked (pbkdf2 is slow)

    def csrf_token(self) -> str:
        return hmac.new(self.csrf_secret, b"csrf", hashlib.sha256).hexdigest()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                headers.extend(h for h in HEADERS if h[0] not in names)
                message["headers"] = headers
            await send(message)

        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        if scope["path"] not in OPEN_PATHS and not self._allowed(headers):
            await _answer(send_with_headers, 401, b"authentication required\n", self._challenge())
            return
        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            read_only = scope["path"].startswith("/api/")  # the API has no action
            if scope["method"] != "POST" or read_only:
                allow = [(b"allow", b"GET, HEAD" if read_only else b"GET, HEAD, POST")]
                await _answer(send_with_headers, 405, b"method not allowed\n", allow)
                return
            body, receive = await _read_body(receive)
            if not self._csrf_ok(headers, body):
                await _answer(send_with_headers, 403, b"missing or wrong CSRF token\n")
                return
        await self.app(scope, receive, send_with_headers)

    def _challenge(self) -> list[tuple[bytes, bytes]]:
        if self.auth is not None and self.auth.token is None:
            return [(b"www-authenticate", b'Basic realm="news-monitor", charset="UTF-8"')]
        return [(b"www-authenticate", b'Bearer realm="news-monitor"')]

    def _allowed(self, headers: dict[bytes, bytes]) -> bool:
        auth = self.auth
        if auth is None:
            return True
        given = headers.get(b"authorization", b"")
        scheme, _, value = given.partition(b" ")
        if auth.token is not None and scheme.lower() == b"bearer":
            return hmac.compare_digest(value.strip(), auth.token.encode())
        if auth.password_hash is not None and scheme.lower() == b"basic":
            if value in self._good:
                return True
            try:
                user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            ok = hmac.compare_digest(user.encode(), (auth.username or "").encode())
            if ok and check_password(password, auth.password_hash):
                self._good.add(value)
                return True
        return False

    def _csrf_ok(self, headers: dict[bytes, bytes], body: bytes) -> bool:
        token = headers.get(b"x-csrf-token", b"").decode(errors="replace")
        if not token and headers.get(b"content-type", b"").startswith(
            b"application/x-www-form-urlencoded"
        ):
            token = parse_qs(body.decode(errors="replace")).get("csrf_token", [""])[0]
        return bool(token) and hmac.compare_digest(token, self.csrf_token())


async def _read_body(receive: Receive, limit: int = 1 << 20) -> tuple[bytes, Receive]:
    """The request body (at most *limit* bytes), and a receive that replays it to the app."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if not message.get("more_body") or size > limit:
            break
    body = b"".join(chunks)[:limit]
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


async def _answer(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    start = [(b"content-type", b"text/plain; charset=utf-8"), *(headers or [])]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": body})
