"""allauth adapters: no self sign-up (staff are invited), and TOTP cannot be switched off."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest


class ClinicAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


class ClinicMFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # Two-factor is required for every staff role: the authenticator app can be replaced
        # only by an administrator resetting it, never switched off by its owner.
        return not settings.KETAMINE_CLINIC_REQUIRE_MFA
