"""The end of a session: the witnessed waste of what was drawn and not given, the discharge
criteria, the signed note and its addenda, and the esketamine REMS monitoring form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.access import can, require
from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.services import record
from ketamine_clinic.clinical.ledger import mg_text
from ketamine_clinic.clinical.session_safety import (
    LEVEL_EMERGENCY,
    PI_MONITORING,
    Criterion,
    DischargeFacts,
    discharge_criteria,
)
from ketamine_clinic.inventory import services as ledger
from ketamine_clinic.inventory.models import LedgerEntry
from ketamine_clinic.measures import services as measures
from ketamine_clinic.plans import booking

from .flowsheet import baseline_of
from .models import (
    Addendum,
    Discharge,
    ReadingSet,
    RemsMonitoringForm,
    SessionNote,
    TreatmentSession,
)
from .services import _expect, _locked, _now, _text, limits_for, settings_for

State = TreatmentSession.State
# REMS: the Patient Monitoring Form is due within 7 days of each outpatient session (§2.5).
REMS_FORM_DAYS = 7


def administration_ended_at(session: TreatmentSession) -> datetime | None:
    if session.state in (State.WAITING, State.CHECKED_IN, State.DOSING):
        return None
    last = session.administration_events.order_by("-at", "-pk").first()
    return last.at if last else None


def minimum_monitoring(session: TreatmentSession) -> tuple[Decimal, str]:
    """The minimum monitoring after administration: ≥ 2 h for esketamine (the PI and REMS),
    the protocol's value for the others."""
    if session.is_esketamine:
        limits = limits_for(session)
        return limits.esketamine_min_monitoring_min, limits.source(
            "esketamine_min_monitoring_min"
        ) or PI_MONITORING
    return Decimal(session.protocol.min_monitoring_minutes), "protocol value"


def unaccounted_mg(session: TreatmentSession) -> Decimal:
    dose = getattr(session, "dose", None)
    return ledger.unaccounted_mg(dose.dispense) if dose is not None else Decimal(0)


@dataclass(frozen=True)
class Checklist:
    alert_and_oriented: bool = False
    nausea_controlled: bool = False
    walks_steadily: bool = False
    escort_present: bool = False
    instructions_given: bool = False


