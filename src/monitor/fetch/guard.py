"""The private-address guard: a network backend that connects only to public or allowed addresses.

A URL the program found (an item link, a page link, a redirect, a discovered feed) must not
reach the machine's own network unless the user allowed it. The check is on the addresses a
name resolves to, and the connection goes to the checked address itself (no second lookup that
could answer differently); the peer of the connected socket is checked once more.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence

import httpcore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Refused(Exception):
    """The transport refused to connect: every address of the host is private and not allowed."""

    def __init__(self, address: str) -> None:
        super().__init__(f"private address {address} refused")
        self.address = address


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDR strings ("10.0.0.0/8", "fd00::/8", "192.0.2.7") as networks; ValueError if one is bad."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values)


def unwrapped(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_private(address: IPAddress) -> bool:
    """Loopback, private, link-local, CGNAT (100.64/10), multicast, reserved or unspecified."""
    address = unwrapped(address)
    return address.is_multicast or not address.is_global


def allowed(address: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    """May a found URL connect to `address`: public, or inside one of `networks`."""
    plain = unwrapped(address)
    if not is_private(plain):
        return True
    return any(plain in n or address in n for n in networks)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's backend, connecting only to public addresses and those in `networks`."""

    def __init__(self, networks: Sequence[IPNetwork] = ()) -> None:
        self._networks = tuple(networks)
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port, timeout)
        permitted = [a for a in addresses if allowed(a, self._networks)]
        if not permitted:
            raise Refused(str(unwrapped(addresses[0])))
        failure: httpcore.ConnectError | None = None
        for address in permitted:
            try:
                stream = await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:  # the next address, as a resolver's order
                failure = exc
                continue
            peer = _peer(stream)
            if peer is None or not allowed(peer, self._networks):
                await stream.aclose()
                raise Refused(str(unwrapped(peer) if peer else address))
            return stream
        assert failure is not None
        raise failure

    async def _resolve(self, host: str, port: int, timeout: float | None) -> list[IPAddress]:
        """The addresses `host` resolves to (a literal, in any form the C library reads, too)."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} took too long") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        found = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not found:
            raise httpcore.ConnectError(f"{host} has no address")
        return list(dict.fromkeys(found))

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise Refused(f"unix:{path}")  # never asked for: a found URL has no socket path

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _peer(stream: httpcore.AsyncNetworkStream) -> IPAddress | None:
    """The address the socket is connected to."""
    sock = stream.get_extra_info("socket")  # asyncio's TransportSocket, or a socket
    try:
        return ipaddress.ip_address(str(sock.getpeername()[0]).split("%")[0])
    except (AttributeError, OSError, ValueError):
        return None
