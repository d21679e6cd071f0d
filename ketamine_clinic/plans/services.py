"""Writes of protocols, treatment plans and the schedule: one action, one transaction, one audit
row. Eligibility and consent come from `screening.services.treatment_readiness` only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketamine_clinic.accounts.access import require
from ketamine_clinic.accounts.models import Clinic, StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.reads import find_one
from ketamine_clinic.audit.services import record
from ketamine_clinic.clinical import courses, scheduling
from ketamine_clinic.clinical.protocol_library import LIBRARY, ProtocolSpec
from ketamine_clinic.measures.services import treatment_event_moved, treatment_event_recorded
from ketamine_clinic.patients.models import Patient, WeightMeasurement
from ketamine_clinic.screening.services import treatment_readiness

from . import capacity as cap
from .models import Chair, OpeningHours, PlannedSession, Protocol, Room, StaffShift, TreatmentPlan

OPEN_STATUSES = (
    TreatmentPlan.Status.DRAFT,
    TreatmentPlan.Status.ACTIVE,
    TreatmentPlan.Status.PAUSED,
)
INTEGRATION_MINUTES = 60  # one integration therapy session (clinic default, not published)
HORIZON_DAYS = 180


def _now() -> datetime:
    return timezone.now()


# --- protocols -----------------------------------------------------------------------------

_SPEC_FIELDS = (
    "name",
    "route",
    "indication_kind",
    "dose_unit",
    "dose_default",
    "dose_min",
    "dose_max",
    "titration_step",
    "administration_minutes",
    "min_monitoring_minutes",
    "prep_minutes",
    "turnover_minutes",
    "phases",
    "max_sessions_per_30_days",
    "max_mg_per_30_days",
    "instruments",
    "bladder_check_every_sessions",
    "liver_tests_every_days",
    "requires_urine_drug_screen",
    "integration_within_days",
    "provenance",
    "source",
)


def protocols_seed(*, clinic: Clinic, actor: StaffMember | None = None) -> list[Protocol]:
    """Give `clinic` the built-in protocols it does not have yet (version 1 of each)."""
    made = []
    with transaction.atomic():
        have = set(Protocol.objects.filter(clinic=clinic).values_list("slug", flat=True))
        for spec in LIBRARY:
            if spec.slug in have:
                continue
            made.append(_protocol_from_spec(clinic, spec, actor))
        if made:
            record(
                actor=actor,
                action=Action.PROTOCOL_CHANGE,
                clinic=clinic,
                detail={"seeded": [p.slug for p in made], "version": 1},
            )
    return made


def _protocol_from_spec(clinic: Clinic, spec: ProtocolSpec, actor: StaffMember | None) -> Protocol:
    values = {name: getattr(spec, name) for name in _SPEC_FIELDS}
    return Protocol.objects.create(
        clinic=clinic,
        slug=spec.slug,
        version=1,
        is_current=True,
        change_note="Built-in version (ketamine-clinic protocol library).",
        created_by=actor,
        signed_at=_now(),
        **values,
    )


EDITABLE = (
    "dose_default",
    "dose_min",
    "dose_max",
    "titration_step",
    "administration_minutes",
    "min_monitoring_minutes",
    "prep_minutes",
    "turnover_minutes",
    "max_sessions_per_30_days",
    "max_mg_per_30_days",
    "bladder_check_every_sessions",
    "liver_tests_every_days",
    "requires_urine_drug_screen",
    "integration_within_days",
    "phases",
    "session_limits",
)


def protocol_draft_version(
    *, actor: StaffMember, protocol: Protocol, changes: dict[str, Any], note: str
) -> Protocol:
    """Draft a new version of `protocol` with `changes` (not in use until a prescriber signs it).

    Every changed value is marked as the clinic's own choice in its provenance.
    """
    require(actor, Perm.PROTOCOL_MANAGE, protocol.clinic)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError({unknown[0]: "This value cannot be changed in a protocol version."})
    if not note.strip():
        raise ValidationError({"note": "Say why the protocol changes (it is kept with it)."})
    with transaction.atomic():
        base = Protocol.objects.select_for_update().get(pk=protocol.pk)
        latest = Protocol.objects.filter(clinic=base.clinic, slug=base.slug).order_by("-version")[0]
        new = Protocol.objects.get(pk=base.pk)
        new.pk = None
        new.version = latest.version + 1
        new.is_current = False
        new.signed_by = None
        new.signed_at = None
        new.created_by = actor
        new.change_note = note.strip()[:300]
        provenance = dict(base.provenance)
        diff: dict[str, list[str | None]] = {}
        for name, value in changes.items():
            old = getattr(base, name)
            if old != value:
                diff[name] = [str(old), str(value)]
                provenance[name] = f"clinic's choice (v{new.version}: {note.strip()[:80]})"
            setattr(new, name, value)
        if not diff:
            raise ValidationError({"__all__": "Nothing changed: this version would be the same."})
        new.provenance = provenance
        _validate_protocol(new)
        new.save()
        record(actor=actor, action=Action.PROTOCOL_CHANGE, clinic=new.clinic, obj=new, changes=diff)
    return new


def _validate_protocol(p: Protocol) -> None:
    if not p.dose_min <= p.dose_default <= p.dose_max:
        raise ValidationError(
            {"dose_default": f"Must lie between the minimum {p.dose_min} and maximum {p.dose_max}."}
        )
    for name in ("administration_minutes", "min_monitoring_minutes", "max_sessions_per_30_days"):
        if getattr(p, name) < 1:
            raise ValidationError({name: "Must be at least 1."})
    if p.route == "intranasal" and p.min_monitoring_minutes < 120:
        raise ValidationError(
            {
                "min_monitoring_minutes": "Esketamine needs at least 2 h of monitoring (REMS, "
                "reference.md §2.5)."
            }
        )
    try:
        cap.phase_rules(p)
    except (KeyError, TypeError, ValueError) as error:
        raise ValidationError(
            {"phases": f"Each phase needs a name and a session count ({error})."}
        ) from error


def protocol_sign(*, actor: StaffMember, protocol: Protocol) -> Protocol:
    """Sign a drafted protocol version (prescribers): it becomes the clinic's current one.

    Plans already made keep the version they were made from.
    """
    require(actor, Perm.PLAN_MANAGE, protocol.clinic)
    with transaction.atomic():
        p = Protocol.objects.select_for_update().get(pk=protocol.pk)
        if p.signed_at is not None:
            raise ValidationError({"__all__": f"Version {p.version} is already signed."})
        Protocol.objects.filter(clinic=p.clinic, slug=p.slug, is_current=True).update(
            is_current=False
        )
        p.is_current = True
        p.signed_by = actor
        p.signed_at = _now()
        p.save(update_fields=["is_current", "signed_by", "signed_at"])
        record(
            actor=actor,
            action=Action.PROTOCOL_SIGN,
            clinic=p.clinic,
            obj=p,
            detail={"slug": p.slug, "version": p.version},
        )
    return p


# --- treatment plans -----------------------------------------------------------------------


@dataclass
class PlanResult:
    plan: TreatmentPlan
    warnings: list[str] = field(default_factory=list)


def latest_weight_kg(patient: Patient) -> Decimal | None:
    row = (
        WeightMeasurement.objects.filter(clinic=patient.clinic, patient=patient)
        .order_by("-measured_at")
        .first()
    )
    return row.weight_kg if row is not None else None


def find_protocol(clinic: Clinic, ref: int | str) -> Protocol:
    """Return the clinic's current protocol by id or slug (ValidationError naming `protocol`)."""
    qs = Protocol.objects.filter(clinic=clinic)
    found = None
    if isinstance(ref, int) or str(ref).isdigit():
        found = qs.filter(pk=int(ref)).first()
    if found is None:
        found = qs.filter(slug=str(ref), is_current=True).first()
    if found is None:
        slugs = ", ".join(sorted(qs.filter(is_current=True).values_list("slug", flat=True)))
        raise ValidationError(
            {"protocol": f"No such protocol at this clinic. Choose one of: {slugs}."}
        )
    if not found.is_current:
        raise ValidationError(
            {"protocol": f"Version {found.version} is no longer current: use the current version."}
        )
    return found


