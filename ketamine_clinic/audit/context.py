"""Where the current request came from, for the audit rows written while serving it."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class AuditContext:
    ip: str | None = None
    channel: str = "system"  # web, api, cli, system
    correlation_id: str = field(default_factory=lambda: uuid.uuid4().hex)


_current: ContextVar[AuditContext | None] = ContextVar("audit_context", default=None)


def current() -> AuditContext:
    """Return the context of the request (or command) being served."""
    return _current.get() or AuditContext()


def set_context(ctx: AuditContext) -> None:
    _current.set(ctx)


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


class AuditContextMiddleware:
    """Give every request an audit context: its IP, its channel and one correlation id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        token = _current.set(AuditContext(ip=client_ip(request), channel=channel))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
