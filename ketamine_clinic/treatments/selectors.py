"""Reads of treatment sessions: one whole record (audited), the day's sessions (audited list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.reads import find_one, read_many, read_one
from ketamine_clinic.clinical.session_safety import next_reading_due
from ketamine_clinic.inventory import services as ledger

from . import services
from .closing import (
    Checklist,
    evaluate_discharge,
    minimum_monitoring,
    unaccounted_mg,
)
from .models import AdministrationEvent, ReadingSet, RemsMonitoringForm, TreatmentSession
from .services import limits_for

_RELATED = ("patient", "protocol", "chair__room", "planned_session")


def session_open(actor: StaffMember, session_id: int) -> TreatmentSession:
    """The session, for a person to see (404 unless visible; audited)."""
    return read_one(
        actor,
        Perm.SESSION_VIEW,
        TreatmentSession.objects.select_related(*_RELATED),
        action=Action.SESSION_VIEW,
        pk=session_id,
    )


def session_for_document(actor: StaffMember, session_id: int, document: str) -> TreatmentSession:
    """The session, to print (404 unless visible; audited as a PDF read naming the document)."""
    return read_one(
        actor,
        Perm.SESSION_VIEW,
        TreatmentSession.objects.select_related(*_RELATED),
        action=Action.SESSION_PDF,
        detail={"document": document},
        pk=session_id,
    )


def session_for(actor: StaffMember, session_id: int) -> TreatmentSession:
    """The session, for a write (404 unless visible; not audited: the write is)."""
    return find_one(
        actor,
        Perm.SESSION_RECORD,
        TreatmentSession.objects.select_related(*_RELATED),
        pk=session_id,
    )


def _events(session: TreatmentSession) -> list[Any]:
    """The administration events in time order (from the prefetch when there is one)."""
    return sorted(session.administration_events.all(), key=lambda e: (e.at, e.pk))


def _ended_at(session: TreatmentSession, events: list[Any]) -> datetime | None:
    """As closing.administration_ended_at, from the events already read."""
    if session.state in (
        TreatmentSession.State.WAITING,
        TreatmentSession.State.CHECKED_IN,
        TreatmentSession.State.DOSING,
    ):
        return None
    return events[-1].at if events else None


def display_state(session: TreatmentSession, now: datetime | None = None) -> str:
    """The state as the nurse sees it: monitoring becomes "ready for discharge" once the
    minimum time is up (the discharge criterion "monitoring_time"; the bedside checklist still
    decides)."""
    if session.state != TreatmentSession.State.MONITORING:
        return session.get_state_display()
    ended = _ended_at(session, _events(session))
    minimum, _ = minimum_monitoring(session)
    if ended is not None:
        minutes = int(((now or services._now()) - ended).total_seconds() // 60)
        if minutes >= minimum:
            return TreatmentSession.State.READY.label
    return session.get_state_display()


def next_vitals_due(session: TreatmentSession) -> datetime | None:
    if session.state not in (TreatmentSession.State.DOSING, TreatmentSession.State.MONITORING):
        return None
    events = _events(session)
    if not events:
        return None
    taken = [r.taken_at for r in session.readings.all() if r.phase != ReadingSet.Phase.BASELINE]
    return next_reading_due(
        limits_for(session),
        last_reading_at=max(taken) if taken else None,
        administration_started_at=events[0].at,
        administration_ended_at=_ended_at(session, events),
    )


def today_sessions(actor: StaffMember, day: date | None = None) -> list[TreatmentSession]:
    """The day's sessions at the actor's clinics, in time order (one audited list read), with
    what the Today screen shows of each read in a few queries for the whole day."""
    day = day or timezone.localdate()
    qs: QuerySet[TreatmentSession] = (
        TreatmentSession.objects.filter(scheduled_at__date=day)
        .select_related("clinic", "patient__clinic", *_RELATED)
        .prefetch_related(
            "administration_events",
            "alerts",
            Prefetch(
                "readings", queryset=ReadingSet.objects.only("session_id", "phase", "taken_at")
            ),
        )
        .order_by("scheduled_at", "pk")
    )
    return read_many(
        actor, Perm.SESSION_VIEW, qs, action=Action.SESSION_LIST, detail={"day": day.isoformat()}
    )


def session_data(session: TreatmentSession) -> dict[str, Any]:
    """The whole record as data (the API's answer; the pages read the same)."""
    dose = getattr(session, "dose", None)
    readings = session.readings.prefetch_related("measures").order_by("taken_at", "pk")
    return {
        "id": session.pk,
        "patient_id": session.patient_id,
        "state": session.state,
        "display_state": display_state(session),
        "route": session.route,
        "protocol": f"{session.protocol.name} v{session.protocol.version}",
        "chair": session.chair.name,
        "room": session.chair.room.name,
        "scheduled_at": session.scheduled_at,
        "planned_session_id": session.planned_session_id,
        "walk_in_reason": session.walk_in_reason,
        "checked_in_at": session.checked_in_at,
        "bp_gate": {
            "level": session.bp_gate_level,
            "decision_by": session.bp_decision_by.username if session.bp_decision_by else None,
            "reason": session.bp_decision_reason,
            "emergency": session.bp_emergency,
        },
        "pre_dose_moaas": session.pre_dose_moaas,
        "continuous_oximetry": session.continuous_oximetry,
        "lowest_spo2": session.lowest_spo2,
        "dose": None
        if dose is None
        else {
            "dose_mg": dose.dose_mg,
            "prescribed_mg": dose.prescribed_mg,
            "drawn_mg": dose.drawn_mg,
            "concentration_mg_per_ml": dose.concentration_mg_per_ml,
            "drug_volume_ml": dose.drug_volume_ml,
            "bag_ml": dose.bag_ml,
            "total_volume_ml": dose.total_volume_ml,
            "rate_ml_per_h": dose.rate_ml_per_h,
            "minutes": dose.minutes,
            "devices": dose.devices,
            "steps": dose.steps,
            "container": dose.container.label,
            "ledger_entry": dose.dispense_id,
            "given_mg": ledger.given_mg(dose.dispense),
            "unaccounted_mg": unaccounted_mg(session),
            "prepared_by": dose.prepared_by.username,
            "verified_by": dose.verified_by.username if dose.verified_by else None,
            "sign_off_reasons": dose.sign_off_reasons,
            "sign_off_by": dose.sign_off_by.username if dose.sign_off_by else None,
        },
        "administration": [
            {
                "kind": e.kind,
                "at": e.at,
                "rate_ml_per_h": e.rate_ml_per_h,
                "device_number": e.device_number,
            }
            for e in session.administration_events.all()
        ],
        "readings": [
            {
                "id": r.pk,
                "phase": r.phase,
                "taken_at": r.taken_at,
                "moaas": r.moaas,
                "cadss6": r.cadss6,
                "symptoms": r.symptoms,
                "observations": [
                    {"key": m.key, "loinc": m.loinc, "unit": m.unit, "value": m.value}
                    for m in r.measures.all()
                ],
            }
            for r in readings
        ],
        "alerts": [
            {
                "id": a.pk,
                "code": a.code,
                "level": a.level,
                "message": a.message,
                "source": a.source,
                "raised_at": a.raised_at,
                "outcome": a.outcome,
            }
            for a in session.alerts.all()
        ],
        "side_effects": [
            {"code": s.code, "detail": s.detail, "onset_at": s.onset_at}
            for s in session.side_effects.all()
        ],
        "rescue_medications": [
            {
                "drug": m.drug,
                "dose": m.dose,
                "route": m.route,
                "given_at": m.given_at,
                "reason": m.reason,
            }
            for m in session.rescue_medications.all()
        ],
        "adverse_events": [
            {
                "id": a.pk,
                "description": a.description,
                "severity": a.severity,
                "serious": a.serious,
                "open": a.is_open,
                "outcome": a.outcome,
            }
            for a in session.adverse_events.all()
        ],
        "next_vitals_due": next_vitals_due(session),
        "discharge_criteria": [c.__dict__ for c in evaluate_discharge(session, Checklist())]
        if session.state == TreatmentSession.State.MONITORING
        else None,
        "discharged_at": session.discharge.discharged_at if hasattr(session, "discharge") else None,
        "note": None
        if not hasattr(session, "note")
        else {
            "summary": session.note.summary,
            "text": session.note.text,
            "signed_by": session.note.signed_by.username,
            "signed_at": session.note.signed_at,
            "addenda": [
                {"text": a.text, "by": a.written_by.username, "at": a.written_at}
                for a in session.note.addenda.all()
            ],
        },
    }


@dataclass(frozen=True)
class RemsRow:
    form: RemsMonitoringForm
    overdue: bool
    days_left: int

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)


