"""Where the current request came from, for the audit rows written while serving it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse

from ketamine_clinic.common.http import client_ip


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
