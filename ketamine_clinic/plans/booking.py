"""Booking, rescheduling and the status of planned sessions, conflict-free under concurrency.

Every booking takes the clinic's schedule lock (`capacity.lock_schedule`) and re-reads the
bookings inside the transaction, so two front-desk users booking the last chair at 10:00 get
one booking and one clear refusal; the unique (chair, start) constraint is the last guard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.reads import find_one
from ketamine_clinic.audit.services import record
from ketamine_clinic.clinical import scheduling

from . import capacity as cap
from .models import Chair, PlannedSession, TreatmentPlan
from .services import HORIZON_DAYS, _session_moved, _session_scheduled, session_dose

LIVE = PlannedSession.HOLDS_CHAIR


def _now() -> datetime:
    return timezone.now()


def _phase_for(plan: TreatmentPlan, sequence: int) -> scheduling.PhaseRule:
    rules = cap.phase_rules(plan.protocol)
    for seq, rule in scheduling.course_sessions(rules):
        if seq == sequence:
            return rule
    return rules[-1]  # a session beyond the course (a booster) follows the last phase


def _alternatives(
    capacity: scheduling.Capacity,
    day: date,
    timing: scheduling.SessionTiming,
    after: datetime,
    clinic_chairs: dict[int, str],
) -> str:
    found = capacity.earliest_on(day, timing, after)
    if found is None:
        return "No chair and nurse are free later that day: choose another day."
    chair, at = found
    return f"Free then: {clinic_chairs[chair]} at {at:%H:%M}."


def session_book(
    *,
    actor: StaffMember,
    plan: TreatmentPlan,
    starts_at: datetime,
    chair: Chair | None = None,
) -> PlannedSession:
    """Book the plan's next session at `starts_at` (on `chair`, or the first chair free then).

    Refused, saying why and what would work, in the past, outside opening hours, on a chair
    already taken, beyond the nurses on duty, or closer to the plan's other sessions than the
    protocol allows.
    """
    plan = find_one(actor, Perm.SCHEDULE_BOOK, TreatmentPlan.objects.all(), pk=plan.pk)
    clinic = plan.clinic
    if plan.status not in (TreatmentPlan.Status.DRAFT, TreatmentPlan.Status.ACTIVE):
        raise ValidationError({"plan": f"A {plan.status} plan takes no bookings."})
    if starts_at <= _now():
        raise ValidationError({"starts_at": "This time has passed: choose a time from now on."})
    start = cap.local(starts_at, clinic)
    timing = cap.timing_of(plan.protocol)
    with transaction.atomic():
        cap.lock_schedule(clinic)
        capacity = cap.clinic_capacity(clinic, start.date(), start.date())
        names = dict(Chair.objects.filter(clinic=clinic).values_list("pk", "name"))
        if chair is not None:
            if chair.clinic_id != clinic.pk or not chair.is_active:
                raise ValidationError({"chair": "Choose an active chair of this clinic."})
            problem = capacity.why_not(chair.pk, start, timing)
            chosen = chair.pk
        else:
            problem = "No chair is free then."
            chosen = None
            for candidate in capacity.chairs:
                reason = capacity.why_not(candidate, start, timing)
                if reason is None:
                    problem, chosen = None, candidate
                    break
                if "outside opening" in reason or "closed" in reason or "nurse" in reason:
                    problem = reason
                    break
        if problem is not None:
            field = "chair" if "chair" in problem.lower() and chair is not None else "starts_at"
            hint = _alternatives(capacity, start.date(), timing, start, names)
            raise ValidationError({field: f"{problem} {hint}"})
        live = plan.sessions.filter(status__in=LIVE, kind=PlannedSession.Kind.DOSING)
        sequence = 1 + max([0, *live.values_list("sequence", flat=True)])
        rule = _phase_for(plan, sequence)
        for other in live:
            gap = abs((cap.local(other.starts_at, clinic).date() - start.date()).days)
            if gap < rule.min_gap_days:
                earliest = cap.local(other.starts_at, clinic).date() + timedelta(rule.min_gap_days)
                raise ValidationError(
                    {
                        "starts_at": f"Session {other.sequence} is on "
                        f"{cap.local(other.starts_at, clinic):%Y-%m-%d}: the protocol asks for "
                        f"at least {rule.min_gap_days} days between sessions. The earliest day "
                        "that keeps it: "
                        f"{earliest:%Y-%m-%d}."
                    }
                )
        try:
            with transaction.atomic():
                session = PlannedSession.objects.create(
                    clinic=clinic,
                    patient=plan.patient,
                    plan=plan,
                    sequence=sequence,
                    phase=rule.name,
                    chair_id=chosen,
                    starts_at=cap.aware(start, clinic),
                    ends_at=cap.aware(timing.end(start), clinic),
                    dose_mg=session_dose(
                        plan.protocol, plan.dose, plan.weight_kg_used, rule.name, sequence == 1
                    ),
                )
        except IntegrityError as error:
            raise ValidationError(
                {
                    "starts_at": "Someone booked this chair at this time a moment ago: "
                    "choose another."
                }
            ) from error
        if plan.status == TreatmentPlan.Status.ACTIVE:
            _session_scheduled(actor, session)
        record(
            actor=actor,
            action=Action.SESSION_BOOK,
            patient=plan.patient,
            obj=session,
            detail={
                "plan": plan.pk,
                "sequence": sequence,
                "chair": names.get(chosen or 0, ""),
                "starts_at": session.starts_at.isoformat(),
            },
        )
    return session


@dataclass(frozen=True)
class Move:
    sequence: int
    old: datetime | None  # None: a new booking (the missed session done again)
    new: datetime
    chair: str


def session_missed_reschedule(*, actor: StaffMember, session: PlannedSession) -> list[Move]:
    """Mark a session missed, book it again and shift the rest of the course so the spacing
    still holds; return what moved."""
    session = find_one(actor, Perm.SCHEDULE_BOOK, PlannedSession.objects.all(), pk=session.pk)
    plan = session.plan
    clinic = plan.clinic
    if session.status not in (PlannedSession.Status.BOOKED, PlannedSession.Status.CHECKED_IN):
        raise ValidationError({"status": f"A {session.status} session cannot be missed."})
    if session.kind != PlannedSession.Kind.DOSING:
        raise ValidationError({"status": "Only a dosing session is rescheduled this way."})
    if plan.status not in (TreatmentPlan.Status.ACTIVE, TreatmentPlan.Status.DRAFT):
        raise ValidationError({"plan": f"A {plan.status} plan is not rescheduled."})
    now = _now()
    with transaction.atomic():
        cap.lock_schedule(clinic)
        session.status = PlannedSession.Status.MISSED
        session.save(update_fields=["status", "updated_at"])
        sessions = list(plan.sessions.filter(kind=PlannedSession.Kind.DOSING, status__in=LIVE))
        kept = [
            s
            for s in sessions
            if s.status != PlannedSession.Status.BOOKED or s.sequence < session.sequence
        ]
        moving = {s.sequence: s for s in sessions if s not in kept}
        integration = list(
            plan.sessions.filter(
                kind=PlannedSession.Kind.INTEGRATION,
                status=PlannedSession.Status.BOOKED,
                sequence__gte=session.sequence,
            )
        )
        done = [
            scheduling.Done(s.sequence, s.phase, cap.local(s.starts_at, clinic).date())
            for s in kept
        ]
        today = cap.local(now, clinic).date()
        first_day = min((d.day for d in done), default=None)
        capacity = cap.clinic_capacity(
            clinic,
            today,
            today + timedelta(days=HORIZON_DAYS),
            exclude=[s.pk for s in moving.values()],
        )
        proposal = scheduling.propose(
            cap.phase_rules(plan.protocol),
            cap.timing_of(plan.protocol),
            capacity,
            start=today,
            not_before=cap.local(now, clinic),
            done=done,
            course_start=first_day,
            horizon_days=HORIZON_DAYS,
        )
        for row in integration:
            row.status = PlannedSession.Status.CANCELLED
            row.note = "moved with the course"
            row.save(update_fields=["status", "note", "updated_at"])
        # A shifted session may take the slot of a later one that shifts too: free their
        # chairs first, so that no save meets a slot still held by a row about to move.
        PlannedSession.objects.filter(pk__in=[s.pk for s in moving.values()]).update(chair=None)
        names = dict(Chair.objects.filter(clinic=clinic).values_list("pk", "name"))
        moves = []
        from .services import _book_integration

        for slot in proposal.slots:
            existing = moving.get(slot.sequence)
            if existing is None:
                row = PlannedSession(
                    clinic=clinic,
                    patient=plan.patient,
                    plan=plan,
                    sequence=slot.sequence,
                    phase=slot.phase,
                    dose_mg=session.dose_mg,
                )
                old = None
            else:
                row, old = existing, existing.starts_at
            row.chair_id = slot.chair
            row.starts_at = cap.aware(slot.starts_at, clinic)
            row.ends_at = cap.aware(slot.ends_at, clinic)
            row.save()
            if plan.status == TreatmentPlan.Status.ACTIVE:
                if old is None:
                    _session_scheduled(actor, row)
                elif old != row.starts_at:
                    _session_moved(actor, row)
            if plan.protocol.integration_within_days:
                _book_integration(plan, row)
            if old != row.starts_at:
                moves.append(Move(slot.sequence, old, row.starts_at, names.get(slot.chair, "")))
        record(
            actor=actor,
            action=Action.SESSION_RESCHEDULE,
            patient=plan.patient,
            obj=session,
            detail={
                "missed": session.sequence,
                "moved": [
                    [m.sequence, m.old.isoformat() if m.old else None, m.new.isoformat()]
                    for m in moves
                ],
                "warnings": proposal.warnings,
            },
        )
    return moves


def session_set_status(
    *,
    actor: StaffMember,
    session: PlannedSession,
    status: str,
    dose_mg_given: Decimal | None = None,
    note: str = "",
) -> PlannedSession:
    """Record a planned session checked in, completed (with the mg given), missed or cancelled.

    The session flow calls this when the patient arrives and when the session is signed.
    """
    session = find_one(actor, Perm.SCHEDULE_BOOK, PlannedSession.objects.all(), pk=session.pk)
    allowed = {
        "checked_in": ("booked",),
        "completed": ("booked", "checked_in"),
        "missed": ("booked", "checked_in"),
        "cancelled": ("booked", "checked_in"),
    }
    if status not in allowed:
        raise ValidationError({"status": "Choose checked_in, completed, missed or cancelled."})
    if session.status not in allowed[status]:
        raise ValidationError({"status": f"A {session.status} session cannot become {status}."})
    if status == "completed" and session.kind == "dosing" and dose_mg_given is None:
        raise ValidationError({"dose_mg_given": "Record the mg given (0 if none)."})
    with transaction.atomic():
        old = session.status
        session.status = status
        if dose_mg_given is not None:
            session.dose_mg_given = dose_mg_given
        if note:
            session.note = note.strip()[:300]
        session.save()
        record(
            actor=actor,
            action=Action.SESSION_STATUS_CHANGE,
            patient=session.patient,
            obj=session,
            changes={"status": [old, status]},
            detail={"dose_mg_given": str(dose_mg_given) if dose_mg_given is not None else None},
        )
    return session
