"""Writes of the flowsheet: vitals with their alerts, escalating symptoms, side effects,
rescue medicines, adverse events, and the outcomes documented on alerts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.access import can, require
from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.services import record
from ketamine_clinic.clinical.observations import ReadingError, check_reading
from ketamine_clinic.clinical.session_safety import (
    ESCALATING_SYMPTOMS,
    LEVEL_EMERGENCY,
    SIDE_EFFECTS,
    Baseline,
    reading_alerts,
    symptom_alerts,
)

from .models import (
    AdverseEvent,
    ReadingSet,
    RescueMedication,
    SessionAlert,
    SideEffect,
    TreatmentSession,
)
from .services import _expect, _locked, _reading_set, _text, _when, limits_for

State = TreatmentSession.State
RECORDING = (State.CHECKED_IN, State.DOSING, State.MONITORING)


def baseline_of(session: TreatmentSession) -> Baseline:
    reading = session.readings.filter(phase=ReadingSet.Phase.BASELINE).order_by("taken_at").first()
    if reading is None:
        return Baseline(moaas=session.pre_dose_moaas)
    values = {m.key: m.value for m in reading.measures.all()}
    return Baseline(
        sbp=values.get("sbp"),
        dbp=values.get("dbp"),
        hr=values.get("hr"),
        moaas=session.pre_dose_moaas,
    )


def _phase(session: TreatmentSession) -> str:
    events = list(session.administration_events.all())
    if not events:
        return ReadingSet.Phase.BASELINE
    if session.state == State.MONITORING:
        return ReadingSet.Phase.AFTER
    return ReadingSet.Phase.DURING


def vitals_record(
    *,
    actor: StaffMember,
    session: TreatmentSession,
    values: Mapping[str, Decimal | None],
    moaas: int | None = None,
    cadss6: int | None = None,
    symptoms: Sequence[str] = (),
    taken_at: datetime | None = None,
) -> tuple[ReadingSet, list[SessionAlert]]:
    """Record one reading: refused if impossible, in the future or before check-in; every limit
    crossed raises an alert, and an escalating symptom raises the highest alert at once, opens
    an adverse event, and blocks discharge until a prescriber documents the outcome."""
    require(actor, Perm.SESSION_RECORD, session.clinic, session.patient)
    _expect(session, *RECORDING, step="Recording vitals")
    errors: dict[str, str] = {}
    measures: dict[str, Decimal] = {}
    if any(v is not None for v in values.values()):
        try:
            measures = check_reading(values)
        except ReadingError as error:
            errors.update(error.errors)
    if moaas is not None and not 0 <= moaas <= 5:
        errors["moaas"] = "MOAA/S is 0 to 5."
    if cadss6 is not None and not 0 <= cadss6 <= 24:
        errors["cadss6"] = "CADSS-6 is 0 to 24."
    unknown = [s for s in symptoms if s not in ESCALATING_SYMPTOMS]
    if unknown:
        errors["symptoms"] = f"Unknown symptom {unknown[0]!r}."
    if not measures and moaas is None and cadss6 is None and not symptoms and not errors:
        errors["reading"] = "Enter at least one measure, score or symptom."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        session = _locked(session)
        _expect(session, *RECORDING, step="Recording vitals", fresh=True)
        limits = limits_for(session)
        when = _when(taken_at, session)
        reading = _reading_set(
            session,
            actor,
            _phase(session),
            when,
            measures,
            moaas=moaas,
            cadss6=cadss6,
            symptoms=list(symptoms),
        )
        found = reading_alerts(limits, measures, baseline_of(session), moaas)
        found += symptom_alerts(list(symptoms))
        alerts = [
            SessionAlert.objects.create(
                clinic_id=session.clinic_id,
                patient_id=session.patient_id,
                session=session,
                reading_set=reading,
                code=a.code,
                level=a.level,
                message=a.message,
                source=a.source,
                raised_at=when,
            )
            for a in found
        ]
        for alert in alerts:
            if alert.level == LEVEL_EMERGENCY:
                AdverseEvent.objects.create(
                    clinic=session.clinic,
                    patient=session.patient,
                    session=session,
                    alert=alert,
                    description=alert.message,
                    onset_at=when,
                    severity="severe",
                    serious=True,
                    action_taken="Emergency referral prompted; prescriber notified.",
                    recorded_by=actor,
                    recorded_at=timezone.now(),
                )
        spo2 = measures.get("spo2")
        if spo2 is not None and (session.lowest_spo2 is None or spo2 < session.lowest_spo2):
            session.lowest_spo2 = spo2
            session.save(update_fields=["lowest_spo2"])
        record(
            actor=actor,
            action=Action.SESSION_VITALS,
            patient=session.patient,
            obj=reading,
            detail={"alerts": [a.code for a in alerts], "symptoms": list(symptoms)},
        )
    return reading, alerts


def alert_outcome_record(*, actor: StaffMember, alert: SessionAlert, outcome: str) -> SessionAlert:
    """Document what was done about an alert; an escalating symptom's outcome is a prescriber's."""
    require(actor, Perm.SESSION_RECORD, alert.clinic, alert.patient)
    outcome = _text(outcome, "outcome", 500, required="Document the outcome.")
    if alert.level == LEVEL_EMERGENCY and not can(actor, Perm.SESSION_OVERRIDE, alert.clinic):
        raise ValidationError({"outcome": "Only a prescriber documents a symptom's outcome."})
    if alert.outcome_at is not None:
        raise ValidationError({"outcome": "This alert's outcome is already documented."})
    with transaction.atomic():
        alert.outcome, alert.outcome_by, alert.outcome_at = outcome, actor, timezone.now()
        alert.save(update_fields=["outcome", "outcome_by", "outcome_at"])
        record(
            actor=actor,
            action=Action.SESSION_ALERT_OUTCOME,
            patient=alert.patient,
            obj=alert,
            detail={"code": alert.code},
        )
    return alert


def side_effect_record(
    *,
    actor: StaffMember,
    session: TreatmentSession,
    code: str,
    detail: str = "",
    onset_at: datetime | None = None,
) -> SideEffect:
    """Record a side effect from the coded list ("other" needs its description)."""
    require(actor, Perm.SESSION_RECORD, session.clinic, session.patient)
    _expect(session, *RECORDING, step="Recording a side effect")
    if code not in SIDE_EFFECTS:
        raise ValidationError({"code": "Choose a side effect from the list."})
    detail = _text(detail, "detail", 300, required="Describe it." if code == "other" else "")
    with transaction.atomic():
        row = SideEffect.objects.create(
            clinic=session.clinic,
            patient=session.patient,
            session=session,
            code=code,
            detail=detail,
            onset_at=_when(onset_at, session, "onset_at"),
            recorded_by=actor,
        )
        record(
            actor=actor,
            action=Action.SESSION_SIDE_EFFECT,
            patient=session.patient,
            obj=row,
            detail={"code": code},
        )
    return row


def rescue_medication_record(
    *,
    actor: StaffMember,
    session: TreatmentSession,
    drug: str,
    dose: str,
    route: str,
    reason: str,
    given_at: datetime | None = None,
) -> RescueMedication:
    """Record a rescue medicine given (drug, dose, route, time, reason)."""
    require(actor, Perm.SESSION_RECORD, session.clinic, session.patient)
    _expect(session, *RECORDING, step="Recording a rescue medicine")
    values = {
        "drug": _text(drug, "drug", 100, required="Name the drug."),
        "dose": _text(dose, "dose", 60, required="Give the dose."),
        "route": _text(route, "route", 30, required="Give the route."),
        "reason": _text(reason, "reason", 300, required="Give the reason."),
    }
    with transaction.atomic():
        row = RescueMedication.objects.create(
            clinic=session.clinic,
            patient=session.patient,
            session=session,
            given_at=_when(given_at, session, "given_at"),
            recorded_by=actor,
            **values,
        )
        record(
            actor=actor,
            action=Action.SESSION_RESCUE_MEDICATION,
            patient=session.patient,
            obj=row,
            detail={"drug": values["drug"]},
        )
    return row


def adverse_event_record(
    *,
    actor: StaffMember,
    session: TreatmentSession,
    description: str,
    severity: str,
    serious: bool,
    onset_at: datetime | None = None,
    action_taken: str = "",
    outcome: str = "",
    relatedness: str = "",
) -> AdverseEvent:
    """Record an adverse event; a serious one stays open until a prescriber follows it up."""
    require(actor, Perm.SESSION_RECORD, session.clinic, session.patient)
    if session.state in (State.WAITING, State.CANCELLED):
        raise ValidationError({"state": "The session has not started."})
    if severity not in AdverseEvent.Severity.values:
        raise ValidationError({"severity": "Choose mild, moderate, severe or life-threatening."})
    if relatedness and relatedness not in AdverseEvent.Relatedness.values:
        raise ValidationError({"relatedness": "Choose a relatedness from the list."})
    with transaction.atomic():
        row = AdverseEvent.objects.create(
            clinic=session.clinic,
            patient=session.patient,
            session=session,
            description=_text(description, "description", 500, required="Describe the event."),
            onset_at=_when(onset_at, session, "onset_at"),
            severity=severity,
            serious=serious,
            action_taken=_text(action_taken, "action_taken", 500),
            outcome=_text(outcome, "outcome", 500),
            relatedness=relatedness,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        record(
            actor=actor,
            action=Action.SESSION_ADVERSE_EVENT,
            patient=session.patient,
            obj=row,
            detail={"severity": severity, "serious": serious},
        )
    return row


def adverse_event_follow_up(
    *, actor: StaffMember, event: AdverseEvent, note: str, outcome: str = ""
) -> AdverseEvent:
    """A prescriber closes a serious adverse event with the follow-up."""
    require(actor, Perm.SESSION_OVERRIDE, event.clinic, event.patient)
    note = _text(note, "note", 500, required="Describe the follow-up.")
    if event.followed_up_at is not None:
        raise ValidationError({"note": "Already followed up."})
    with transaction.atomic():
        event.followed_up_by, event.followed_up_at = actor, timezone.now()
        event.follow_up_note = note
        event.outcome = _text(outcome, "outcome", 500) or event.outcome
        event.save(update_fields=["followed_up_by", "followed_up_at", "follow_up_note", "outcome"])
        record(
            actor=actor,
            action=Action.SESSION_ADVERSE_EVENT_FOLLOW_UP,
            patient=event.patient,
            obj=event,
        )
    return event