def _parse_dose(value: Decimal | str | float | None, protocol: Protocol) -> Decimal:
    if value is None or value == "":
        return protocol.dose_default
    try:
        dose = Decimal(str(value))
    except InvalidOperation as error:
        raise ValidationError({"dose": "Enter the dose as a number."}) from error
    try:
        courses.check_dose(
            dose,
            unit=protocol.dose_unit,
            dose_min=protocol.dose_min,
            dose_max=protocol.dose_max,
            route=protocol.route,
        )
    except courses.DoseError as error:
        raise ValidationError({"dose": str(error)}) from error
    return dose


def session_dose(
    protocol: Protocol, dose: Decimal, weight: Decimal | None, phase: str, first: bool
) -> Decimal:
    """Return one session's planned mg (a phase may fix its first session's dose, e.g. esketamine
    day 1 56 mg, reference.md §2.2)."""
    for p in protocol.phases:
        if p.get("name") == phase and first and p.get("first_session_dose"):
            return Decimal(str(p["first_session_dose"]))
    try:
        return courses.session_dose_mg(
            protocol.dose_unit, dose, weight, protocol.administration_minutes
        )
    except courses.DoseError as error:
        raise ValidationError({"dose": str(error)}) from error


def plan_create(
    *,
    actor: StaffMember,
    patient: Patient,
    protocol: int | str,
    start_date: date,
    dose: Decimal | str | float | None = None,
    outcome_instrument: str = "phq9",
) -> PlanResult:
    """Create a draft plan from a protocol and book its proposed calendar.

    The dose comes from the protocol (or `dose`, within its range) and the latest weight; the
    calendar is the earliest slots that keep the protocol's spacing and the clinic's capacity.
    """
    patient = find_one(actor, Perm.PLAN_MANAGE, Patient.objects.all(), pk=patient.pk)
    clinic = patient.clinic
    proto = find_protocol(clinic, protocol)
    today = cap.local(_now(), clinic).date()
    if start_date < today:
        raise ValidationError(
            {
                "start_date": f"{start_date:%Y-%m-%d} is in the past: choose "
                f"{today:%Y-%m-%d} or later."
            }
        )
    dose_value = _parse_dose(dose, proto)
    weight = latest_weight_kg(patient)
    if proto.dose_unit != courses.MG and weight is None:
        raise ValidationError(
            {"protocol": "This protocol's dose is weight-based: record the patient's weight first."}
        )
    with transaction.atomic():
        cap.lock_schedule(clinic)
        other = TreatmentPlan.objects.filter(patient=patient, status__in=OPEN_STATUSES).first()
        if other is not None:
            raise ValidationError(
                {
                    "protocol": f"Plan {other.pk} ({other.protocol.name}, {other.status}) is "
                    "still open for this patient: complete or stop it first."
                }
            )
        plan = TreatmentPlan.objects.create(
            clinic=clinic,
            patient=patient,
            protocol=proto,
            dose=dose_value,
            weight_kg_used=weight if proto.dose_unit != courses.MG else None,
            start_date=start_date,
            outcome_instrument=outcome_instrument,
            created_by=actor,
        )
        not_before = cap.local(_now(), clinic) if start_date == today else None
        warnings = _book_course(plan, start=start_date, not_before=not_before)
        record(
            actor=actor,
            action=Action.PLAN_CREATE,
            patient=patient,
            obj=plan,
            detail={
                "protocol": proto.slug,
                "version": proto.version,
                "dose": str(dose_value),
                "sessions": plan.sessions.count(),
                "warnings": warnings,
            },
        )
    return PlanResult(plan, warnings)


