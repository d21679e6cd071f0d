"""Access decisions from the permission matrix, and the audit row for every refusal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from .models import Clinic, Membership, StaffMember
from .permissions import MATRIX, Perm, role_allows

if TYPE_CHECKING:
    from ketamine_clinic.patients.models import Patient


class AccessDenied(PermissionDenied):
    """The actor belongs to the clinic but their role does not carry the permission."""


def active_memberships(staff: StaffMember) -> QuerySet[Membership]:
    return Membership.objects.filter(
        staff=staff, is_active=True, staff__is_active=True
    ).select_related("clinic")


def clinics_where(staff: StaffMember, perm: Perm) -> QuerySet[Clinic]:
    """Return the clinics at which `staff` currently holds a role that carries `perm`."""
    if not staff.is_authenticated or not staff.is_active:
        return Clinic.objects.none()
    roles = [role.value for role, perms in MATRIX.items() if perm in perms]
    return Clinic.objects.filter(
        memberships__staff=staff, memberships__is_active=True, memberships__role__in=roles
    ).distinct()


def can(staff: StaffMember, perm: Perm, clinic: Clinic | None = None) -> bool:
    """Return whether `staff` holds `perm` at `clinic` (or at any of their clinics)."""
    memberships = active_memberships(staff)
    if clinic is not None:
        memberships = memberships.filter(clinic=clinic)
    return any(role_allows(m.role, perm) for m in memberships)


def require(
    staff: StaffMember, perm: Perm, clinic: Clinic | None = None, patient: Patient | None = None
) -> None:
    """Raise AccessDenied, after auditing the refusal, unless `staff` holds `perm` there."""
    if can(staff, perm, clinic):
        return
    from ketamine_clinic.audit.actions import Action
    from ketamine_clinic.audit.services import record

    record(
        actor=staff if staff.is_authenticated else None,
        action=Action.PERMISSION_DENIED,
        clinic=clinic,
        patient=patient,
        detail={"permission": perm.value},
    )
    raise AccessDenied(f"Your role does not allow this ({perm.value}).")
