"""Clinic scoping for every model of patient data: `Model.objects.for_actor(actor, perm)`.

Every row of patient data carries its clinic (DESIGN.md, tenancy). A query of such rows starts
from the clinics where the reader holds a role carrying the permission the page needs; this
queryset is the one place that says how. Reads that show the rows to a person go through
`ketamine_clinic.audit.reads`, which scopes with this and audits in the same step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import models

from .access import clinics_where
from .permissions import Perm

if TYPE_CHECKING:
    from .models import StaffMember

_M = TypeVar("_M", bound=models.Model)


class ClinicScopedQuerySet(models.QuerySet[_M]):
    """A queryset of rows that carry `clinic`: scope it to what an actor may see."""

    clinic_field = "clinic"

    def for_actor(self, actor: StaffMember, perm: Perm) -> Self:
        """Return the rows at the clinics where `actor` holds a role carrying `perm`.

        Which permission: the records of a patient (chart, weights, screenings, consents,
        questionnaire responses, alerts, links) are found by `Perm.CHART_VIEW`, the right to
        open that clinic's charts: another clinic's record, or one at a clinic where the
        reader opens no charts, answers 404. What a record shows beyond that is checked at
        the patient's clinic with the content's own permission (`require`, 403 and an
        `access.denied` row): screening findings by SCREENING_VIEW, answers and alerts by
        MEASURES_VIEW. So front desk, who collects consent and must see whether a patient is
        cleared, finds consents and readiness but is refused the clinical findings. The
        ledger's records are found by `Perm.INVENTORY_VIEW`.
        """
        lookup: dict[str, Any] = {f"{self.clinic_field}__in": clinics_where(actor, perm)}
        return self.filter(**lookup)


ClinicScopedManager = models.Manager.from_queryset(ClinicScopedQuerySet)