def _book_course(
    plan: TreatmentPlan,
    *,
    start: date,
    not_before: datetime | None,
    done: list[scheduling.Done] | None = None,
    exclude: list[int] | None = None,
    course_start: date | None = None,
) -> list[str]:
    """Propose and book the plan's remaining sessions (the caller holds the schedule lock)."""
    proto = plan.protocol
    clinic = plan.clinic
    capacity = cap.clinic_capacity(
        clinic, start, start + timedelta(days=HORIZON_DAYS), exclude=exclude
    )
    if not capacity.chairs:
        raise ValidationError(
            {"__all__": "This clinic has no active chairs: add one under Schedule settings."}
        )
    proposal = scheduling.propose(
        cap.phase_rules(proto),
        cap.timing_of(proto),
        capacity,
        start=start,
        not_before=not_before,
        done=done or [],
        course_start=course_start,
        horizon_days=HORIZON_DAYS,
    )
    first_of_phase: dict[str, int] = {}
    for seq, rule in scheduling.course_sessions(cap.phase_rules(proto)):
        first_of_phase.setdefault(rule.name, seq)
    for slot in proposal.slots:
        session = PlannedSession.objects.create(
            clinic=clinic,
            patient=plan.patient,
            plan=plan,
            sequence=slot.sequence,
            phase=slot.phase,
            chair_id=slot.chair,
            starts_at=cap.aware(slot.starts_at, clinic),
            ends_at=cap.aware(slot.ends_at, clinic),
            dose_mg=session_dose(
                proto,
                plan.dose,
                plan.weight_kg_used,
                slot.phase,
                slot.sequence == first_of_phase.get(slot.phase),
            ),
        )
        if proto.integration_within_days:
            _book_integration(plan, session)
    return proposal.warnings


