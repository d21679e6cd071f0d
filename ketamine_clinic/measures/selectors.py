"""Reads of measurement-based care: worklist, alerts, score histories."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from ketamine_clinic.accounts.access import can, clinics_where, require
from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.reads import record_list_read
from ketamine_clinic.audit.services import record
from ketamine_clinic.clinical import outcomes
from ketamine_clinic.clinical.instruments import INSTRUMENTS, Instrument
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.selectors import ChartAlert

from . import trajectories
from .models import (
    Assessment,
    LicensedItemTexts,
    MeasureDue,
    MeasureSchedule,
    SafetyAlert,
    SelfReportLink,
)


def open_alerts_for_chart(patient: Patient, viewer: StaffMember | None) -> list[ChartAlert]:
    """The chart header's alerts: every open safety alert of the patient.

    Everyone who opens the chart learns that an alert is open (front desk should know before
    the patient leaves or calls); only clinicians see what raised it.
    """
    detailed = viewer is not None and can(viewer, Perm.MEASURES_VIEW, patient.clinic)
    return [
        ChartAlert(
            "danger",
            f"Safety alert: {alert.reason} "
            f"({timezone.localtime(alert.opened_at):%Y-%m-%d %H:%M %Z})"
            if detailed
            else "Open safety alert: a prescriber must review it; tell the clinical team if "
            "the patient is here or calls.",
        )
        for alert in patient.safety_alerts.filter(acknowledged_at=None)
    ]


def open_safety_alerts(actor: StaffMember) -> QuerySet[SafetyAlert]:
    """Open alerts of the clinics where `actor` may see measures, oldest first (not audited:
    for counts; a page shows them through `alerts_shown`)."""
    return (
        SafetyAlert.objects.for_actor(actor, Perm.MEASURES_VIEW)
        .filter(acknowledged_at=None)
        .select_related("patient", "assessment", "clinic")
        .order_by("opened_at")
    )


def safety_alerts(actor: StaffMember, *, open_only: bool = False) -> QuerySet[SafetyAlert]:
    alerts = SafetyAlert.objects.for_actor(actor, Perm.MEASURES_VIEW).select_related(
        "patient", "assessment", "acknowledged_by", "clinic"
    )
    return alerts.filter(acknowledged_at=None) if open_only else alerts


def alerts_shown(actor: StaffMember, alerts: QuerySet[SafetyAlert], via: str) -> list[SafetyAlert]:
    """Return the alerts as a list, and record one read per clinic naming their patients.

    An alert's reason names a suicidality answer: listing it (worklist, API) is a read of
    patient data.
    """
    shown = list(alerts)
    record_list_read(
        actor, shown, action=Action.CHART_VIEW, detail={"via": via, "alerts": [a.pk for a in shown]}
    )
    return shown


def patient_assessments(actor: StaffMember, patient: Patient) -> QuerySet[Assessment]:
    """Every response of a (visible) patient, newest first, with its answers; the read is
    audited (AccessDenied without the right to see measures)."""
    require(actor, Perm.MEASURES_VIEW, patient.clinic, patient)
    record(
        actor=actor,
        action=Action.CHART_VIEW,
        patient=patient,
        obj=patient,
        detail={"via": "assessments"},
    )
    return patient.assessments.prefetch_related("answers").select_related("safety_alert")


@dataclass(frozen=True)
class DueQuestionnaire:
    patient: Patient
    instrument: Instrument
    due_on: date
    reason: str
    overdue: bool


def _due_row(
    patient: Patient, rule: MeasureSchedule, due_on: date, reason: str, today: date
) -> DueQuestionnaire:
    return DueQuestionnaire(
        patient=patient,
        instrument=INSTRUMENTS[rule.instrument_id],
        due_on=due_on,
        reason=reason,
        overdue=due_on + timedelta(days=rule.overdue_after_days) < today,
    )


def due_questionnaires_shown(actor: StaffMember) -> list[DueQuestionnaire]:
    """The questionnaires due, for a page that shows them: one read per clinic names the
    patients."""
    rows = due_questionnaires(actor)
    record_list_read(actor, rows, action=Action.CHART_VIEW, detail={"via": "questionnaires due"})
    return rows


def due_questionnaires(actor: StaffMember, today: date | None = None) -> list[DueQuestionnaire]:
    """Questionnaires due now (or overdue) for the patients of `actor`'s clinics (not audited:
    for counts; a page shows them through `due_questionnaires_shown`).

    Baseline: due from registration until the instrument has a complete response.
    Every N days: due N days after the latest complete response (or at registration).
    Before / the day after a session: due items made by `treatment_event_recorded`.
    """
    today = today or timezone.localdate()
    clinics = clinics_where(actor, Perm.CHART_VIEW)
    rows: list[DueQuestionnaire] = []
    rules = MeasureSchedule.objects.filter(clinic__in=clinics, active=True).select_related("clinic")
    for rule in rules.exclude(
        trigger__in=[
            MeasureSchedule.Trigger.BEFORE_SESSION,
            MeasureSchedule.Trigger.DAY_AFTER_SESSION,
        ]
    ):
        patients = (
            Patient.objects.filter(clinic=rule.clinic)
            .select_related("clinic")
            .annotate(
                last_done=Max(
                    "assessments__administered_at",
                    filter=Q(
                        assessments__instrument_id=rule.instrument_id,
                        assessments__status=Assessment.Status.COMPLETE,
                    ),
                )
            )
        )
        if rule.trigger == MeasureSchedule.Trigger.BASELINE:
            patients = patients.filter(last_done=None)
        else:
            # Due once the local date of the last response (or of registration) is N days
            # back: that moment is before the start of day (today - N + 1), local time.
            cutoff = timezone.make_aware(
                datetime.combine(today - timedelta(days=(rule.interval_days or 0) - 1), time.min)
            )
            patients = patients.filter(
                Q(last_done__lt=cutoff) | Q(last_done=None, created_at__lt=cutoff)
            )
        for patient in patients:
            registered = timezone.localtime(patient.created_at).date()
            if rule.trigger == MeasureSchedule.Trigger.BASELINE:
                if patient.last_done is None:
                    rows.append(_due_row(patient, rule, registered, "baseline", today))
            else:
                last: datetime | None = patient.last_done
                start = timezone.localtime(last).date() if last else registered
                due_on = start + timedelta(days=rule.interval_days or 0)
                if due_on <= today:
                    rows.append(
                        _due_row(patient, rule, due_on, f"every {rule.interval_days} days", today)
                    )
    for due in (
        MeasureDue.objects.for_actor(actor, Perm.CHART_VIEW)
        .filter(satisfied_by=None, due_on__lte=today)
        .select_related("patient__clinic", "schedule")
    ):
        rows.append(_due_row(due.patient, due.schedule, due.due_on, due.reason, today))
    return sorted(rows, key=lambda r: (not r.overdue, r.due_on, r.patient.legal_family_name))


@dataclass(frozen=True)
class WorklistItem:
    """One row another capability adds to the worklist (e.g. a booster due)."""

    section: str  # the heading it is listed under
    patient: Patient
    what: str
    url: str


# Later capabilities (treatment plans) add a provider of worklist rows for a reader.
WORKLIST_PROVIDERS: list[Callable[[StaffMember], list[WorklistItem]]] = []


# Where capabilities register their treatment times (see `trajectories`).
TREATMENT_TIMES_PROVIDERS = trajectories.TREATMENT_TIMES_PROVIDERS


def worklist_items(actor: StaffMember) -> list[WorklistItem]:
    return [item for provider in WORKLIST_PROVIDERS for item in provider(actor)]


def treatment_times(patient: Patient) -> list[datetime]:
    """Return the patient's treatment times, oldest first (the providers' union)."""
    return trajectories.treatment_times(patient.pk)


@dataclass(frozen=True)
class InstrumentHistory:
    instrument: Instrument
    points: list[tuple[datetime, int]]  # complete responses with a total, oldest first
    trajectory: outcomes.Trajectory


def score_histories(patient: Patient) -> list[InstrumentHistory]:
    """Each instrument's totals over time, with baseline, change, response and remission (the
    outcomes computed by the database, `trajectories.outcome_rows`): two queries."""
    found = trajectories.outcomes_of(patient.assessments.all())
    by_instrument: dict[str, list[tuple[datetime, int]]] = {}
    complete = patient.assessments.filter(
        status=Assessment.Status.COMPLETE, total__isnull=False
    ).order_by("administered_at", "pk")
    rows = complete.values_list("administered_at", "instrument_id", "total")
    for at, instrument_id, total in rows:
        by_instrument.setdefault(instrument_id, []).append((at, total or 0))
    return [
        InstrumentHistory(
            instrument=instrument,
            points=by_instrument[instrument_id],
            trajectory=found[(patient.pk, instrument_id)].trajectory,
        )
        for instrument_id, instrument in INSTRUMENTS.items()
        if (patient.pk, instrument_id) in found and instrument_id in by_instrument
    ]


def licensed_texts(clinic_id: int, instrument_id: str) -> dict[int, str]:
    """The item texts a clinic entered under its licence for a copyrighted instrument."""
    row = LicensedItemTexts.objects.filter(clinic_id=clinic_id, instrument_id=instrument_id).first()
    return {int(n): text for n, text in row.texts.items()} if row else {}


def self_report_links(patient: Patient) -> QuerySet[SelfReportLink]:
    return patient.self_report_links.select_related("created_by").prefetch_related("assessments")
