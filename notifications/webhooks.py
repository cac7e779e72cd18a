"""Signed webhook delivery: the SSRF guard, the signature and one POST over http.client.

The target's address is resolved and checked once, and the connection goes to that
very address (the Host header and TLS name stay the URL's), so a DNS answer that
changes between the check and the connection cannot point us inside the network.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

ALLOWED_SCHEMES = ("http", "https")
MAX_RESPONSE_BYTES = 4096
USER_AGENT = "Cordon-Webhooks/1"


class WebhookTargetRefused(ValueError):
    """The URL is not one Cordon may post to (scheme, or a private address)."""


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: str


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, as receivers recompute it."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


# IPv6 addresses that carry an IPv4 address: packets to them end up at that IPv4
# address (through this host's own stack, a NAT64 gateway, a 6to4 or Teredo relay).
_IPV4_IN_LAST_32_BITS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "::ffff:0:0/96",  # IPv4-mapped ::ffff:a.b.c.d
        "::ffff:0:0:0/96",  # IPv4-translated ::ffff:0:a.b.c.d (SIIT)
        "::/96",  # IPv4-compatible ::a.b.c.d (deprecated; also :: and ::1)
        "64:ff9b::/96",  # NAT64 well-known prefix (RFC 6052)
    )
)
# Local-use NAT64 (RFC 8215): translates into the operator's own network, with a
# prefix length (and so a place for the IPv4 address) nobody outside can know.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...] | None:
    """The IPv4 addresses an IPv6 address leads to, or None when it is plain IPv6."""
    if any(ip in network for network in _IPV4_IN_LAST_32_BITS):
        return (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    # 6to4 (2002::/16, 2002:AABB:CCDD::/48 is a.b.c.d's) and Teredo (2001::/32,
    # 2001:0:SERVER:flags:port:~CLIENT): Python decodes both, None outside the prefix.
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip.teredo is not None:
        return ip.teredo  # (server, client), the client's bits un-inverted
    return None


def _global_unicast(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


def address_allowed(address: str) -> bool:
    """The SSRF rule, the one place it is written: may Cordon connect to `address`?

    Only to a global unicast address. An IPv6 address that carries an IPv4 address is
    judged by that IPv4 address (a Teredo address by both its server and its client),
    whatever Python's table says of its prefix; local-use NAT64 never is allowed.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return all(_global_unicast(ipv4) for ipv4 in embedded)
    return _global_unicast(ip)


def _address_allowed(address: str) -> bool:
    return settings.NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS or address_allowed(address)


def resolve_target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to), or WebhookTargetRefused."""
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES or not parts.hostname:
        raise WebhookTargetRefused("Only http:// and https:// URLs with a host are allowed.")
    if parts.username or parts.password:
        raise WebhookTargetRefused("Credentials in the URL are not allowed.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise WebhookTargetRefused("The port is not valid.") from error
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise WebhookTargetRefused(f"The host does not resolve: {error}") from error
    addresses = [info[4][0] for info in infos]
    # An AF_INET or AF_INET6 sockaddr (all a host name resolves to) starts with the address
    # as a str; any other is refused with the rest.
    allowed = [a for a in addresses if isinstance(a, str) and _address_allowed(a)]
    if not addresses or len(allowed) != len(addresses):
        raise WebhookTargetRefused(
            "The host resolves to a private, loopback or reserved address "
            "(NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS is off)."
        )
    return parts.scheme, parts.hostname, port, allowed[0]


def validate_webhook_url(url: str) -> None:
    """Model/form validator: the same rule as at delivery time (where it is checked
    again, on the addresses the name resolves to then)."""
    try:
        resolve_target(url)
    except WebhookTargetRefused as error:
        raise ValidationError(str(error), code="webhook_target") from error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post_json(*, url: str, payload: dict, secret: str, delivery_id: str, timestamp: str):
    """POST the payload signed with the endpoint's secret. Raises OSError/HTTPException
    when nothing answered; returns the status otherwise (any status)."""
    scheme, host, port, address = resolve_target(url)
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(
        host, port, address=address, timeout=settings.NOTIFICATIONS_WEBHOOK_TIMEOUT
    )
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Cordon-Timestamp": timestamp,
        "X-Cordon-Signature": sign(secret, timestamp, body),
        "X-Cordon-Delivery": delivery_id,
        "Idempotency-Key": delivery_id,
    }
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read(MAX_RESPONSE_BYTES).decode("utf-8", "replace")
        return WebhookResponse(status=response.status, body=text)
    finally:
        connection.close()