def _book_integration(plan: TreatmentPlan, dosing: PlannedSession) -> None:
    """Book the integration therapy session after a dosing session: the next open day within the
    protocol's window (no chair; clinic default length)."""
    clinic = plan.clinic
    hours = {h.weekday: (h.opens, h.closes) for h in OpeningHours.objects.filter(clinic=clinic)}
    day = cap.local(dosing.starts_at, clinic).date()
    window = plan.protocol.integration_within_days or 1
    for offset in range(1, window + 1):
        d = day + timedelta(days=offset)
        if d.weekday() in hours:
            start = datetime.combine(d, hours[d.weekday()][0])
            PlannedSession.objects.create(
                clinic=clinic,
                patient=plan.patient,
                plan=plan,
                sequence=dosing.sequence,
                phase="integration",
                kind=PlannedSession.Kind.INTEGRATION,
                chair=None,
                starts_at=cap.aware(start, clinic),
                ends_at=cap.aware(start + timedelta(minutes=INTEGRATION_MINUTES), clinic),
                dose_mg=Decimal(0),
            )
            return


def exposure_doses(patient: Patient, *, include_booked: bool) -> list[tuple[datetime, Decimal]]:
    """Return (time, mg) of the patient's sessions held (and, with `include_booked`, booked)."""
    statuses = ["completed"] + (["booked", "checked_in"] if include_booked else [])
    rows = PlannedSession.objects.filter(
        clinic=patient.clinic,
        patient=patient,
        kind=PlannedSession.Kind.DOSING,
        status__in=statuses,
    )
    return [
        (r.starts_at, r.dose_mg_given if r.dose_mg_given is not None else r.dose_mg) for r in rows
    ]


def plan_cap_breaches(plan: TreatmentPlan) -> list[courses.CapBreach]:
    """Return where the patient's sessions (held and booked) would exceed the plan's caps."""
    return courses.cap_breaches(
        exposure_doses(plan.patient, include_booked=True),
        max_sessions_per_30_days=plan.protocol.max_sessions_per_30_days,
        max_mg_per_30_days=plan.protocol.max_mg_per_30_days,
    )


