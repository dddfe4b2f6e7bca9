"""The address guard: URLs fetched on a user's behalf never reach private networks.

A crawler told to fetch ``http://169.254.169.254/`` (a cloud's metadata
service), ``http://localhost:6379/`` or a name that resolves to ``10.0.0.1``
would act for whoever wrote its sources file inside the operator's network.
So every fetch is checked twice:

* before the request, every address the host name resolves to must be
  public (:func:`check_url`), which gives a clear error naming the host;
* when the connection is made, the address actually connected to must be
  public (:class:`GuardedBackend`). A name can resolve to a public address
  for the first check and to a private one a moment later (DNS rebinding);
  the socket's peer address cannot lie. Each redirect hop opens or reuses a
  checked connection, so redirects are covered as well.

``WIRETRACE_ALLOW_PRIVATE_URLS=1`` lifts the guard: for an operator crawling
their own intranet, and for tests that serve pages on loopback.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from urllib.parse import urlsplit

import httpcore
import httpx

__all__ = [
    "ALLOW_PRIVATE_ENV",
    "BlockedAddress",
    "private_allowed",
    "is_public_address",
    "check_url",
    "GuardedBackend",
    "guarded_transport",
]

ALLOW_PRIVATE_ENV = "WIRETRACE_ALLOW_PRIVATE_URLS"
# IPv6 addresses that carry an IPv4 address a gateway will connect to: IPv4-mapped (::ffff:0:0/96), 6to4
# (2002::/16), Teredo (2001::/32) and the NAT64 well-known prefix.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddress(Exception):
    """A URL whose host is, or resolves to, an address the guard refuses."""


def private_allowed() -> bool:
    return os.environ.get(ALLOW_PRIVATE_ENV, "") == "1"


def is_public_address(address: str) -> bool:
    """Whether ``address`` (IPv4 or IPv6, as text) is a globally routable unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return False
    # ::ffff:127.0.0.1 and friends reach the IPv4 address they embed.
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            ip = embedded
    # is_global is False for private, loopback, link-local, reserved,
    # unspecified and shared (CGNAT) ranges; multicast needs its own test.
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise BlockedAddress(f"cannot resolve host {host!r}: {error.strerror}") from None
    return sorted({info[4][0] for info in infos})


def check_url(url: str) -> None:
    """Raise :class:`BlockedAddress` unless every address of ``url``'s host is public (or the guard is off)."""
    if private_allowed():
        return
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise BlockedAddress(f"{url!r} has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BlockedAddress(f"{url!r} has an invalid port") from None
    refused = [address for address in _resolve(host, port) if not is_public_address(address)]
    if refused:
        raise BlockedAddress(
            f"{host} resolves to a private, loopback or otherwise non-public address ({', '.join(refused)}); "
            f"set {ALLOW_PRIVATE_ENV}=1 to allow it"
        )


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, refusing connections whose peer is not public."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = super().connect_tcp(host, port, timeout, local_address, socket_options)
        if private_allowed():
            return stream
        peer = stream.get_extra_info("server_addr")[0]
        if not is_public_address(peer):
            stream.close()
            raise httpcore.ConnectError(
                f"refused to connect to {host} at {peer}: not a public address; set {ALLOW_PRIVATE_ENV}=1 to allow it"
            )
        return stream


def guarded_transport(**options) -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes through :class:`GuardedBackend`.

    httpx does not take a network backend as an argument; its connection
    pool hands ``_network_backend`` to every connection it opens, so setting
    it before the first request guards them all (tests/test_netguard.py
    checks that a connection to loopback is refused through this transport).
    """
    transport = httpx.HTTPTransport(**options)
    transport._pool._network_backend = GuardedBackend()
    return transport
