"""allauth adapters: no self sign-up (staff are invited), and TOTP cannot be switched off."""

from __future__ import annotations

import time
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from ketamine_clinic.common.http import client_ip


class ClinicAccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        # One notion of the client's address for sign-in limits, audit rows and link limits
        # (TRUSTED_PROXIES), rather than allauth's own proxy count.
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        # A staff member who has just signed in with their password and has no authenticator
        # yet is enrolling for the first time (RequireTwoFactorMiddleware sent them there):
        # asking for the same password again would add nothing.
        request = context.request
        if (
            app == "allauth.mfa"
            and request is not None
            and request.user.is_authenticated
            and not Authenticator.objects.filter(user=request.user).exists()
        ):
            records = get_authentication_records(request, request.user)
            timeout = account_settings.REAUTHENTICATION_TIMEOUT
            if records and time.time() - records[-1]["at"] < timeout:
                return False
        return bool(super().is_reauthentication_required(app=app, **kwargs))


class ClinicMFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # Two-factor is required for every staff role: an authenticator is never switched off
        # by its owner; a clinic admin resets it (services.staff_reset_two_factor).
        return not settings.KETAMINE_CLINIC_REQUIRE_MFA