def plan_activate(
    *, actor: StaffMember, plan: TreatmentPlan, cap_sign_off_reason: str = ""
) -> TreatmentPlan:
    """Sign and activate a draft (or resume a paused) plan, prescribers only.

    Refused while `treatment_readiness` says no (its answer says what to do), and, when the
    sessions would exceed a cumulative-exposure cap, without the prescriber's written sign-off.
    """
    plan = find_one(actor, Perm.PLAN_MANAGE, TreatmentPlan.objects.all(), pk=plan.pk)
    if plan.status not in (TreatmentPlan.Status.DRAFT, TreatmentPlan.Status.PAUSED):
        raise ValidationError({"status": f"A {plan.status} plan cannot be activated."})
    readiness = treatment_readiness(plan.patient, plan.protocol.route, actor=actor)
    if not readiness.ready:
        raise ValidationError({"__all__": ["Not ready for treatment: ", *readiness.problems]})
    breaches = plan_cap_breaches(plan)
    reason = cap_sign_off_reason.strip()
    if breaches and not reason and plan.exposure_sign_off_by_id is None:
        raise ValidationError(
            {
                "cap_sign_off_reason": (
                    f"This plan would exceed a cap ({breaches[0].reason} by "
                    f"{breaches[0].window_ends:%Y-%m-%d}): write why you sign it off, or shorten "
                    "the course."
                )
            }
        )
    with transaction.atomic():
        resumed = plan.status == TreatmentPlan.Status.PAUSED
        plan.status = TreatmentPlan.Status.ACTIVE
        if not resumed:
            plan.signed_by = actor
            plan.signed_at = _now()
        if breaches and reason:
            plan.exposure_sign_off_by = actor
            plan.exposure_sign_off_reason = reason[:300]
        try:
            plan.save()
        except IntegrityError as error:
            raise ValidationError(
                {"status": "Another plan is already running for this patient."}
            ) from error
        for session in plan.sessions.filter(status=PlannedSession.Status.BOOKED, kind="dosing"):
            _session_scheduled(actor, session)
        record(
            actor=actor,
            action=Action.PLAN_ACTIVATE,
            patient=plan.patient,
            obj=plan,
            detail={"resumed": resumed, "cap_sign_off": reason if breaches else ""},
        )
    return plan


def _session_scheduled(actor: StaffMember, session: PlannedSession) -> None:
    treatment_event_recorded(
        actor=actor,
        patient=session.patient,
        kind="session_scheduled",
        at=session.starts_at,
        event_ref=f"planned-session-{session.pk}",
    )


def _session_moved(actor: StaffMember, session: PlannedSession) -> None:
    """Move the questionnaires due before `session` to its new day."""
    treatment_event_moved(
        actor=actor,
        patient=session.patient,
        event_ref=f"planned-session-{session.pk}",
        at=session.starts_at,
    )


def plan_set_status(
    *, actor: StaffMember, plan: TreatmentPlan, status: str, reason: str = ""
) -> TreatmentPlan:
    """Pause, complete or stop (with a reason) a plan; stopping or completing cancels the
    sessions still booked."""
    plan = find_one(actor, Perm.PLAN_MANAGE, TreatmentPlan.objects.all(), pk=plan.pk)
    allowed = {
        "paused": (TreatmentPlan.Status.ACTIVE,),
        "completed": (TreatmentPlan.Status.ACTIVE, TreatmentPlan.Status.PAUSED),
        "stopped": OPEN_STATUSES,
    }
    if status not in allowed:
        raise ValidationError({"status": "Choose paused, completed or stopped."})
    if plan.status not in allowed[status]:
        raise ValidationError({"status": f"A {plan.status} plan cannot become {status}."})
    reason = reason.strip()
    if status == "stopped" and not reason:
        raise ValidationError({"reason": "Say why the plan is stopped."})
    with transaction.atomic():
        old = plan.status
        plan.status = status
        if status == "stopped":
            plan.stop_reason = reason[:300]
        plan.save(update_fields=["status", "stop_reason", "updated_at"])
        cancelled = 0
        if status in ("stopped", "completed"):
            cancelled = plan.sessions.filter(status=PlannedSession.Status.BOOKED).update(
                status=PlannedSession.Status.CANCELLED, note=f"plan {status}"
            )
        record(
            actor=actor,
            action=Action.PLAN_STATUS_CHANGE,
            patient=plan.patient,
            obj=plan,
            changes={"status": [old, status]},
            detail={"reason": reason, "sessions_cancelled": cancelled},
        )
    return plan


