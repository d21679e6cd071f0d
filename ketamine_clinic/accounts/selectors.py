"""Reads about staff and clinics."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from .access import clinics_where
from .models import Clinic, Membership, StaffMember
from .permissions import Perm


def staff_directory(actor: StaffMember) -> QuerySet[Membership]:
    """Return the memberships at the clinics `actor` administers, active ones first."""
    clinics = clinics_where(actor, Perm.STAFF_MANAGE)
    return (
        Membership.objects.filter(clinic__in=clinics)
        .select_related("staff", "clinic")
        .annotate(authenticators=Count("staff__authenticator", distinct=True))
        .order_by("-is_active", "clinic__name", "staff__last_name", "staff__first_name")
    )


def clinic_staff(clinic: Clinic) -> QuerySet[StaffMember]:
    """Return the active staff of a clinic (for the care-team picker)."""
    return StaffMember.objects.filter(
        is_active=True, memberships__clinic=clinic, memberships__is_active=True
    ).distinct()
