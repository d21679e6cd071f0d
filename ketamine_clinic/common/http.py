"""Facts about the HTTP request that several apps need."""

from __future__ import annotations

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """Return the client address; behind a proxy, set it to pass REMOTE_ADDR through."""
    return request.META.get("REMOTE_ADDR") or None