REVIEW_DECISIONS = {
    "maintenance": "Responded: move to maintenance (boosters when symptoms return)",
    "extend": "Partial response: extend the induction",
    "complete": "Course complete: no further sessions planned",
    "stop": "No benefit or not tolerated: stop",
}


def plan_review(
    *, actor: StaffMember, plan: TreatmentPlan, decision: str, note: str
) -> TreatmentPlan:
    """Record the prescriber's end-of-induction decision; complete or stop ends the plan."""
    plan = find_one(actor, Perm.PLAN_MANAGE, TreatmentPlan.objects.all(), pk=plan.pk)
    if decision not in REVIEW_DECISIONS:
        raise ValidationError({"decision": "Choose one of: " + ", ".join(REVIEW_DECISIONS) + "."})
    if plan.status not in (TreatmentPlan.Status.ACTIVE, TreatmentPlan.Status.PAUSED):
        raise ValidationError({"decision": f"A {plan.status} plan has no review to record."})
    with transaction.atomic():
        plan.review_decision = decision
        plan.review_note = note.strip()[:500]
        plan.reviewed_by = actor
        plan.reviewed_at = _now()
        if decision in ("complete", "maintenance"):
            plan.status = TreatmentPlan.Status.COMPLETED
        elif decision == "stop":
            plan.status = TreatmentPlan.Status.STOPPED
            plan.stop_reason = (note.strip() or REVIEW_DECISIONS["stop"])[:300]
        plan.save()
        if plan.status in (TreatmentPlan.Status.COMPLETED, TreatmentPlan.Status.STOPPED):
            plan.sessions.filter(status=PlannedSession.Status.BOOKED).update(
                status=PlannedSession.Status.CANCELLED, note=f"review: {decision}"
            )
        record(
            actor=actor,
            action=Action.PLAN_REVIEW,
            patient=plan.patient,
            obj=plan,
            detail={"decision": decision, "note": plan.review_note},
        )
    return plan


def plan_dose_change(
    *, actor: StaffMember, plan: TreatmentPlan, dose: Decimal | str, reason: str
) -> TreatmentPlan:
    """Change the plan's dose (titration) within the protocol's range; the sessions still
    booked get the new planned mg."""
    plan = find_one(actor, Perm.PLAN_MANAGE, TreatmentPlan.objects.all(), pk=plan.pk)
    if plan.status not in OPEN_STATUSES:
        raise ValidationError({"dose": f"A {plan.status} plan's dose cannot change."})
    new = _parse_dose(dose, plan.protocol)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the dose changes."})
    with transaction.atomic():
        old = plan.dose
        plan.dose = new
        plan.save(update_fields=["dose", "updated_at"])
        for s in plan.sessions.filter(status=PlannedSession.Status.BOOKED, kind="dosing"):
            s.dose_mg = courses.session_dose_mg(
                plan.protocol.dose_unit,
                new,
                plan.weight_kg_used,
                plan.protocol.administration_minutes,
            )
            s.save(update_fields=["dose_mg", "updated_at"])
        record(
            actor=actor,
            action=Action.PLAN_DOSE_CHANGE,
            patient=plan.patient,
            obj=plan,
            changes={"dose": [str(old), str(new)]},
            detail={"reason": reason.strip()[:300]},
        )
    return plan


