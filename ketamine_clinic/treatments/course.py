"""Over the course of treatment (issue #17): the bladder-symptom question at check-in every
`Protocol.bladder_check_every_sessions` sessions, and periodic liver tests every
`Protocol.liver_tests_every_days` days, with a reminder when one is due.

Why (reference.md §1.9, long-term use): lower urinary tract symptoms (Spravato PI §5.9; the
racemic ketamine label: ulcerative and interstitial cystitis) and drug-induced liver injury with
repeated use (racemic ketamine label). No published source gives either interval: both are the
protocol's values, shown as "clinic default".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.access import require
from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.services import record
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.plans.models import Protocol

from .models import CheckIn, LiverTest, TreatmentSession

BLADDER_KEY = "bladder_symptoms"
BLADDER_QUESTION = (
    "Since the last check: any bladder symptoms (pain passing urine, urgency, passing urine "
    "more often, blood in the urine)?"
)
INTERVAL_NOTE = "clinic default: no published interval (reference.md §1.9)"


def bladder_question_due(session: TreatmentSession) -> bool:
    """Whether this check-in asks the bladder question: at the first session, then once every
    `bladder_check_every_sessions` check-ins (sessions 1, 1 + N, 1 + 2N… of the patient)."""
    every = max(1, session.protocol.bladder_check_every_sessions)
    if every == 1:
        return True
    recent = (
        CheckIn.objects.filter(patient_id=session.patient_id)
        .exclude(session=session)
        .order_by("-recorded_at", "-pk")
        .values_list("answers", flat=True)[: every - 1]
    )
    return not any(BLADDER_KEY in answers for answers in recent)


@dataclass(frozen=True)
class LiverStatus:
    last: LiverTest | None
    every_days: int
    due_on: date  # today, when none was ever recorded
    today: date

    @property
    def due(self) -> bool:
        return self.due_on <= self.today

    @property
    def days_overdue(self) -> int:
        return max(0, (self.today - self.due_on).days)


def liver_status(patient: Patient, protocol: Protocol, today: date | None = None) -> LiverStatus:
    """The patient's latest liver test and when the next is due under the protocol."""
    today = today or timezone.localdate()
    last = LiverTest.objects.filter(patient=patient).order_by("-taken_on", "-pk").first()
    every = protocol.liver_tests_every_days
    due_on = today if last is None else last.taken_on + timedelta(days=every)
    return LiverStatus(last=last, every_days=every, due_on=due_on, today=today)


def liver_test_record(
    *, actor: StaffMember, patient: Patient, taken_on: date, result: str, detail: str = ""
) -> LiverTest:
    """Record a liver test taken outside the product (date, normal or abnormal, who)."""
    require(actor, Perm.SESSION_RECORD, patient.clinic, patient)
    errors: dict[str, str] = {}
    if taken_on > timezone.localdate():
        errors["taken_on"] = "This date is in the future."
    if result not in LiverTest.Result.values:
        errors["result"] = "Choose normal or abnormal."
    detail = (detail or "").strip()
    if len(detail) > 300:
        errors["detail"] = "At most 300 characters."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = LiverTest.objects.create(
            clinic=patient.clinic,
            patient=patient,
            taken_on=taken_on,
            result=result,
            detail=detail,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        record(
            actor=actor,
            action=Action.LIVER_TEST,
            patient=patient,
            obj=row,
            detail={"taken_on": taken_on.isoformat(), "result": result},
        )
    return row
