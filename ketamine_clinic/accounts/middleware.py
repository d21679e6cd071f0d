"""Two-factor enrolment before anything else."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# Paths a signed-in staff member without TOTP may still reach: enrolment itself (and the
# password confirmation allauth may ask for before it), sign-out, static files, the health
# check, and the API (which authenticates by token, not by session).
_OPEN_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/reauthenticate/",
    "/accounts/logout/",
    "/r/",
    "/c/",
    "/i/",
    "/static/",
    "/healthz",
    "/api/",
)


def has_totp(user: object) -> bool:
    return bool(Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists())


class RequireTwoFactorMiddleware:
    """Send a signed-in staff member who has not enrolled TOTP to the enrolment page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.KETAMINE_CLINIC_REQUIRE_MFA
            and not request.path.startswith(_OPEN_PREFIXES)
            and request.user.is_authenticated
            and not has_totp(request.user)
        ):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