# --- clinic schedule settings --------------------------------------------------------------


def schedule_settings_set(
    *,
    actor: StaffMember,
    clinic: Clinic,
    patients_per_nurse: int,
    slot_minutes: int,
    booster_loss_fraction: Decimal,
    hours: dict[int, tuple[Any, Any] | None],
    nurses: dict[int, int] | None = None,
) -> None:
    """Set the clinic's nurse ratio, slot grid, booster trigger and opening hours per weekday
    (a day of None is closed); each open day's shift gets `nurses[weekday]` nurses."""
    require(actor, Perm.PROTOCOL_MANAGE, clinic)
    if not 1 <= patients_per_nurse <= 6:
        raise ValidationError({"patients_per_nurse": "Between 1 and 6 patients per nurse."})
    if slot_minutes not in (5, 10, 15, 20, 30, 60):
        raise ValidationError({"slot_minutes": "Choose 5, 10, 15, 20, 30 or 60 minutes."})
    if not Decimal("0.1") <= booster_loss_fraction <= Decimal("1"):
        raise ValidationError({"booster_loss_fraction": "Between 0.1 and 1 (half = 0.5)."})
    for weekday, pair in hours.items():
        if pair is not None and pair[0] >= pair[1]:
            raise ValidationError({f"closes_{weekday}": "Closing must come after opening."})
    with transaction.atomic():
        row = cap.lock_schedule(clinic)
        old = [row.patients_per_nurse, row.slot_minutes, str(row.booster_loss_fraction)]
        row.patients_per_nurse = patients_per_nurse
        row.slot_minutes = slot_minutes
        row.booster_loss_fraction = booster_loss_fraction
        row.updated_by = actor
        row.save()
        for weekday, pair in hours.items():
            OpeningHours.objects.filter(clinic=clinic, weekday=weekday).delete()
            StaffShift.objects.filter(clinic=clinic, weekday=weekday).delete()
            if pair is not None:
                OpeningHours.objects.create(
                    clinic=clinic, weekday=weekday, opens=pair[0], closes=pair[1]
                )
                StaffShift.objects.create(
                    clinic=clinic,
                    weekday=weekday,
                    starts=pair[0],
                    ends=pair[1],
                    nurses=(nurses or {}).get(weekday, 2),
                )
        record(
            actor=actor,
            action=Action.SCHEDULE_SETTINGS_CHANGE,
            clinic=clinic,
            obj=row,
            detail={
                "before": old,
                "after": [patients_per_nurse, slot_minutes, str(booster_loss_fraction)],
                "hours": {str(k): [str(v[0]), str(v[1])] if v else None for k, v in hours.items()},
            },
        )


def chair_add(*, actor: StaffMember, clinic: Clinic, room_name: str, chair_name: str) -> Chair:
    """Add an infusion chair to a room (the room is created if new)."""
    require(actor, Perm.PROTOCOL_MANAGE, clinic)
    room_name, chair_name = room_name.strip()[:100], chair_name.strip()[:100]
    if not room_name or not chair_name:
        raise ValidationError({"chair_name": "Name the room and the chair."})
    if Chair.objects.filter(clinic=clinic, name=chair_name).exists():
        raise ValidationError({"chair_name": f"{chair_name} exists already: choose another name."})
    with transaction.atomic():
        room, _ = Room.objects.get_or_create(clinic=clinic, name=room_name)
        chair = Chair.objects.create(clinic=clinic, room=room, name=chair_name)
        record(
            actor=actor,
            action=Action.SCHEDULE_SETTINGS_CHANGE,
            clinic=clinic,
            obj=chair,
            detail={"chair_added": chair_name, "room": room_name},
        )
    return chair
