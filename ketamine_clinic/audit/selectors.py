"""Searching the audit trail, within the clinics the reader may audit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from ketamine_clinic.accounts.access import clinics_where
from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm

from .actions import Action
from .models import AuditEvent, AuditEventPatient
from .reads import record_read

_MAX_ID = 2**63 - 1  # the largest primary key either database stores


@dataclass(frozen=True)
class AuditFilter:
    patient_id: int | None = None
    username: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None  # inclusive: the whole day

    def as_dict(self) -> dict[str, str]:
        return {
            k: str(v)
            for k, v in {
                "patient": self.patient_id,
                "user": self.username,
                "action": self.action,
                "since": self.since,
                "until": self.until,
            }.items()
            if v
        }


def patient_reference(actor: StaffMember, reference: str) -> int | None:
    """Turn what an auditor typed (an MRN or a patient id) into a patient id.

    An MRN is looked up first, among the patients of the clinics `actor` audits: imported MRNs
    may be all digits, and "000123" must find that patient, not patient id 123. Digits that are
    no MRN are an id; anything else gives 0, which matches no event.
    """
    from ketamine_clinic.patients.models import Patient  # patients builds on audit

    reference = reference.strip()
    if not reference:
        return None
    patient_id = (
        Patient.objects.for_actor(actor, Perm.AUDIT_VIEW)
        .filter(mrn__iexact=reference)
        .values_list("pk", flat=True)
        .first()
    )
    if patient_id is not None:
        return patient_id
    return int(reference) if reference.isdigit() else 0


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def audit_events(actor: StaffMember, filters: AuditFilter) -> QuerySet[AuditEvent]:
    """Return the events `actor` may audit that match `filters`, newest first.

    An auditor sees the events of their clinics, and the events of their organisation that
    belong to no clinic (its staff's sign-ins and API tokens, failed sign-ins naming one of its
    accounts). An event of no organisation (a failed sign-in with a made-up username, a visit
    with an unknown self-report token) is shown to no clinic's auditor: it says nothing about
    their patients, and it would show them what was typed at every other organisation; the
    operator reads those with `ketamine-clinic audit list --no-organisation`. Every event
    about a patient carries the patient's clinic. The patient filter also finds the list reads
    that named the patient among others.
    """
    clinics = clinics_where(actor, Perm.AUDIT_VIEW)
    if not clinics.exists() or actor.organization_id is None:
        return AuditEvent.objects.none()
    events = AuditEvent.objects.filter(
        Q(clinic__in=clinics)
        | Q(clinic=None, organization=actor.organization_id)
        # Events written before events carried their organisation: their actor's.
        | Q(clinic=None, patient=None, organization=None, actor__organization=actor.organization_id)
    ).select_related("patient__clinic", "clinic")
    if filters.patient_id is not None:
        if not 0 < filters.patient_id <= _MAX_ID:
            return AuditEvent.objects.none()  # no such patient (and too big for SQLite)
        named = AuditEventPatient.objects.filter(patient_id=filters.patient_id)
        events = events.filter(Q(patient_id=filters.patient_id) | Q(pk__in=named.values("event")))
    if filters.username:
        events = events.filter(actor_username__iexact=filters.username)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.since:
        events = events.filter(occurred_at__gte=_start_of(filters.since))
    if filters.until:
        events = events.filter(occurred_at__lt=_start_of(filters.until + timedelta(days=1)))
    return events.order_by("-occurred_at", "-id")


def record_trail_read(
    actor: StaffMember,
    patient_ids: Iterable[int] | QuerySet[Any],
    *,
    action: Action,
    detail: dict[str, Any],
) -> None:
    """Record that `actor` read events of the trail naming these patients.

    The trail's details hold answers and names, so reading it is a read of each patient it
    shows: one event per clinic names them (the patient filter finds it). A read that shows
    no patient is recorded once, for the reader's organisation.
    """
    from ketamine_clinic.patients.models import Patient  # patients builds on audit

    patients = Patient.objects.filter(pk__in=patient_ids).select_related("clinic")
    record_read(actor, patients, action=action, detail=detail)