def evaluate_discharge(
    session: TreatmentSession, checklist: Checklist, at: datetime | None = None
) -> list[Criterion]:
    """Each discharge criterion for this session now (or at `at`)."""
    ended = administration_ended_at(session)
    now = at or _now()
    minimum, source = minimum_monitoring(session)
    after = session.readings.filter(phase=ReadingSet.Phase.AFTER).prefetch_related("measures")
    readings = [{m.key: m.value for m in r.measures.all()} for r in after]
    last_moaas = (
        session.readings.exclude(moaas=None)
        .order_by("-taken_at", "-pk")
        .values_list("moaas", flat=True)
        .first()
    )
    pending = [
        a.code.removeprefix("symptom_")
        for a in session.alerts.filter(level=LEVEL_EMERGENCY, outcome_at=None)
    ]
    facts = DischargeFacts(
        minutes_monitored=None
        if ended is None
        else Decimal(int((now - ended).total_seconds() // 60)),
        minimum_minutes=minimum,
        minimum_source=source,
        baseline=baseline_of(session),
        last_readings=readings,
        last_moaas=last_moaas,
        walks_steadily_required=settings_for(session.clinic_id).walks_steadily_required,
        symptoms_awaiting_prescriber=pending,
        **checklist.__dict__,
    )
    criteria = discharge_criteria(limits_for(session), facts)
    left = unaccounted_mg(session)
    criteria.append(
        Criterion(
            "drug_accounted",
            "Every milligram drawn is given or wasted (witnessed)",
            left <= 0,
            f"{mg_text(left)} mg unaccounted" if left > 0 else "",
            "21 CFR 1304.22(c) (reference.md §5)",
        )
    )
    return criteria


def waste_remainder(
    *,
    actor: StaffMember,
    session: TreatmentSession,
    signature: str,
    witness: StaffMember,
    witness_signature: str,
    quantity_mg: Decimal | None = None,
    reason: str = "remainder of the session's dose",
) -> LedgerEntry:
    """Record the witnessed waste of what was drawn and not given (the ledger's waste)."""
    require(actor, Perm.SESSION_RECORD, session.clinic, session.patient)
    dose = getattr(session, "dose", None)
    if dose is None:
        raise ValidationError({"state": "No dose was drawn."})
    left = ledger.unaccounted_mg(dose.dispense)
    if left <= 0:
        raise ValidationError({"quantity_mg": "Nothing of this dose is unaccounted for."})
    entry = ledger.waste_record(
        actor=actor,
        signature=signature,
        dispense=dose.dispense,
        quantity_mg=quantity_mg if quantity_mg is not None else left,
        witness=witness,
        witness_signature=witness_signature,
        reason=reason,
    )
    return entry


def discharge_record(
    *,
    actor: StaffMember,
    session: TreatmentSession,
    checklist: Checklist,
    override_reason: str = "",
    ready_to_leave_at: datetime | None = None,
) -> Discharge:
    """Discharge the patient when every criterion is met, or with a prescriber's override and
    its reason. Never with milligrams unaccounted for."""
    require(actor, Perm.SESSION_RECORD, session.clinic, session.patient)
    override_reason = _text(override_reason, "override_reason", 500)
    with transaction.atomic():
        session = _locked(session)
        _expect(session, State.MONITORING, step="Discharge")
        criteria = evaluate_discharge(session, checklist)
        unmet = [c for c in criteria if not c.met]
        if any(c.key == "drug_accounted" for c in unmet):
            raise ValidationError(
                {"drug_accounted": "Record the witnessed waste of the remainder first."}
            )
        if unmet and not override_reason:
            raise ValidationError(
                {
                    c.key: f"Not met: {c.label}" + (f" ({c.detail})" if c.detail else "")
                    for c in unmet
                }
            )
        if unmet and not can(actor, Perm.SESSION_OVERRIDE, session.clinic):
            raise ValidationError({"override_reason": "Only a prescriber may override discharge."})
        now = _now()
        row = Discharge.objects.create(
            clinic=session.clinic,
            patient=session.patient,
            session=session,
            discharged_at=now,
            discharged_by=actor,
            criteria=[c.__dict__ for c in criteria],
            override_by=actor if unmet else None,
            override_reason=override_reason if unmet else "",
            ready_to_leave_at=ready_to_leave_at,
        )
        session.state = State.DISCHARGED
        session.save(update_fields=["state"])
        if session.planned_session is not None:
            booking.session_set_status(
                actor=actor,
                session=session.planned_session,
                status="completed",
                dose_mg_given=ledger.given_mg(session.dose.dispense),
            )
        if session.is_esketamine:
            RemsMonitoringForm.objects.create(
                clinic=session.clinic,
                patient=session.patient,
                session=session,
                due_on=timezone.localdate(now) + timedelta(days=REMS_FORM_DAYS),
            )
        measures.treatment_event_recorded(
            actor=actor,
            patient=session.patient,
            kind="session_completed",
            at=now,
            event_ref=f"session-{session.pk}",
        )
        record(
            actor=actor,
            action=Action.SESSION_DISCHARGE,
            patient=session.patient,
            obj=row,
            detail={"unmet": [c.key for c in unmet], "override": bool(unmet)},
        )
    return row


def draft_summary(session: TreatmentSession) -> str:
    """A structured summary of the record, for the note."""
    lines = [
        f"Session {session.pk}: {session.protocol.name} v{session.protocol.version} "
        f"({session.route}), chair {session.chair.name}.",
    ]
    dose = getattr(session, "dose", None)
    if dose is not None:
        lines.append(
            f"Dose {dose.dose_mg} mg (prepared by {dose.prepared_by.display_name}, verified by "
            f"{dose.verified_by.display_name if dose.verified_by else '—'})"
            + (
                f"; sign-off {dose.sign_off_by.display_name}: {dose.sign_off_note}"
                if dose.sign_off_by
                else ""
            )
            + "."
        )
        given = ledger.given_mg(dose.dispense)
        if given != dose.dose_mg:
            lines.append(
                f"Given {mg_text(given)} mg of {mg_text(dose.dose_mg)} mg (stopped early)."
            )
    for event in session.administration_events.all():
        lines.append(
            f"{event.at:%H:%M} {event.get_kind_display()}"
            + (f" {event.rate_ml_per_h} mL/h" if event.rate_ml_per_h else "")
        )
    base = baseline_of(session)
    lines.append(f"Baseline BP {base.sbp}/{base.dbp}, HR {base.hr}, MOAA/S {base.moaas}.")
    if session.continuous_oximetry:
        lines.append(f"Continuous pulse oximetry; lowest SpO2 {session.lowest_spo2}%.")
    for alert in session.alerts.all():
        lines.append(
            f"Alert ({alert.level}) {alert.raised_at:%H:%M}: {alert.message}"
            + (f" Outcome: {alert.outcome}" if alert.outcome else "")
        )
    for effect in session.side_effects.all():
        lines.append(f"Side effect: {effect.code} {effect.detail}".rstrip())
    for med in session.rescue_medications.all():
        lines.append(
            f"Rescue: {med.drug} {med.dose} {med.route} at {med.given_at:%H:%M} ({med.reason})"
        )
    for ae in session.adverse_events.all():
        lines.append(
            f"Adverse event ({ae.severity}{', serious' if ae.serious else ''}): {ae.description}"
        )
    discharge = getattr(session, "discharge", None)
    if discharge is not None:
        lines.append(
            f"Discharged {discharge.discharged_at:%H:%M} by "
            f"{discharge.discharged_by.display_name}"
            + (
                f"; override: {discharge.override_reason}"
                if discharge.override_by
                else "; all criteria met"
            )
            + "."
        )
    return "\n".join(lines)


def note_sign(*, actor: StaffMember, session: TreatmentSession, text: str = "") -> SessionNote:
    """Sign the session's note (the drafted summary plus the clinician's text): it is locked."""
    require(actor, Perm.SESSION_RECORD, session.clinic, session.patient)
    text = _text(text, "text", 8000)
    with transaction.atomic():
        session = _locked(session)
        if session.state == State.SIGNED:
            raise ValidationError({"state": "The note is signed: add an addendum instead."})
        _expect(session, State.DISCHARGED, State.STOPPED, step="Signing the note")
        if unaccounted_mg(session) > 0:
            raise ValidationError({"drug_accounted": "Milligrams drawn are unaccounted for."})
        note = SessionNote.objects.create(
            clinic=session.clinic,
            patient=session.patient,
            session=session,
            summary=draft_summary(session),
            text=text,
            signed_by=actor,
            signed_at=_now(),
        )
        session.state = State.SIGNED
        session.save(update_fields=["state"])
        record(actor=actor, action=Action.SESSION_SIGN, patient=session.patient, obj=note)
    return note


def addendum_add(*, actor: StaffMember, session: TreatmentSession, text: str) -> Addendum:
    """Add an addendum to a signed note (the only way to correct it)."""
    require(actor, Perm.SESSION_RECORD, session.clinic, session.patient)
    text = _text(text, "text", 4000, required="Write the addendum.")
    note = SessionNote.objects.filter(session=session).first()
    if note is None:
        raise ValidationError({"state": "The note is not signed yet: edit it before signing."})
    with transaction.atomic():
        row = Addendum.objects.create(
            clinic=session.clinic,
            patient=session.patient,
            note=note,
            text=text,
            written_by=actor,
            written_at=_now(),
        )
        record(actor=actor, action=Action.SESSION_ADDENDUM, patient=session.patient, obj=row)
    return row


def rems_form_mark_sent(
    *, actor: StaffMember, form: RemsMonitoringForm, sent_on: date
) -> RemsMonitoringForm:
    """Mark the REMS Patient Monitoring Form sent (date, by whom)."""
    require(actor, Perm.SESSION_RECORD, form.clinic, form.patient)
    if sent_on > timezone.localdate(_now()):
        raise ValidationError({"sent_on": "This date is in the future."})
    if form.sent_on is not None:
        raise ValidationError({"sent_on": "Already marked sent."})
    with transaction.atomic():
        form.sent_on, form.sent_by = sent_on, actor
        form.save(update_fields=["sent_on", "sent_by"])
        record(actor=actor, action=Action.REMS_FORM_SENT, patient=form.patient, obj=form)
    return form
