"""Facts about the HTTP request that several apps need: who is asking, behind which proxy."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"KETAMINE_CLINIC_TRUSTED_PROXIES holds an address that is not one: {error}"
        ) from error


def trusted_networks() -> tuple[Network, ...]:
    """Return the proxies whose X-Forwarded-* headers are believed (TRUSTED_PROXIES)."""
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def is_trusted_proxy(address: str | None) -> bool:
    """Return whether `address` is one of the configured trusted proxies."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in trusted_networks())


def client_ip(request: HttpRequest) -> str | None:
    """Return the address of the person making the request.

    The peer (REMOTE_ADDR) unless it is a trusted proxy; then X-Forwarded-For is read from the
    right, skipping the trusted proxies it names, and the first other address is the client's.
    With no trusted proxies (the default) the header is ignored: anyone can write it. The same
    address serves the audit rows, the link rate limits and allauth's sign-in limits.
    """
    peer = request.META.get("REMOTE_ADDR") or None
    if not is_trusted_proxy(peer):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if is_trusted_proxy(hop):
            continue
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            return peer  # a garbled header: fall back to the proxy's own address
    return peer
