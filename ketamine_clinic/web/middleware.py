"""Security headers that Django does not set by itself."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ketamine_clinic.common.http import is_trusted_proxy

FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_FORWARDED",
    "HTTP_X_REAL_IP",
)


class ForwardedHeadersMiddleware:
    """Drop X-Forwarded-* headers unless the peer is a trusted proxy (TRUSTED_PROXIES).

    Anyone can send them: believed from anyone, they would let a client claim HTTPS or another
    address. Runs first, so nothing after it (Django's SECURE_PROXY_SSL_HEADER, allauth) sees
    a forged one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)


class NoStoreMiddleware:
    """Send `Cache-Control: no-store` with every answer but static files and the health check.

    Pages, API answers and exports carry patient data or the ledger: no browser, proxy or
    shared cache may keep a copy (issue #14 §5).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith((settings.STATIC_URL, "/healthz")):
            response["Cache-Control"] = "no-store"
            response.setdefault("Pragma", "no-cache")
        return response


class ContentSecurityPolicyMiddleware:
    """Send the strict Content-Security-Policy on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class ClinicTimeZoneMiddleware:
    """Show times in the staff member's clinic's time zone (issue #16 §3).

    Templates convert aware datetimes to the active zone; the API keeps ISO 8601 with offsets.
    A staff member of several clinics sees the zone of the first (by name) of their clinics.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            zone = (
                user.memberships.filter(is_active=True)
                .order_by("clinic__name")
                .values_list("clinic__timezone", flat=True)
                .first()
            )
        if zone:
            timezone.activate(ZoneInfo(zone))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
