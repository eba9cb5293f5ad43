"""`settings.web`: where the web app listens and how it asks for credentials.

A non-loopback `listen` without `auth` is a config problem (`check` reports it), so the app
never serves the stored data to the network unauthenticated (docs/web.md#access).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from monitor.config.fields import Section, as_bool, as_str, secret_from, secret_keys

DEFAULT_LISTEN = "127.0.0.1:8080"
_WEB = ("listen", "auth", "actions")
_AUTH = (*secret_keys("token"), "username", "password_hash")
PBKDF2 = "pbkdf2_sha256"


@dataclass(frozen=True)
class WebAuth:
    """A bearer token, or basic auth with a password hash (pbkdf2_sha256$ITER$SALT$HASH)."""

    token: str | None = None
    username: str | None = None
    password_hash: str | None = None


@dataclass(frozen=True)
class WebConfig:
    """The `settings.web:` block; listen None: `run` serves no web app; actions: the pages may
    mute and unmute stories and topics (POST with the CSRF token), else they only read."""

    listen: str | None = None
    auth: WebAuth | None = None
    actions: bool = False


def split_listen(value: str) -> tuple[str, int]:
    """HOST:PORT (IPv6 as [::1]:PORT) → (host, port); ValueError with the reason."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not HOST:PORT (e.g. 127.0.0.1:8080)")
    return host.strip("[]"), int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(listen: str, auth: WebAuth | None) -> str | None:
    """Why the app may not listen on *listen* (None: it may)."""
    host, _ = split_listen(listen)
    if auth is None and not is_loopback(host):
        return f"web: {listen} is not a loopback address and settings.web.auth is not set"
    return None


AUTH_HINT = (
    "set settings.web.auth (token_env, or username and password_hash), or listen on 127.0.0.1"
)


def web_settings(s: Section, env: Mapping[str, str]) -> WebConfig:
    s.check_keys(_WEB)
    listen = s.opt("listen", as_str)
    if listen is not None:
        try:
            split_listen(listen)
        except ValueError as exc:
            s.error("listen", str(exc), "write it as HOST:PORT, e.g. 127.0.0.1:8080")
            listen = None
    auth = _auth(s.section("auth"), env) if s.has("auth") else None
    if listen is not None and auth is None and (why := refusal(listen, None)):
        s.error("listen", why, AUTH_HINT)
    actions = s.opt("actions", as_bool)
    return WebConfig(listen=listen, auth=auth, actions=bool(actions))


def _auth(a: Section, env: Mapping[str, str]) -> WebAuth | None:
    a.check_keys(_AUTH)
    token = secret_from(a, "token", env)
    username = a.opt("username", as_str)
    password_hash = a.opt("password_hash", as_str)
    if token is None and (username is None or password_hash is None):
        a.error(
            "token_env",
            "needs token_env/token_file/token_credential, or username and password_hash",
            "see docs/web.md#access",
        )
        return None
    if password_hash is not None:
        parts = password_hash.split("$")
        if len(parts) != 4 or parts[0] != PBKDF2 or not parts[1].isdigit():
            a.error(
                "password_hash",
                f"is not {PBKDF2}$ITERATIONS$SALT$HASH",
                "make one with: news-monitor web --hash-password",
            )
            return None
        a.problems.secret(password_hash)
    return WebAuth(token=token, username=username, password_hash=password_hash)
