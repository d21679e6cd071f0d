"""Writes about staff: invitations, roles, deactivation and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.mfa.models import Authenticator
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .access import require
from .models import ApiToken, Clinic, Membership, StaffInvitation, StaffMember
from .permissions import Perm, Role

# audit builds on accounts (its trail names staff and checks their roles): the functions
# below import it when they run, so that accounts imports no other app (tests/test_app_layers.py).

INVITATION_VALID_FOR = timedelta(days=7)
API_TOKEN_PREFIX = "kc_"


def _now() -> datetime:
    return timezone.now()


def token_hash(token: str) -> str:
    """Return the SHA-256 hex digest under which a secret token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Invitation:
    membership: Membership
    # The link to choose a password, shown once (in the e-mail); only its hash is stored.
    # None when the person already has an account: a colleague given a role at another
    # clinic keeps their own password.
    token: str | None


def staff_invite(
    *,
    actor: StaffMember,
    clinic: Clinic,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    role: Role,
    credentials: str = "",
) -> Invitation:
    """Invite a person to work at `clinic` in `role`, or give an existing colleague a role there.

    Only a new person gets a link to choose a password: a link for an existing account would
    let whoever receives it (at an address the inviting admin types) take that account over.
    """
    from ketamine_clinic.audit.actions import Action
    from ketamine_clinic.audit.services import record

    require(actor, Perm.STAFF_MANAGE, clinic)
    with transaction.atomic():
        staff = StaffMember.objects.filter(username__iexact=username).first()
        if staff is not None and staff.organization_id != clinic.organization_id:
            raise ValidationError({"username": "This username is already taken."})
        is_new = staff is None
        if staff is None:
            staff = StaffMember(
                username=username,
                email=email,
                first_name=first_name,
                last_name=last_name,
                credentials=credentials,
                organization=clinic.organization,
            )
            staff.set_unusable_password()
            staff.full_clean()
            staff.save()
        elif Membership.objects.filter(staff=staff, clinic=clinic).exists():
            raise ValidationError({"username": "This person already has a role at this clinic."})
        membership = Membership(staff=staff, clinic=clinic, role=role.value)
        membership.full_clean()
        membership.save()
        token = secrets.token_urlsafe(32) if is_new else None
        if token is not None:
            StaffInvitation.objects.create(
                staff=staff,
                token_hash=token_hash(token),
                invited_by=actor,
                expires_at=_now() + INVITATION_VALID_FOR,
            )
        record(
            actor=actor,
            action=Action.STAFF_INVITE,
            clinic=clinic,
            obj=membership,
            detail={"username": staff.username, "role": role.value, "new_account": is_new},
        )
    return Invitation(membership=membership, token=token)


def invitation_for_token(token: str) -> StaffInvitation | None:
    """Return the open, unexpired invitation for this token, or None."""
    return (
        StaffInvitation.objects.filter(
            token_hash=token_hash(token), accepted_at=None, expires_at__gt=_now()
        )
        .select_related("staff")
        .first()
    )


def staff_accept_invitation(*, token: str, password: str) -> StaffMember:
    """Set the invited person's password; the invitation dies with it."""
    from ketamine_clinic.audit.actions import Action
    from ketamine_clinic.audit.services import record

    with transaction.atomic():
        invitation = invitation_for_token(token)
        if invitation is None:
            raise ValidationError("This invitation is not valid, or it has expired or been used.")
        staff = invitation.staff
        try:
            validate_password(password, staff)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from error
        staff.set_password(password)
        staff.save(update_fields=["password"])
        invitation.accepted_at = _now()
        invitation.save(update_fields=["accepted_at"])
        record(actor=staff, action=Action.STAFF_INVITE_ACCEPT, obj=staff)
    return staff


def staff_change_role(*, actor: StaffMember, membership: Membership, role: Role) -> Membership:
    """Give a staff member another role at the same clinic."""
    from ketamine_clinic.audit.actions import Action
    from ketamine_clinic.audit.services import record

    require(actor, Perm.STAFF_MANAGE, membership.clinic)
    if membership.staff_id == actor.pk:
        raise ValidationError({"role": "Ask another admin to change your own role."})
    if not membership.is_active:
        raise ValidationError({"role": "This role has ended: invite the person again."})
    with transaction.atomic():
        old = membership.role
        membership.role = role.value
        membership.save(update_fields=["role"])
        record(
            actor=actor,
            action=Action.STAFF_ROLE_CHANGE,
            clinic=membership.clinic,
            obj=membership,
            changes={"role": [old, role.value]},
            detail={"username": membership.staff.username},
        )
    return membership


