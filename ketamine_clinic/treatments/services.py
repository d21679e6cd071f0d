"""Writes of a treatment session, up to the administration: booking, the room's readiness,
check-in with its gates, the BP decision, the dose (drawn from the ledger), its verification,
sign-off and the administration events.

Every safety rule is enforced here, so that no page or API call can skip it. One business
action = one function = one transaction = one audit row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.access import can, require
from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.services import record
from ketamine_clinic.clinical import dosing
from ketamine_clinic.clinical.ledger import mg_text
from ketamine_clinic.clinical.observations import VITAL_SIGNS, ReadingError, check_reading
from ketamine_clinic.clinical.pump import Delivery
from ketamine_clinic.clinical.session_safety import (
    GATE_STOP,
    LEVEL_WARNING,
    MEDICATION_FLAGS,
    LimitsError,
    SessionLimits,
    bp_gate,
)
from ketamine_clinic.inventory import services as ledger
from ketamine_clinic.inventory.models import Container
from ketamine_clinic.measures import services as measures
from ketamine_clinic.measures.models import Assessment, SafetyAlert
from ketamine_clinic.patients import services as patient_services
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.plans import booking
from ketamine_clinic.plans.models import Chair, PlannedSession, Protocol, Room, TreatmentPlan
from ketamine_clinic.screening.services import treatment_readiness

from . import course, given
from .models import (
    AdministrationEvent,
    CheckIn,
    DoseAdministration,
    PdmpCheck,
    ReadingSet,
    RemsEnrolment,
    RoomReadinessCheck,
    SessionAlert,
    TreatmentSession,
    TreatmentSettings,
    VitalSignReading,
)

State = TreatmentSession.State
ESKETAMINE = "intranasal"
BASELINE_KEYS = ("sbp", "dbp", "hr", "spo2", "rr", "temperature")


def _now() -> datetime:
    return timezone.now()


def _text(value: str | None, field: str, max_length: int, *, required: str = "") -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: required})
    if len(text) > max_length:
        raise ValidationError({field: f"At most {max_length} characters."})
    return text


def limits_for(session: TreatmentSession) -> SessionLimits:
    """The protocol's limits (its overrides checked; a protocol that holds a bad one refuses
    the step rather than running on a guess)."""
    try:
        return SessionLimits.from_overrides(session.protocol.session_limits)
    except LimitsError as error:
        raise ValidationError(
            {"protocol": f"The protocol's session limit {error.field}: {error.message}"}
        ) from error


def settings_for(clinic_id: int) -> TreatmentSettings:
    found = TreatmentSettings.objects.filter(clinic_id=clinic_id).first()
    return found or TreatmentSettings(clinic_id=clinic_id)


def _locked(session: TreatmentSession) -> TreatmentSession:
    return (
        TreatmentSession.objects.select_for_update()
        .select_related("clinic", "protocol", "patient", "chair__room")
        .get(pk=session.pk)
    )


# What a session in each state needs next: a step refused out of order names it.
NEXT_STEP: dict[str, str] = {
    State.WAITING: "check the patient in first",
    State.CHECKED_IN: "prepare, draw and verify the dose first",
    State.DOSING: "record the administration to its end (the stop, or every device) first",
    State.MONITORING: "the administration is over",
    State.DISCHARGED: "the patient is discharged: sign the note",
    State.SIGNED: "the note is signed and locked: corrections are addenda",
    State.STOPPED: "the session was stopped",
    State.CANCELLED: "the session was cancelled",
}


def _expect(session: TreatmentSession, *states: str, step: str, fresh: bool = False) -> None:
    """Refuse a step out of order (the session's state read afresh, unless `fresh`: just
    locked), naming what comes first."""
    if not fresh:
        session.refresh_from_db()
    if session.state not in states:
        raise ValidationError(
            {
                "state": f"{step} is not possible while the session is "
                f"{session.get_state_display()}: {NEXT_STEP[session.state]}."
            }
        )


def _when(at: datetime | None, session: TreatmentSession, field: str = "taken_at") -> datetime:
    """A bedside time: now, or an earlier time not before check-in; never in the future."""
    now = _now()
    if at is None:
        return now
    if timezone.is_naive(at):
        raise ValidationError({field: "Give the time with its UTC offset."})
    if at > now + timedelta(seconds=60):
        raise ValidationError({field: "This time is in the future."})
    if session.checked_in_at and at < session.checked_in_at:
        raise ValidationError({field: "This time is before the patient checked in."})
    return at


# --- Booking -----------------------------------------------------------------------------


def session_book(*, actor: StaffMember, planned_session: PlannedSession) -> TreatmentSession:
    """Open the treatment session of a booked planned session of an active plan (once). The
    session runs on the plan's protocol version and dose; the plans app already made the
    questionnaires due when it booked the session."""
    require(actor, Perm.SESSION_RECORD, planned_session.clinic, planned_session.patient)
    if planned_session.kind != PlannedSession.Kind.DOSING or planned_session.chair_id is None:
        raise ValidationError({"planned_session": "Only a dosing session on a chair is run here."})
    if planned_session.status != PlannedSession.Status.BOOKED:
        raise ValidationError({"planned_session": "This planned session is not booked."})
    if planned_session.plan.status != TreatmentPlan.Status.ACTIVE:
        raise ValidationError(
            {"planned_session": "The plan is not active: a prescriber must sign it first."}
        )
    if TreatmentSession.objects.filter(planned_session=planned_session).exists():
        raise ValidationError({"planned_session": "This session is already open."})
    protocol = planned_session.plan.protocol
    with transaction.atomic():
        session = TreatmentSession.objects.create(
            clinic=planned_session.clinic,
            patient=planned_session.patient,
            planned_session=planned_session,
            protocol=protocol,
            chair_id=planned_session.chair_id,
            route=protocol.route,
            scheduled_at=planned_session.starts_at,
            created_by=actor,
        )
        record(
            actor=actor,
            action=Action.SESSION_BOOK,
            patient=session.patient,
            obj=session,
            detail={"planned_session": planned_session.pk},
        )
    return session


def session_walk_in(
    *,
    actor: StaffMember,
    patient: Patient,
    protocol: Protocol,
    chair: Chair,
    reason: str,
    scheduled_at: datetime | None = None,
) -> TreatmentSession:
    """A session without a plan: a prescriber only, with a reason (issue #11)."""
    require(actor, Perm.SESSION_OVERRIDE, patient.clinic, patient)
    reason = _text(reason, "walk_in_reason", 300, required="Give the reason for a walk-in.")
    if protocol.clinic_id != patient.clinic_id or not protocol.is_current:
        raise ValidationError({"protocol": "No such current protocol at this clinic."})
    if chair.clinic_id != patient.clinic_id or not chair.is_active:
        raise ValidationError({"chair": "No such chair at this clinic."})
    with transaction.atomic():
        session = TreatmentSession.objects.create(
            clinic=patient.clinic,
            patient=patient,
            protocol=protocol,
            chair=chair,
            route=protocol.route,
            scheduled_at=scheduled_at or _now(),
            walk_in_reason=reason,
            created_by=actor,
        )
        measures.treatment_event_recorded(
            actor=actor,
            patient=patient,
            kind="session_scheduled",
            at=session.scheduled_at,
            event_ref=f"session-{session.pk}",
        )
        record(
            actor=actor,
            action=Action.SESSION_BOOK,
            patient=patient,
            obj=session,
            detail={"walk_in_reason": reason},
        )
    return session


def session_cancel(*, actor: StaffMember, session: TreatmentSession, reason: str) -> None:
    """Cancel a session before any drug is drawn."""
    require(actor, Perm.SESSION_RECORD, session.clinic, session.patient)
    reason = _text(reason, "reason", 500, required="Give the reason.")
    with transaction.atomic():
        session = _locked(session)
        _expect(session, State.WAITING, State.CHECKED_IN, step="Cancelling")
        session.state, session.stop_reason = State.CANCELLED, reason
        session.save(update_fields=["state", "stop_reason"])
        record(
            actor=actor,
            action=Action.SESSION_CANCEL,
            patient=session.patient,
            obj=session,
            detail={"reason": reason},
        )


# --- Emergency readiness, PDMP, REMS (issue #17) ------------------------------------------


def room_readiness_record(
    *,
    actor: StaffMember,
    room: Room,
    items: Mapping[str, bool],
    prescriber_on_site: StaffMember | None = None,
) -> RoomReadinessCheck:
    """Log today's readiness check of a room: every item must be present and in date."""
    require(actor, Perm.READINESS_CHECK, room.clinic)
    missing = [label for key, label in RoomReadinessCheck.ITEMS.items() if not items.get(key)]
    if missing:
        raise ValidationError({"items": "Not ready: " + ", ".join(missing) + "."})
    if prescriber_on_site is not None and not can(
        prescriber_on_site, Perm.SESSION_OVERRIDE, room.clinic
    ):
        raise ValidationError({"prescriber_on_site": "Not a prescriber of this clinic."})
    now = _now()
    with transaction.atomic():
        check = RoomReadinessCheck.objects.create(
            clinic=room.clinic,
            room=room,
            day=timezone.localdate(now),
            checked_by=actor,
            checked_at=now,
            items={k: True for k in RoomReadinessCheck.ITEMS},
            prescriber_on_site=prescriber_on_site,
        )
        record(
            actor=actor,
            action=Action.ROOM_READINESS,
            clinic=room.clinic,
            obj=check,
            detail={"room": room.name, "prescriber_on_site": bool(prescriber_on_site)},
        )
    return check


def room_ready_today(session: TreatmentSession, *, esketamine: bool) -> RoomReadinessCheck | None:
    checks = RoomReadinessCheck.objects.filter(
        room_id=session.chair.room_id, day=timezone.localdate(_now())
    )
    if esketamine:  # REMS: a prescriber on site (reference.md §1.9, §2.5)
        checks = checks.exclude(prescriber_on_site=None)
    return checks.order_by("-checked_at").first()


def pdmp_check_record(
    *, actor: StaffMember, patient: Patient, checked_on: date, result: str
) -> PdmpCheck:
    """Record a PDMP check made outside the product (date, who, result)."""
    require(actor, Perm.SESSION_RECORD, patient.clinic, patient)
    result = _text(result, "result", 300, required="Give the result.")
    if checked_on > timezone.localdate(_now()):
        raise ValidationError({"checked_on": "This date is in the future."})
    with transaction.atomic():
        check = PdmpCheck.objects.create(
            clinic=patient.clinic,
            patient=patient,
            checked_on=checked_on,
            checked_by=actor,
            result=result,
        )
        record(actor=actor, action=Action.PDMP_CHECK, patient=patient, obj=check)
    return check


def rems_enrol(
    *, actor: StaffMember, patient: Patient, enrolled_on: date, reference: str = ""
) -> RemsEnrolment:
    """Record the patient's esketamine REMS enrolment."""
    require(actor, Perm.SESSION_RECORD, patient.clinic, patient)
    reference = _text(reference, "reference", 60)
    if enrolled_on > timezone.localdate(_now()):
        raise ValidationError({"enrolled_on": "This date is in the future."})
    if RemsEnrolment.objects.filter(patient=patient).exists():
        raise ValidationError({"patient": "Already enrolled."})
    with transaction.atomic():
        row = RemsEnrolment.objects.create(
            clinic=patient.clinic,
            patient=patient,
            enrolled_on=enrolled_on,
            reference=reference,
            recorded_by=actor,
        )
        record(actor=actor, action=Action.REMS_ENROL, patient=patient, obj=row)
    return row


# --- Check-in ----------------------------------------------------------------------------

# Each yes/no pre-check, the answer it needs, and what a wrong answer means. The day-of re-check
# items are reference.md §1.9; fasting §2.1; escort §1.8.
REQUIRED_YES = {
    "identity_confirmed": "Confirm the patient's identity.",
    "escort_confirmed": "An escort home must be confirmed (reference.md §1.8).",
    "questionnaires_done": "The pre-session questionnaires must be done first.",
}
RECHECK_NO = {
    "new_cardiac_or_cerebrovascular_event": "New cardiac or cerebrovascular event",
    "vascular_history_newly_known": "Aneurysm, AV malformation or intracerebral haemorrhage "
    "history newly known",
    "psychosis_or_mania": "Psychosis or mania",
    "alcohol_or_drugs_today": "Alcohol or drug use today",
    "possible_pregnancy": "Possible pregnancy",
}
FASTING = {
    "fasted_food_2h": "No food for at least 2 hours (reference.md §2.1).",
    "fasted_liquids_30min": "No liquids for at least 30 minutes (reference.md §2.1).",
}


@dataclass(frozen=True)
class CheckInAnswers:
    answers: Mapping[str, bool]
    baseline: Mapping[str, Decimal | None]
    pre_dose_moaas: int | None
    medication_flags: tuple[str, ...] = ()
    medication_changes: str = ""
    pregnancy_test: str = "not_applicable"  # not_applicable / negative / positive
    weight_kg: Decimal | None = None
    urine_drug_screen: str = ""  # negative / positive, when the protocol asks
    recheck_override: str = ""  # a prescriber's reason to proceed despite a re-check "yes"


def _cssrs_today(session: TreatmentSession) -> Assessment | None:
    today = timezone.localdate(_now())
    return (
        Assessment.objects.filter(
            clinic=session.clinic,
            patient=session.patient,
            instrument_id="cssrs-screener",
            status="complete",
            administered_at__date=today,
        )
        .order_by("-administered_at")
        .first()
    )


def _check_in_problems(
    actor: StaffMember, session: TreatmentSession, data: CheckInAnswers
) -> dict[str, str]:
    errors: dict[str, str] = {}
    for key, message in REQUIRED_YES.items():
        if data.answers.get(key) is not True:
            errors[key] = message
    fasting_applies = (
        session.is_esketamine or settings_for(session.clinic_id).iv_im_fasting_required
    )
    if fasting_applies:
        for key, message in FASTING.items():
            if data.answers.get(key) is not True:
                errors[key] = message
    if session.is_esketamine and data.answers.get("nasal_steroid_or_decongestant_within_1h"):
        errors["nasal_steroid_or_decongestant_within_1h"] = (
            "A nasal corticosteroid or decongestant must be taken at least 1 hour before "
            "(reference.md §2.1)."
        )
    yes = [label for key, label in RECHECK_NO.items() if data.answers.get(key) is not False]
    if yes:
        if not data.recheck_override.strip():
            errors["recheck"] = (
                "Since the last session: " + "; ".join(yes) + " (or not answered). A prescriber "
                "must review and give a reason to proceed."
            )
        elif not can(actor, Perm.SESSION_OVERRIDE, session.clinic):
            errors["recheck_override"] = "Only a prescriber may proceed after a re-check 'yes'."
    if data.pregnancy_test not in ("not_applicable", "negative", "positive"):
        errors["pregnancy_test"] = "Choose not applicable, negative or positive."
    elif data.pregnancy_test == "positive":
        errors["pregnancy_test"] = "A positive pregnancy test: no dose (reference.md §1.2, §2.4)."
    unknown = [f for f in data.medication_flags if f not in MEDICATION_FLAGS]
    if unknown:
        errors["medication_flags"] = f"Unknown medication class {unknown[0]!r}."
    if session.protocol.requires_urine_drug_screen and data.urine_drug_screen not in (
        "negative",
        "positive",
    ):
        errors["urine_drug_screen"] = "This protocol asks for a urine drug screen result."
    if _cssrs_today(session) is None:
        errors["cssrs"] = (
            "Enter today's C-SSRS screener (Measures) first: a suicide-risk screen at every "
            "treatment visit (reference.md §1.9)."
        )
    if session.is_esketamine and not RemsEnrolment.objects.filter(patient=session.patient).exists():
        errors["rems"] = "Enrol the patient in the esketamine REMS before the first dose (§2.5)."
    if data.pre_dose_moaas is None or not 0 <= data.pre_dose_moaas <= 5:
        errors["pre_dose_moaas"] = "Give the pre-dose MOAA/S (0–5)."
    if course.bladder_question_due(session) and data.answers.get(course.BLADDER_KEY) is None:
        every = session.protocol.bladder_check_every_sessions
        errors[course.BLADDER_KEY] = (
            f"Ask about bladder symptoms (every {every} sessions, {course.INTERVAL_NOTE})."
        )
    return errors


def _latest_weight_age_days(patient: Patient) -> int | None:
    latest = patient.weights.order_by("-measured_at").first()
    if latest is None:
        return None
    return (_now() - latest.measured_at).days


def _reading_set(
    session: TreatmentSession,
    actor: StaffMember,
    phase: str,
    taken_at: datetime,
    values: Mapping[str, Decimal],
    **extra: Any,
) -> ReadingSet:
    reading = ReadingSet.objects.create(
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        session=session,
        phase=phase,
        taken_at=taken_at,
        recorded_by=actor,
        **extra,
    )
    VitalSignReading.objects.bulk_create(
        VitalSignReading(
            clinic_id=session.clinic_id,
            patient_id=session.patient_id,
            reading_set=reading,
            key=key,
            loinc=VITAL_SIGNS[key].loinc,
            unit=VITAL_SIGNS[key].ucum,
            value=value,
            taken_at=taken_at,
        )
        for key, value in values.items()
    )
    return reading


def check_in(
    *, actor: StaffMember, session: TreatmentSession, data: CheckInAnswers
) -> TreatmentSession:
    """Check the patient in: identity, the screening and consent gate, the day-of re-check,
    fasting, pregnancy, medications, the C-SSRS, REMS, baseline vitals and weight; then the BP
    gate decides what the dose step needs."""
    require(actor, Perm.SESSION_RECORD, session.clinic, session.patient)
    _expect(session, State.WAITING, step="Check-in")
    readiness = treatment_readiness(session.patient, session.route, actor=actor)
    errors = _check_in_problems(actor, session, data)
    if not readiness.ready:
        errors["readiness"] = " ".join(readiness.problems)
    missing = [k for k in BASELINE_KEYS if data.baseline.get(k) is None]
    for key in missing:
        errors[key] = f"{VITAL_SIGNS[key].name} is needed for the baseline."
    try:
        baseline = check_reading({k: data.baseline.get(k) for k in BASELINE_KEYS})
    except ReadingError as error:
        errors.update({k: v for k, v in error.errors.items() if k not in errors})
        baseline = {}
    age = _latest_weight_age_days(session.patient)
    max_age = settings_for(session.clinic_id).weight_max_age_days
    if data.weight_kg is None and (age is None or age > max_age):
        errors["weight_kg"] = (
            f"Weigh the patient: the latest weight is older than {max_age} days (clinic policy "
            "default, no published source)."
        )
    if errors:
        raise ValidationError(errors)
    limits = limits_for(session)
    gate = bp_gate(limits, baseline["sbp"], baseline["dbp"])
    now = _now()
    with transaction.atomic():
        session = _locked(session)
        _expect(session, State.WAITING, step="Check-in")
        if data.weight_kg is not None:
            patient_services.weight_record(
                actor=actor, patient=session.patient, weight_kg=data.weight_kg
            )
        CheckIn.objects.create(
            clinic=session.clinic,
            patient=session.patient,
            session=session,
            recorded_by=actor,
            recorded_at=now,
            answers={
                **{k: bool(v) for k, v in data.answers.items()},
                "pregnancy_test": data.pregnancy_test,
                "medication_changes": data.medication_changes.strip()[:500],
                "recheck_override": data.recheck_override.strip()[:500],
            },
            medication_flags=list(data.medication_flags),
            readiness={"ready": readiness.ready, "problems": readiness.problems},
            urine_drug_screen=data.urine_drug_screen,
        )
        baseline_reading = _reading_set(
            session, actor, ReadingSet.Phase.BASELINE, now, baseline, moaas=data.pre_dose_moaas
        )
        if data.answers.get(course.BLADDER_KEY):
            SessionAlert.objects.create(
                clinic=session.clinic,
                patient=session.patient,
                session=session,
                reading_set=baseline_reading,
                code=course.BLADDER_KEY,
                level=LEVEL_WARNING,
                message="Bladder symptoms reported at check-in: the prescriber reviews them.",
                source="Spravato PI §5.9; racemic ketamine label: cystitis (reference.md §1.9)",
                raised_at=now,
            )
        session.state = State.CHECKED_IN
        session.checked_in_at = now
        session.bp_gate_level = gate.level
        session.pre_dose_moaas = data.pre_dose_moaas
        session.save(update_fields=["state", "checked_in_at", "bp_gate_level", "pre_dose_moaas"])
        if session.planned_session is not None:
            booking.session_set_status(
                actor=actor, session=session.planned_session, status="checked_in"
            )
        record(
            actor=actor,
            action=Action.SESSION_CHECK_IN,
            patient=session.patient,
            obj=session,
            detail={
                "bp_gate": gate.level,
                "medication_flags": list(data.medication_flags),
                "recheck_override": bool(data.recheck_override.strip()),
            },
        )
    return session


def bp_decision_record(
    *, actor: StaffMember, session: TreatmentSession, reason: str, emergency: bool = False
) -> TreatmentSession:
    """Document the decision the pre-dose BP needed: weighing the risk (a clinician), a
    prescriber's sign-off to proceed above the hold values, or a documented emergency reason
    above the stop values (reference.md §1.6, §1.9)."""
    require(actor, Perm.SESSION_RECORD, session.clinic, session.patient)
    _expect(session, State.CHECKED_IN, step="A BP decision")
    reason = _text(reason, "reason", 500, required="Document the decision.")
    if session.bp_gate_level in ("", "ok"):
        raise ValidationError({"reason": "The pre-dose BP needs no decision."})
    if session.bp_gate_level in ("hold", GATE_STOP) and not can(
        actor, Perm.SESSION_OVERRIDE, session.clinic
    ):
        raise ValidationError({"reason": "Above the hold values only a prescriber may proceed."})
    if session.bp_gate_level == GATE_STOP and not emergency:
        raise ValidationError(
            {"emergency": "Above the stop values, proceed only for a documented emergency."}
        )
    with transaction.atomic():
        session = _locked(session)
        session.bp_decision_by, session.bp_decision_reason = actor, reason
        session.bp_emergency = emergency
        session.save(update_fields=["bp_decision_by", "bp_decision_reason", "bp_emergency"])
        record(
            actor=actor,
            action=Action.SESSION_BP_DECISION,
            patient=session.patient,
            obj=session,
            detail={"gate": session.bp_gate_level, "emergency": emergency},
        )
    return session


# --- Dose -----------------------------------------------------------------------------------


def _dose_blockers(session: TreatmentSession) -> dict[str, str]:
    errors: dict[str, str] = {}
    if session.bp_gate_level not in ("", "ok") and session.bp_decision_by_id is None:
        errors["bp_decision"] = "The pre-dose BP needs its documented decision first."
    if SafetyAlert.objects.filter(
        clinic=session.clinic, patient=session.patient, acknowledged_at=None
    ).exists():
        errors["safety_alert"] = (
            "An open safety alert (e.g. a positive C-SSRS screen) holds dosing until a "
            "prescriber reviews it."
        )
    return errors


def _last_tolerated(session: TreatmentSession) -> Decimal | None:
    previous = (
        DoseAdministration.objects.filter(
            patient=session.patient,
            session__protocol__slug=session.protocol.slug,
            session__state=State.SIGNED,
        )
        .exclude(session=session)
        .order_by("-prepared_at")
        .first()
    )
    if previous is None:
        return None
    if session.protocol.dose_unit == Protocol.DoseUnit.MG_PER_KG:
        return previous.dose_per_kg
    return previous.dose_mg


def _planned_dose(session: TreatmentSession) -> Decimal:
    planned = session.planned_session
    if planned is not None:
        return Decimal(planned.plan.dose)
    return Decimal(session.protocol.dose_default)


def dose_prepare(
    *,
    actor: StaffMember,
    session: TreatmentSession,
    signature: str,
    container: Container,
    bag_ml: Decimal | None = None,
    drawn_mg: Decimal | None = None,
    dose: Decimal | None = None,
    syringe_resolution_ml: Decimal = dosing.DEFAULT_SYRINGE_RESOLUTION_ML,
) -> DoseAdministration:
    """Prepare the dose from the plan (or `dose`, in the protocol's unit) and today's weight,
    and draw it from a ledger container in the same transaction (signed by the drawer)."""
    require(actor, Perm.SESSION_RECORD, session.clinic, session.patient)
    _expect(session, State.CHECKED_IN, step="Preparing the dose")
    errors = _dose_blockers(session)
    if errors:
        raise ValidationError(errors)
    if container.clinic_id != session.clinic_id:
        raise ValidationError({"container": "No such container at this clinic."})
    protocol = session.protocol
    per_unit = Decimal(dose) if dose is not None else _planned_dose(session)
    product = container.lot.product
    weight = session.patient.weights.order_by("-measured_at").first()
    try:
        if session.is_esketamine:
            dose_mg = per_unit
            devices = dosing.esketamine_devices(dose_mg)
            prepared: dict[str, Any] = {
                "prescribed_mg": dose_mg,
                "dose_mg": dose_mg,
                "devices": devices,
                "minutes": Decimal((devices - 1) * dosing.ESKETAMINE_DEVICE_INTERVAL_MIN),
                "steps": [f"{devices} × 28 mg device = {dose_mg} mg, 5 min apart"],
                "concentration_mg_per_ml": None,
                "drug_volume_ml": None,
                "total_volume_ml": None,
                "rate_ml_per_h": None,
                "bag_ml": Decimal(0),
            }
        else:
            if product.mg_per_ml is None:
                raise ValidationError({"container": "This product has no mg/mL concentration."})
            if protocol.dose_unit == Protocol.DoseUnit.MG:
                mg = per_unit
            else:
                if weight is None:
                    raise ValidationError({"weight_kg": "No weight on the chart."})
                mg = dosing.prescribed_mg(weight.weight_kg, per_unit)
                if protocol.dose_unit == Protocol.DoseUnit.MG_PER_KG_PER_HOUR:
                    mg = (mg * protocol.administration_minutes / 60).quantize(Decimal("0.1"))
            bag = (
                Decimal(0)
                if session.route == "im"
                else Decimal(bag_ml if bag_ml is not None else 100)
            )
            inf = dosing.infusion(
                dose_mg=mg,
                concentration_mg_per_ml=product.mg_per_ml,
                bag_ml=bag,
                minutes=protocol.administration_minutes or 1,
                syringe_resolution_ml=syringe_resolution_ml,
                weight_kg=weight.weight_kg if weight and protocol.dose_unit != "mg" else None,
                mg_per_kg=per_unit if protocol.dose_unit != "mg" else None,
            )
            prepared = {
                "prescribed_mg": inf.prescribed_mg,
                "dose_mg": inf.dose_mg,
                "devices": None,
                "minutes": inf.minutes,
                "steps": inf.steps,
                "concentration_mg_per_ml": inf.concentration_mg_per_ml,
                "drug_volume_ml": inf.drug_volume_ml,
                "total_volume_ml": inf.total_volume_ml,
                "rate_ml_per_h": inf.rate_ml_per_h,
                "bag_ml": inf.bag_ml,
            }
    except dosing.DoseError as error:
        raise ValidationError({error.field: error.message}) from error
    drawn = Decimal(drawn_mg) if drawn_mg is not None else prepared["dose_mg"]
    if drawn < prepared["dose_mg"]:
        raise ValidationError({"drawn_mg": "Draw at least the dose to be given."})
    check = dosing.check_dose(
        dose=per_unit,
        unit=protocol.get_dose_unit_display(),
        protocol_max=protocol.dose_max,
        last_tolerated=_last_tolerated(session),
        titration_step=protocol.titration_step,
    )
    signed = ledger.sign(actor, signature, "signature", by=actor, clinic=session.clinic)
    with transaction.atomic():
        session = _locked(session)
        _expect(session, State.CHECKED_IN, step="Preparing the dose")
        entry = ledger.dispense_record(
            actor=actor,
            signature=signed,
            container=container,
            quantity_mg=drawn,
            patient=session.patient,
            session=session,
            administered_mg=prepared["dose_mg"],
        )
        dose_row = DoseAdministration.objects.create(
            clinic=session.clinic,
            patient=session.patient,
            session=session,
            container=container,
            dispense=entry,
            weight_kg=weight.weight_kg if weight else None,
            dose_per_kg=per_unit if protocol.dose_unit == Protocol.DoseUnit.MG_PER_KG else None,
            drawn_mg=drawn,
            prepared_by=actor,
            prepared_at=_now(),
            sign_off_reasons=check.reasons,
            **prepared,
        )
        session.state = State.DOSING
        session.save(update_fields=["state"])
        record(
            actor=actor,
            action=Action.SESSION_DOSE,
            patient=session.patient,
            obj=dose_row,
            detail={
                "dose_mg": str(dose_row.dose_mg),
                "drawn_mg": str(drawn),
                "dispense": entry.pk,
                "needs_sign_off": check.needs_sign_off,
            },
        )
    return dose_row


def dose_verify(
    *, actor: StaffMember, session: TreatmentSession, dose_mg: Decimal, signature: str
) -> DoseAdministration:
    """A second clinician re-enters the dose and signs with their own credentials."""
    require(actor, Perm.SESSION_RECORD, session.clinic, session.patient)
    dose_row = DoseAdministration.objects.filter(session=session).first()
    if dose_row is None:
        raise ValidationError({"state": "There is no prepared dose to verify."})
    if dose_row.verified_by_id is not None:
        raise ValidationError({"state": "The dose is already verified."})
    if dose_row.prepared_by_id == actor.pk:
        raise ValidationError(
            {"verified_by": "The dose must be verified by someone other than who prepared it."}
        )
    if Decimal(dose_mg) != dose_row.dose_mg:
        raise ValidationError(
            {"dose_mg": "The dose you entered does not match the prepared dose: check it again."}
        )
    ledger.sign(actor, signature, "signature", by=actor, clinic=session.clinic)
    with transaction.atomic():
        dose_row.verified_by, dose_row.verified_at = actor, _now()
        dose_row.save(update_fields=["verified_by", "verified_at"])
        record(
            actor=actor, action=Action.SESSION_DOSE_VERIFY, patient=session.patient, obj=dose_row
        )
    return dose_row


def dose_sign_off(
    *, actor: StaffMember, session: TreatmentSession, note: str
) -> DoseAdministration:
    """A prescriber signs off a dose above the protocol maximum or the titration step."""
    require(actor, Perm.SESSION_OVERRIDE, session.clinic, session.patient)
    note = _text(note, "note", 500, required="Give the reason for this dose.")
    dose_row = DoseAdministration.objects.filter(session=session).first()
    if dose_row is None or not dose_row.sign_off_reasons:
        raise ValidationError({"state": "This dose needs no sign-off."})
    with transaction.atomic():
        dose_row.sign_off_by, dose_row.sign_off_note = actor, note
        dose_row.save(update_fields=["sign_off_by", "sign_off_note"])
        record(
            actor=actor,
            action=Action.SESSION_DOSE_SIGN_OFF,
            patient=session.patient,
            obj=dose_row,
            detail={"reasons": dose_row.sign_off_reasons},
        )
    return dose_row


# --- Administration -----------------------------------------------------------------------


def administration_started(session: TreatmentSession) -> AdministrationEvent | None:
    return session.administration_events.filter(kind__in=["start", "device"]).order_by("at").first()


def administration_record(
    *,
    actor: StaffMember,
    session: TreatmentSession,
    kind: str,
    at: datetime | None = None,
    rate_ml_per_h: Decimal | None = None,
    continuous_oximetry: bool = False,
    note: str = "",
    signature: str = "",
) -> AdministrationEvent:
    """Record start, pause, resume, rate change or stop of an infusion, or one esketamine
    device (5 minutes apart, reference.md §2.1). The start needs a verified (and, if needed,
    signed-off) dose and the room's readiness check of the day. A stop with drug left in the
    bag lowers the ledger's mg given to what was infused (signed by the recorder): the rest is
    then unaccounted for until it is wasted with a witness."""
    require(actor, Perm.SESSION_RECORD, session.clinic, session.patient)
    note = _text(note, "note", 300)
    if kind not in AdministrationEvent.Kind.values:
        raise ValidationError({"kind": "Choose start, pause, resume, rate change, stop or device."})
    signed = None
    if kind == "stop" and _stopped_early(session, _when(at, session, "at")) is not None:
        if not signature:
            raise ValidationError({"signature": _early_stop_message(session, at)})
        signed = ledger.sign(actor, signature, "signature", by=actor, clinic=session.clinic)
    with transaction.atomic():
        session = _locked(session)
        _expect(session, State.DOSING, step="Recording the administration")
        when = _when(at, session, "at")
        dose_row = session.dose
        events = list(session.administration_events.order_by("at", "pk"))
        last = events[-1] if events else None
        if last and when < last.at:
            raise ValidationError({"at": "This time is before the last recorded event."})
        if not events:
            start_kind = "device" if session.is_esketamine else "start"
            if kind != start_kind:
                raise ValidationError({"kind": f"The administration begins with '{start_kind}'."})
            if dose_row.verified_by_id is None:
                raise ValidationError({"verified_by": "A second clinician must verify the dose."})
            if dose_row.sign_off_reasons and dose_row.sign_off_by_id is None:
                raise ValidationError(
                    {
                        "sign_off": "This dose needs a prescriber's sign-off: "
                        + " ".join(dose_row.sign_off_reasons)
                    }
                )
            if room_ready_today(session, esketamine=session.is_esketamine) is None:
                raise ValidationError(
                    {
                        "room_readiness": "Log today's emergency readiness check of this room first"
                        + (
                            " (with the prescriber on site, for esketamine)."
                            if session.is_esketamine
                            else "."
                        )
                    }
                )
        fields = ["state"]
        if session.is_esketamine:
            if kind != "device":
                raise ValidationError({"kind": "Esketamine is recorded device by device."})
            number = len(events) + 1
            if number > (dose_row.devices or 0):
                raise ValidationError({"kind": "Every device of this dose is recorded."})
            gap = dosing.ESKETAMINE_DEVICE_INTERVAL_MIN
            if last and when < last.at + timedelta(minutes=gap):
                raise ValidationError({"at": f"Devices are given {gap} minutes apart (§2.1)."})
            event = _event(session, actor, kind, when, note, device_number=number)
            if number == dose_row.devices:
                session.state = State.MONITORING
        else:
            running = last is not None and last.kind in ("start", "resume", "rate_change")
            allowed = {
                "pause": running,
                "rate_change": running,
                "stop": last is not None and last.kind != "stop",
                "resume": last is not None and last.kind == "pause",
                "start": last is None,
            }
            if not allowed.get(kind, False):
                raise ValidationError({"kind": f"'{kind}' is not possible now."})
            if kind == "rate_change" and (rate_ml_per_h is None or rate_ml_per_h <= 0):
                raise ValidationError({"rate_ml_per_h": "Give the new rate in mL/h."})
            event = _event(session, actor, kind, when, note, rate_ml_per_h=rate_ml_per_h)
            if kind == "start" and session.route == "iv":
                session.continuous_oximetry = continuous_oximetry
                fields.append("continuous_oximetry")
            if kind == "stop":
                session.state = State.MONITORING
                _correct_given(session, actor, signed, when)
        session.save(update_fields=fields)
        record(
            actor=actor,
            action=Action.SESSION_ADMINISTRATION,
            patient=session.patient,
            obj=event,
            detail={"kind": kind, "at": when.isoformat()},
        )
    return event


def _event(
    session: TreatmentSession, actor: StaffMember, kind: str, at: datetime, note: str, **extra: Any
) -> AdministrationEvent:
    return AdministrationEvent.objects.create(
        clinic=session.clinic,
        patient=session.patient,
        session=session,
        kind=kind,
        at=at,
        note=note,
        recorded_by=actor,
        **extra,
    )


def _stopped_early(session: TreatmentSession, when: datetime) -> Delivery | None:
    """What the bag delivered if stopped at `when`, when that leaves drug in it; else None."""
    dose_row = getattr(session, "dose", None)
    if dose_row is None or session.is_esketamine:
        return None
    events = list(session.administration_events.order_by("at", "pk"))
    if not events or when < events[-1].at:
        return None
    stop = AdministrationEvent(kind="stop", at=when)
    delivery = given.infusion_delivery(dose_row, [*events, stop], when)
    return delivery if delivery is not None and not delivery.complete else None


def _given_in_ledger_steps(session: TreatmentSession, delivery: Delivery) -> Decimal:
    decimals = min(session.dose.container.lot.product.quantity_decimals, 3)
    return delivery.mg.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _early_stop_message(session: TreatmentSession, at: datetime | None) -> str:
    delivery = _stopped_early(session, _when(at, session, "at"))
    infused = _given_in_ledger_steps(session, delivery) if delivery else Decimal(0)
    return (
        f"The infusion stops with drug left in the bag: {mg_text(infused)} of "
        f"{mg_text(session.dose.dose_mg)} mg infused. Sign (your password or code) to record "
        "what was given in the ledger; the rest is then wasted with a witness."
    )


def _correct_given(
    session: TreatmentSession, actor: StaffMember, signed: Any, when: datetime
) -> None:
    """At an early stop, lower the ledger's mg given to what was infused (in the same
    transaction as the stop)."""
    delivery = _stopped_early(session, when)
    if delivery is None:
        return
    if signed is None:
        raise ValidationError({"signature": _early_stop_message(session, when)})
    infused = _given_in_ledger_steps(session, delivery)
    if infused >= ledger.given_mg(session.dose.dispense):
        return
    minutes = sum((s.end_min - s.start_min for s in delivery.segments), Decimal(0))
    ledger.administration_correct(
        actor=actor,
        signature=signed,
        dispense=session.dose.dispense,
        given_mg_now=infused,
        reason="infusion stopped early: the rest stayed in the bag",
        details={
            "infused_minutes": mg_text(minutes.quantize(Decimal("0.1"))),
            "planned_minutes": mg_text(session.dose.minutes),
            "stopped_at": when.isoformat(),
        },
    )
