"""Clinic scoping for every model of patient data: `Model.objects.for_actor(actor, perm)`.

Every row of patient data carries its clinic (DESIGN.md, tenancy). A query of such rows starts
from the clinics where the reader holds a role carrying the permission the page needs; this
queryset is the one place that says how. Reads that show the rows to a person go through
`ketamine_clinic.audit.reads`, which scopes with this and audits in the same step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

from .access import clinics_where
from .permissions import Perm

if TYPE_CHECKING:
    from .models import StaffMember

_M = TypeVar("_M", bound=models.Model)


class ClinicScopedQuerySet(models.QuerySet[_M]):
    """A queryset of rows that carry `clinic`: scope it to what an actor may see."""

    clinic_field = "clinic"

    def for_actor(self, actor: StaffMember, perm: Perm) -> ClinicScopedQuerySet[_M]:
        """Return the rows at the clinics where `actor` holds a role carrying `perm`."""
        lookup: dict[str, Any] = {f"{self.clinic_field}__in": clinics_where(actor, perm)}
        return self.filter(**lookup)


ClinicScopedManager = models.Manager.from_queryset(ClinicScopedQuerySet)
