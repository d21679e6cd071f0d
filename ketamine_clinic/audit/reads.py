"""The one reading path for patient data shown to a person: scoped and audited together.

A page or an API operation that shows patient data calls `read_one` (one record) or
`read_many` (a list), never a bare queryset: the rows come from the clinics where the reader
holds the permission, and the read is recorded in the same call, with the patient on the row,
so that a new page cannot do one without the other.

- Another clinic's record answers 404 exactly like a record that does not exist; reaching for
  one that exists elsewhere is recorded as a refusal for that record's clinic.
- A list that shows many patients records one event per clinic naming all of them
  (`detail["patients"]`, and one `AuditEventPatient` row each, which the trail's patient
  filter finds), not one event each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist
from django.db import models
from django.http import Http404

from ketamine_clinic.accounts.access import clinics_where
from ketamine_clinic.accounts.scoping import ClinicScopedQuerySet

from .actions import Action
from .services import record

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import Clinic, StaffMember
    from ketamine_clinic.accounts.permissions import Perm

_M = TypeVar("_M", bound=models.Model)


def _patient_of(obj: Any) -> Any:
    """Return the patient a record (or a row of a page) belongs to (a Patient: itself), or None."""
    meta = getattr(obj, "_meta", None)
    if meta is not None and meta.label == "patients.Patient":
        return obj
    return getattr(obj, "patient", None)


def scoped(actor: StaffMember, perm: Perm, queryset: models.QuerySet[_M]) -> models.QuerySet[_M]:
    """Return `queryset` limited to the clinics where `actor` holds `perm` (not audited).

    For writes and for checks that show nothing; a read shown to a person uses `read_one` or
    `read_many`.
    """
    if isinstance(queryset, ClinicScopedQuerySet):
        return queryset.for_actor(actor, perm)
    return queryset.filter(clinic__in=clinics_where(actor, perm))


def find_one(actor: StaffMember, perm: Perm, queryset: models.QuerySet[_M], **lookup: Any) -> _M:
    """Return the one visible record matching `lookup`, or 404; not audited (a write follows).

    A record that exists in a clinic the actor may not see answers the same 404, and the attempt
    is recorded for that clinic.
    """
    try:
        return scoped(actor, perm, queryset).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, OverflowError) as error:
        try:
            elsewhere = queryset.model._default_manager.filter(**lookup).first()
        except (ValueError, TypeError, OverflowError):
            elsewhere = None
        if elsewhere is not None:
            record(
                actor=actor,
                action=Action.PERMISSION_DENIED,
                clinic=getattr(elsewhere, "clinic", None),
                patient=_patient_of(elsewhere),
                detail={
                    "reason": "record outside the actor's clinics",
                    "permission": perm.value,
                    "object_type": elsewhere._meta.model_name,
                },
            )
        raise Http404("No such record.") from error
    except MultipleObjectsReturned as error:  # a lookup that is not unique
        raise Http404("No such record.") from error


def read_one(
    actor: StaffMember,
    perm: Perm,
    queryset: models.QuerySet[_M],
    *,
    action: Action,
    detail: Mapping[str, Any] | None = None,
    **lookup: Any,
) -> _M:
    """Return the one visible record matching `lookup` and record that `actor` read it."""
    obj = find_one(actor, perm, queryset, **lookup)
    record(
        actor=actor,
        action=action,
        clinic=getattr(obj, "clinic", None),
        patient=_patient_of(obj),
        obj=obj,
        detail=detail,
    )
    return obj


def _patients_by_clinic(rows: Iterable[Any], clinics: Iterable[Clinic]) -> dict[Any, list[int]]:
    by_clinic: dict[Any, set[int]] = {clinic: set() for clinic in clinics}
    for row in rows:
        patient = _patient_of(row)
        if patient is not None:
            by_clinic.setdefault(patient.clinic, set()).add(patient.pk)
    return {clinic: sorted(ids) for clinic, ids in by_clinic.items()}


def record_list_read(
    actor: StaffMember,
    rows: Iterable[Any],
    *,
    action: Action,
    detail: Mapping[str, Any] | None = None,
    clinics: Iterable[Clinic] = (),
) -> None:
    """Record one read event per clinic naming every patient among `rows` (already scoped).

    A row is a record with a `patient` (or a Patient, or any object with a `patient`, such as
    a worklist line). Nothing is recorded for a clinic whose rows name no patient, unless it
    is among `clinics` (the clinics the page read: a search that found nobody is still a
    search of them).
    """
    for clinic, ids in _patients_by_clinic(rows, clinics).items():
        record(
            actor=actor,
            action=action,
            clinic=clinic,
            patient=None,
            detail={**(detail or {}), "patients": ids},
            patients=ids,
        )


def record_read(
    actor: StaffMember,
    rows: Iterable[Any],
    *,
    action: Action,
    detail: Mapping[str, Any] | None = None,
    clinic: Clinic | None = None,
    obj: models.Model | None = None,
) -> None:
    """Record the read of a page that may show patients among other things (a ledger page, a
    report, the audit trail): one event per clinic naming the patients among `rows`, or,
    when it shows none, one event (at `clinic`, about `obj`)."""
    by_clinic = _patients_by_clinic(rows, ())
    if not by_clinic:
        record(actor=actor, action=action, clinic=clinic, obj=obj, detail=detail)
    for at, ids in by_clinic.items():
        record(
            actor=actor,
            action=action,
            clinic=at,
            obj=obj,
            detail={**(detail or {}), "patients": ids},
            patients=ids,
        )


def read_many(
    actor: StaffMember,
    perm: Perm,
    queryset: models.QuerySet[_M],
    *,
    action: Action,
    detail: Mapping[str, Any] | None = None,
    window: slice | None = None,
) -> list[_M]:
    """Return the visible rows of `queryset` as a list and record one read naming their patients.

    `window` (e.g. `slice(0, 25)`) limits the rows to one page: what is returned is what is
    audited. A page paginated with Django's Paginator uses `scoped` for the queryset and
    `record_list_read` for the page's rows instead.
    """
    rows_qs = scoped(actor, perm, queryset)
    rows = list(rows_qs[window] if window is not None else rows_qs)
    record_list_read(actor, rows, action=action, detail=detail)
    return rows
