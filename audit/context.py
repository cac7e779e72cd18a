"""Who is acting and on which request: set by middleware, read by audit.record.

A context variable rather than a thread-local so the value follows the request
through async code as well; Celery tasks simply have none (the actor is "system").
"""

from __future__ import annotations

import contextvars
import ipaddress
import re
import uuid
from dataclasses import dataclass, field

_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@dataclass
class RequestContext:
    request_id: str
    ip: str | None = None
    user_agent: str = ""
    request: object | None = field(default=None, repr=False)

    @property
    def user(self):
        """The authenticated user of the request, resolved lazily (DRF sets it late)."""
        user = getattr(self.request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return user
        return None


current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "cordon_request_context", default=None
)


def clean_request_id(value: str | None) -> str:
    """Keep a caller's X-Request-ID only when it is short and harmless."""
    if value and _REQUEST_ID_PATTERN.match(value):
        return value
    return uuid.uuid4().hex


def clean_ip(value: str | None) -> str | None:
    """The canonical text of an address, the same however the database spells it back.

    An IPv4 client seen through an IPv6 socket (::ffff:a.b.c.d) is that IPv4 address,
    and a zone (%eth0) is dropped: the database would otherwise store another text
    than the one the event was hashed with (see audit.chain.event_hash).
    """
    try:
        address = ipaddress.ip_address(value) if value else None
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address.scope_id is not None:
            address = ipaddress.IPv6Address(address.packed)
    return str(address) if address is not None else None


def _trusted_networks(entries) -> tuple:
    """TRUSTED_PROXIES as networks: single addresses or CIDR ranges, in any spelling
    (2001:DB8::1 and 2001:db8::1 are one address). An entry that is no address is
    ignored, so a typo never makes a stranger's X-Forwarded-For believed."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            continue
    return tuple(networks)


def _is_trusted(address: str, networks) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip.version == network.version and ip in network for network in networks)


def client_ip_of(request) -> str | None:
    """The client's address: REMOTE_ADDR, unless that is a trusted proxy (TRUSTED_PROXIES),
    in which case the nearest X-Forwarded-For hop that is not itself a trusted proxy.

    Anyone can send X-Forwarded-For, so it is believed only from our own proxies; and
    only the hops our proxies appended count, so the client cannot choose its address
    by prepending one.
    """
    from django.conf import settings

    remote = clean_ip(request.META.get("REMOTE_ADDR"))
    trusted = _trusted_networks(getattr(settings, "TRUSTED_PROXIES", []))
    if remote is None or not _is_trusted(remote, trusted):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        address = clean_ip(hop)
        if address is None:
            return remote
        if not _is_trusted(address, trusted):
            return address
    return remote


def get() -> RequestContext | None:
    return current.get()
