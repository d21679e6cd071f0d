"""Audit rows for sign-in events, which allauth and Django announce by signal."""

from __future__ import annotations

from typing import Any

from allauth.mfa.signals import authentication_failed, authenticator_added
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Q
from django.dispatch import receiver

# audit builds on accounts (its trail names staff and checks their roles): the functions
# below import it when they run, so that accounts imports no other app (tests/test_app_layers.py).
from .models import Organization, StaffMember


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from ketamine_clinic.audit.actions import Action
    from ketamine_clinic.audit.services import record

    record(actor=user, action=Action.LOGIN)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from ketamine_clinic.audit.actions import Action
    from ketamine_clinic.audit.services import record

    if user is not None:
        record(actor=user, action=Action.LOGOUT)


def _organization_named(username: str) -> Organization | None:
    """The organisation of the account `username` names (a username or an e-mail), if one."""
    if not username:
        return None
    accounts = StaffMember.objects.filter(
        Q(username__iexact=username) | Q(email__iexact=username), organization__isnull=False
    ).select_related("organization")
    organizations = {staff.organization for staff in accounts[:2]}
    return organizations.pop() if len(organizations) == 1 else None


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    from ketamine_clinic.audit.actions import Action
    from ketamine_clinic.audit.services import record

    # No actor: the password was wrong, so nobody is known to have acted. The organisation of
    # the account named, if any, owns the event; a made-up username belongs to no organisation
    # and is shown to the operator only (audit.selectors.audit_events).
    username = str(credentials.get("username") or credentials.get("email") or "")[:150]
    record(
        actor=None,
        actor_username=username,
        action=Action.LOGIN_FAILED,
        organization=_organization_named(username),
    )


@receiver(authenticator_added)
def _authenticator_added(
    sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    from ketamine_clinic.audit.actions import Action
    from ketamine_clinic.audit.services import record

    record(actor=user, action=Action.MFA_ENROLLED, detail={"type": authenticator.type})


@receiver(authentication_failed)
def _second_factor_failed(
    sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    # The password was right and the code was not: the sign of a stolen password.
    from ketamine_clinic.audit.actions import Action
    from ketamine_clinic.audit.services import record

    record(
        actor=user,
        action=Action.LOGIN_FAILED,
        detail={
            "step": "two_factor",
            "type": authenticator.type,
            "reauthentication": bool(kwargs.get("reauthentication")),
        },
    )
