"""Outgoing requests to user-given URLs (a business's HTTP tools) reach only the public
internet: never loopback, private, link-local (cloud metadata at 169.254.169.254),
multicast or reserved addresses, which would let a tenant reach our own services.

Checking the URL's host once is not enough: a name can resolve to a public address when
checked and to 127.0.0.1 when connected (DNS rebinding). So :func:`resolve_public`
resolves the name once, refuses if ANY address it gets is not public, and the caller
connects to the address returned, never to the name again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


class RefusedDestination(ValueError):
    """The URL may not be requested; the message says why (safe to show its owner)."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # as written in the URL (the TLS server name and Host header)
    port: int


def parse_destination(url: str) -> Destination:
    """The URL's scheme, host and port, or RefusedDestination if it is not an absolute
    http(s) URL with a host (credentials in the URL are refused: they would be logged)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedDestination(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise RefusedDestination("only http and https URLs are allowed")
    if not parts.hostname:
        raise RefusedDestination("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise RefusedDestination("credentials in the URL are not allowed; use authentication")
    return Destination(scheme, parts.hostname, port or DEFAULT_PORTS[scheme])


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback
    return ip.is_global and not ip.is_multicast


def literal_address(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def check_url(url: str, *, allow_private: bool) -> Destination:
    """What can be known without DNS: the URL's form, and a literal address's class.
    Names are checked when resolved (:func:`resolve_public`)."""
    destination = parse_destination(url)
    literal = literal_address(destination.host)
    if literal is not None and not allow_private and not is_public_address(literal):
        raise RefusedDestination("the URL points at a private or local address")
    if _is_loopback_name(destination.host) and not allow_private:
        raise RefusedDestination("the URL points at a private or local address")
    return destination


def _is_loopback_name(host: str) -> bool:
    # RFC 6761 §6.3: "localhost" and every name under it are loopback, whatever a resolver
    # says; a trailing dot (the fully qualified form) names the same host.
    name = host.lower().rstrip(".")
    return name in ("localhost", "localhost.localdomain") or name.endswith(".localhost")


async def resolve_public(destination: Destination, *, allow_private: bool) -> str:
    """One address to connect to for ``destination``: refused if the name does not
    resolve or if any of its addresses is not public (unless ``allow_private``)."""
    literal = literal_address(destination.host)
    if literal is not None:
        if not allow_private and not is_public_address(literal):
            raise RefusedDestination("the URL points at a private or local address")
        return literal
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(destination.host, destination.port,
                                       type=socket.SOCK_STREAM)
    except OSError:
        raise RefusedDestination(f"the host {destination.host!r} does not resolve") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise RefusedDestination(f"the host {destination.host!r} does not resolve")
    if not allow_private and not all(is_public_address(a) for a in addresses):
        raise RefusedDestination("the URL's host resolves to a private or local address")
    return addresses[0]