def staff_deactivate(*, actor: StaffMember, membership: Membership) -> Membership:
    """End a staff member's role at a clinic; with no role left, they can no longer log in.

    Nothing is deleted: what they recorded and signed stays attributed to them.
    """
    from ketamine_clinic.audit.actions import Action
    from ketamine_clinic.audit.services import record

    require(actor, Perm.STAFF_MANAGE, membership.clinic)
    if membership.staff_id == actor.pk:
        raise ValidationError("You cannot deactivate your own role.")
    with transaction.atomic():
        membership.is_active = False
        membership.deactivated_at = _now()
        membership.save(update_fields=["is_active", "deactivated_at"])
        staff = membership.staff
        account_closed = not staff.memberships.filter(is_active=True).exists()
        if account_closed:
            staff.is_active = False
            staff.save(update_fields=["is_active"])
            staff.api_tokens.filter(revoked_at=None).update(revoked_at=_now())
        record(
            actor=actor,
            action=Action.STAFF_DEACTIVATE,
            clinic=membership.clinic,
            obj=membership,
            changes={"is_active": ["True", "False"]},
            detail={"username": staff.username, "account_closed": account_closed},
        )
    return membership


def staff_reset_two_factor(*, actor: StaffMember, membership: Membership) -> int:
    """Remove a colleague's authenticator app and recovery codes (a lost phone).

    Their authenticators open every clinic they work at, so the actor must administer every one
    of those clinics (active roles), and the reset is recorded at each. Their next sign-in sends
    them to enrol a new authenticator. Returns how many were removed.
    """
    from ketamine_clinic.audit.actions import Action
    from ketamine_clinic.audit.services import record

    staff = membership.staff
    clinics = list(
        Clinic.objects.filter(memberships__staff=staff, memberships__is_active=True)
        .distinct()
        .order_by("pk")
    ) or [membership.clinic]
    for clinic in clinics:
        require(actor, Perm.STAFF_MANAGE, clinic)
    if staff.pk == actor.pk:
        raise ValidationError("Ask another admin to reset your own two-factor.")
    with transaction.atomic():
        removed: int = Authenticator.objects.filter(user=staff).delete()[0]
        for clinic in clinics:
            record(
                actor=actor,
                action=Action.MFA_RESET,
                clinic=clinic,
                obj=staff,
                detail={"username": staff.username, "authenticators_removed": removed},
            )
    return removed


@dataclass(frozen=True)
class IssuedToken:
    api_token: ApiToken
    token: str  # shown once; only its hash is stored


def api_token_create(*, staff: StaffMember, name: str = "") -> IssuedToken:
    """Issue a new API token that acts with `staff`'s roles and clinics."""
    from ketamine_clinic.audit.actions import Action
    from ketamine_clinic.audit.services import record

    if not staff.is_active:
        raise ValidationError("An inactive staff member cannot hold API tokens.")
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        api_token = ApiToken.objects.create(
            staff=staff, name=name[:100], token_hash=token_hash(token), prefix=token[:10]
        )
        record(actor=staff, action=Action.API_TOKEN_CREATE, obj=api_token)
    return IssuedToken(api_token=api_token, token=token)


def api_token_revoke(*, actor: StaffMember, api_token: ApiToken) -> None:
    """Revoke one of the actor's own tokens."""
    from ketamine_clinic.audit.actions import Action
    from ketamine_clinic.audit.services import record

    if api_token.staff_id != actor.pk:
        raise ValidationError("You can revoke only your own tokens.")
    with transaction.atomic():
        api_token.revoked_at = _now()
        api_token.save(update_fields=["revoked_at"])
        record(actor=actor, action=Action.API_TOKEN_REVOKE, obj=api_token)


def staff_for_api_token(token: str) -> StaffMember | None:
    """Return the active owner of an unrevoked token, or None."""
    api_token = (
        ApiToken.objects.filter(token_hash=token_hash(token), revoked_at=None)
        .select_related("staff")
        .first()
    )
    if api_token is None or not api_token.staff.is_active:
        return None
    now = _now()
    if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
    return api_token.staff
