"""Proxy variables of the environment (HTTPS_PROXY, NO_PROXY, …) → validated httpx mount routes.

httpx would read them itself and raise InvalidURL on a value it cannot parse, deep inside a
send; here they are read once, each fault reported naming its variable, and the clients get
explicit routes (`trust_env=False`). The mapping of NO_PROXY entries to patterns is httpx's own
(`httpx._utils.get_environment_proxies`), and the bracketed IPv6 form `[::1]` is accepted too.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from monitor.errors import Problem

if TYPE_CHECKING:  # httpx loads with the clients that use these routes, never for `check`
    import ssl

    import httpx

PROXY_SCHEMES = ("http", "https", "all")  # HTTP_PROXY, HTTPS_PROXY, ALL_PROXY
_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_HINT = "fix or unset the variable in the daemon's environment (see docs/configuration.md#proxies)"


@dataclass(frozen=True)
class ProxyRoute:
    """One httpx mount: requests matching `pattern` go through `proxy`, or directly when None."""

    pattern: str  # an httpx URL pattern: "https://", "all://*example.com", "all://[::1]"
    proxy: str | None


@dataclass(frozen=True)
class ProxySettings:
    """The routes built from the environment's proxy variables (none set: no routes)."""

    routes: tuple[ProxyRoute, ...] = ()

    def mounts(
        self, *, verify: ssl.SSLContext | bool = True, http2: bool = False
    ) -> dict[str, httpx.AsyncBaseTransport | None]:
        """httpx mounts for `AsyncClient(trust_env=False, mounts=…)`: None goes direct."""
        import httpx

        return {
            r.pattern: None
            if r.proxy is None
            else httpx.AsyncHTTPTransport(proxy=r.proxy, verify=verify, http2=http2)
            for r in self.routes
        }


def _variable(env: Mapping[str, str], scheme: str) -> tuple[str, str] | None:
    """(name, value) of `<scheme>_proxy`; the lowercase name wins, as in urllib and curl."""
    lower, upper = f"{scheme}_proxy", f"{scheme.upper()}_PROXY"
    if lower in env:
        return (lower, env[lower].strip()) if env[lower].strip() else None
    if env.get(upper, "").strip():
        return upper, env[upper].strip()
    return None


def proxy_settings(env: Mapping[str, str]) -> tuple[ProxySettings, list[Problem]]:
    """The proxy routes of *env*, and a Problem for every value that cannot be used."""
    problems: list[Problem] = []

    def fault(name: str, message: str) -> None:
        problems.append(Problem("environment", 0, name, message, _HINT))

    routes: list[ProxyRoute] = []
    for scheme in PROXY_SCHEMES:
        found = _variable(env, scheme)
        if found is None or (scheme == "http" and "REQUEST_METHOD" in env):  # CGI: httpoxy
            continue
        name, value = found
        url = value if "://" in value else f"http://{value}"
        why = _bad_proxy_url(url)
        if why:
            fault(name, f"not a usable proxy URL: {why}")  # the value may hold a password
        else:
            routes.append(ProxyRoute(f"{scheme}://", url))
    found = _variable(env, "no")
    if found is not None and routes:
        name, value = found
        for entry in (e.strip() for e in value.split(",")):
            if entry == "*":
                return ProxySettings(), problems
            if entry:
                shown = entry if len(entry) <= 60 else entry[:57] + "..."
                pattern = _no_proxy_pattern(entry)
                if pattern is None and "/" in entry and "://" not in entry:
                    fault(name, f"the entry {shown!r}: network ranges are not supported here")
                elif pattern is None:
                    fault(name, f"cannot use the entry {shown!r}: not a host, address or URL")
                else:
                    routes.append(ProxyRoute(pattern, None))
    return ProxySettings(tuple(routes)), problems


def _bad_proxy_url(url: str) -> str | None:
    """Why httpx could not use *url* as a proxy, or None."""
    if any(c.isspace() for c in url):
        return "it contains a space"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return str(exc)
    if parts.scheme not in ("http", "https"):
        return f"the scheme {parts.scheme!r} is not supported (use http:// or https://)"
    if not parts.hostname or not _valid_host(parts.hostname):
        return "it has no valid host name"
    if port == 0:
        return "port 0"
    return None


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    name, _, port = ascii_host.partition(":")
    labels = name.removesuffix(".").split(".")
    return all(_LABEL.fullmatch(x) for x in labels) and (not port or port.isdigit())


def _no_proxy_pattern(entry: str) -> str | None:
    """httpx's mount pattern for one NO_PROXY entry (curl's rules), or None if unusable."""
    if "://" in entry:
        return entry if _bad_proxy_url(entry.replace("all://", "http://", 1)) is None else None
    bracketed = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](:\d{1,5})?", entry)
    host, port = (bracketed.group(1), bracketed.group(2) or "") if bracketed else (entry, "")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        return f"all://[{host}]{port}" if address.version == 6 else f"all://{host}"
    if host.lower() == "localhost":
        return f"all://{host}"
    name = host.removeprefix("*").removeprefix(".")  # *.example.com, .example.com: subdomains
    if not _valid_host(name):
        return None
    dot = "." if name != host else ""
    return f"all://*{dot}{name.encode('idna').decode('ascii')}"