def rems_worklist(actor: StaffMember, today: date | None = None) -> list[RemsRow]:
    """The esketamine Patient Monitoring Forms not yet sent (due within 7 days of the session,
    reference.md §2.5), oldest first; overdue once past the due date (one audited list read)."""
    today = today or timezone.localdate()
    qs: QuerySet[RemsMonitoringForm] = (
        RemsMonitoringForm.objects.filter(sent_on=None)
        .select_related("patient", "session__protocol")
        .order_by("due_on", "pk")
    )
    forms = read_many(
        actor, Perm.SESSION_VIEW, qs, action=Action.SESSION_LIST, detail={"list": "rems_forms"}
    )
    return [RemsRow(f, f.due_on < today, (f.due_on - today).days) for f in forms]


def administration_starts() -> QuerySet[TreatmentSession]:
    """Return the sessions where a dose was given, each with its treatment time `treated_at`:
    the administration's start (the first start, or the first esketamine device).

    Registered as a treatment-times provider: the score charts mark these times, and a
    baseline score is one taken at or before the first of them (a pre-dose questionnaire done
    at check-in counts as a baseline).
    """
    start = (
        AdministrationEvent.objects.filter(
            session=OuterRef("pk"),
            kind__in=[AdministrationEvent.Kind.START, AdministrationEvent.Kind.DEVICE],
        )
        .order_by("at")
        .values("at")[:1]
    )
    return TreatmentSession.objects.annotate(treated_at=Subquery(start)).filter(
        treated_at__isnull=False
    )
