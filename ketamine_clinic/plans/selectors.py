"""Reads of plans and the schedule: a patient's plan overview, the day and week views, the
booster worklist, the patient's appointment calendar (.ics)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.accounts.access import can, clinics_where
from ketamine_clinic.accounts.models import Clinic
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.reads import record_list_read
from ketamine_clinic.clinical import courses, outcomes
from ketamine_clinic.measures.models import Assessment
from ketamine_clinic.measures.selectors import WorklistItem
from ketamine_clinic.measures.trajectories import InstrumentOutcome, outcomes_of
from ketamine_clinic.patients.chart import HeaderItem

from . import capacity as cap
from .models import Chair, OpeningHours, PlannedSession, TreatmentPlan
from .services import exposure_doses, plan_cap_breaches

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import StaffMember
    from ketamine_clinic.patients.models import Patient


def _now() -> datetime:
    return timezone.now()


@dataclass(frozen=True)
class Outcome:
    instrument: str
    trajectory: outcomes.Trajectory | None
    booster: courses.BoosterStatus | None


@dataclass
class PlanView:
    plan: TreatmentPlan
    sessions: list[PlannedSession]
    dosing_total: int
    dosing_done: int
    next_session: PlannedSession | None
    review_due: bool
    outcome: Outcome
    breaches: list[courses.CapBreach] = field(default_factory=list)

    @property
    def booster_due(self) -> bool:
        return bool(self.outcome.booster and self.outcome.booster.due)


def outcome_for(plan: TreatmentPlan) -> Outcome:
    """Return the plan's outcome measure: baseline, latest, response, remission, booster."""
    found = outcomes_of(
        Assessment.objects.filter(patient=plan.patient_id, instrument_id=plan.outcome_instrument)
    )
    measured = found.get((plan.patient_id, plan.outcome_instrument))
    if measured is None:
        return Outcome(plan.outcome_instrument, None, None)
    loss = cap.settings_for(plan.clinic).booster_loss_fraction if _booster_applies(plan) else None
    return _outcome(plan, measured, loss)


def _outcome(plan: TreatmentPlan, measured: InstrumentOutcome, loss: Decimal | None) -> Outcome:
    """Return the plan's outcome; its booster status when `loss` (the clinic's trigger) is given."""
    booster = None
    if loss is not None:
        booster = courses.booster_status_of(
            baseline=measured.trajectory.baseline,
            best=measured.best,
            latest=measured.latest,
            loss_fraction=loss,
        )
    return Outcome(plan.outcome_instrument, measured.trajectory, booster)


def _booster_applies(plan: TreatmentPlan) -> bool:
    """A booster is judged for a running maintenance plan (its phase ends on symptom return)."""
    return plan.status == TreatmentPlan.Status.ACTIVE and any(
        "symptom" in str(p.get("ends", "")).lower() for p in plan.protocol.phases
    )


def plan_view(plan: TreatmentPlan) -> PlanView:
    sessions = list(plan.sessions.select_related("chair").order_by("starts_at", "kind"))
    dosing = [s for s in sessions if s.kind == PlannedSession.Kind.DOSING]
    live = [s for s in dosing if s.status in PlannedSession.HOLDS_CHAIR]
    done = [s for s in dosing if s.status == PlannedSession.Status.COMPLETED]
    now = _now()
    upcoming = [s for s in live if s.status == "booked" and s.starts_at >= now]
    total = sum(int(p["sessions"]) for p in plan.protocol.phases)
    review_due = (
        plan.status == TreatmentPlan.Status.ACTIVE
        and not plan.review_decision
        and plan.protocol.phases[0].get("ends", "").startswith("End-of-induction")
        and len(done) >= total
    )
    return PlanView(
        plan=plan,
        sessions=sessions,
        dosing_total=total,
        dosing_done=len(done),
        next_session=upcoming[0] if upcoming else None,
        review_due=review_due,
        outcome=outcome_for(plan),
        breaches=plan_cap_breaches(plan) if plan.status == "draft" else [],
    )


def patient_plans(patient: Patient) -> list[TreatmentPlan]:
    return list(
        TreatmentPlan.objects.filter(clinic=patient.clinic, patient=patient).select_related(
            "protocol", "signed_by", "created_by"
        )
    )


def current_plan(patient: Patient) -> TreatmentPlan | None:
    return (
        TreatmentPlan.objects.filter(
            clinic=patient.clinic, patient=patient, status__in=["draft", "active", "paused"]
        )
        .select_related("protocol")
        .first()
    )


def patient_exposure(patient: Patient, at: datetime | None = None) -> courses.Exposure:
    """Return the patient's cumulative exposure from the sessions held."""
    return courses.exposure(exposure_doses(patient, include_booked=False), at or _now())


def plan_header_items(patient: Patient, viewer: StaffMember | None) -> list[HeaderItem]:
    """The chart header's plan facts: the current plan, the next session, 30-day exposure."""
    if viewer is None or not can(viewer, Perm.PLAN_VIEW, patient.clinic):
        return []
    plan = current_plan(patient)
    items = []
    if plan is not None:
        view = plan_view(plan)
        items.append(
            HeaderItem(
                "Plan",
                f"{plan.protocol.name} ({plan.get_status_display().lower()}), "
                f"{view.dosing_done} of {view.dosing_total} done",
                level="warn" if view.review_due or view.booster_due else "",
                note="review due"
                if view.review_due
                else ("booster due" if view.booster_due else ""),
            )
        )
        if view.next_session is not None:
            at = cap.local(view.next_session.starts_at, patient.clinic)
            items.append(HeaderItem("Next session", f"{at:%a %Y-%m-%d %H:%M}"))
    e = patient_exposure(patient)
    if e.sessions_total:
        items.append(
            HeaderItem("30-day exposure", f"{e.sessions_30_days} sessions, {e.mg_30_days:g} mg")
        )
    return items


@dataclass(frozen=True)
class BoosterRow:
    plan: TreatmentPlan
    reason: str


def booster_worklist(actor: StaffMember) -> list[BoosterRow]:
    """Return the running maintenance plans whose booster is due, at the actor's clinics.

    One outcomes query for every plan's patient (no query per patient).
    """
    plans = [
        plan
        for plan in TreatmentPlan.objects.filter(
            clinic__in=clinics_where(actor, Perm.PLAN_VIEW), status=TreatmentPlan.Status.ACTIVE
        ).select_related("protocol", "patient", "clinic")
        if _booster_applies(plan)
    ]
    if not plans:
        return []
    found = outcomes_of(Assessment.objects.filter(patient__in={p.patient_id for p in plans}))
    clinics = {p.clinic for p in plans}
    losses = {c.pk: cap.settings_for(c).booster_loss_fraction for c in clinics}
    rows = []
    for plan in plans:
        measured = found.get((plan.patient_id, plan.outcome_instrument))
        if measured is None:
            continue
        booster = _outcome(plan, measured, losses[plan.clinic_id]).booster
        if booster is not None and booster.due:
            rows.append(BoosterRow(plan, booster.reason))
    return rows


def booster_worklist_items(actor: StaffMember) -> list[WorklistItem]:
    """The worklist's "Booster due" rows (audited as a list read of the patients shown)."""
    rows = booster_worklist(actor)
    record_list_read(
        actor, [r.plan for r in rows], action=Action.PLAN_VIEW, detail={"via": "worklist"}
    )
    return [
        WorklistItem(
            "Booster due",
            r.plan.patient,
            r.reason,
            reverse("plans:patient", args=[r.plan.patient_id]),
        )
        for r in rows
    ]


def completed_without_a_session() -> QuerySet[PlannedSession]:
    """Return the dosing sessions recorded completed, with mg given, by the schedule alone (no
    treatment session behind them), each with its treatment time `treated_at`: the booked start.

    Registered as a treatment-times provider: a dose recorded on the schedule is a treatment
    for the baseline as much as one given through the session flowsheet (whose own provider
    gives the administration's start).
    """
    return PlannedSession.objects.filter(
        kind=PlannedSession.Kind.DOSING,
        status=PlannedSession.Status.COMPLETED,
        dose_mg_given__gt=0,
        treatment_session__isnull=True,
    ).annotate(treated_at=F("starts_at"))


@dataclass
class DayRow:
    chair: Chair
    sessions: list[dict[str, object]]


def schedule_day(clinic: Clinic, day: date) -> tuple[list[DayRow], tuple[time, time] | None]:
    """Return chairs × sessions of one local day, each with its phase and monitoring window,
    and the day's opening hours."""
    hours_row = OpeningHours.objects.filter(clinic=clinic, weekday=day.weekday()).first()
    hours = (hours_row.opens, hours_row.closes) if hours_row else None
    tz = cap.tz_of(clinic)
    begin = datetime.combine(day, time.min, tzinfo=tz)
    end = begin + timedelta(days=1)
    sessions = (
        PlannedSession.objects.filter(
            clinic=clinic,
            kind=PlannedSession.Kind.DOSING,
            starts_at__gte=begin,
            starts_at__lt=end,
        )
        .exclude(status=PlannedSession.Status.CANCELLED)
        .select_related("patient", "plan__protocol", "chair")
    )
    rows = {
        c.pk: DayRow(c, [])
        for c in Chair.objects.filter(clinic=clinic, is_active=True).select_related("room")
    }
    for s in sessions:
        p = s.plan.protocol
        start = cap.local(s.starts_at, clinic)
        dosing_from = start + timedelta(minutes=p.prep_minutes)
        monitor_from = dosing_from + timedelta(minutes=p.administration_minutes)
        monitor_to = monitor_from + timedelta(minutes=p.min_monitoring_minutes)
        if s.chair_id not in rows:
            continue
        rows[s.chair_id].sessions.append(
            {
                "session": s,
                "start": start,
                "end": cap.local(s.ends_at, clinic),
                "dosing_from": dosing_from,
                "monitor_from": monitor_from,
                "monitor_to": monitor_to,
                "offset": _minutes_from(hours, start),
                "length": int((s.ends_at - s.starts_at).total_seconds() // 60),
            }
        )
    return list(rows.values()), hours


def _minutes_from(hours: tuple[time, time] | None, t: datetime) -> int:
    if hours is None:
        return 0
    return int((t - datetime.combine(t.date(), hours[0])).total_seconds() // 60)


@dataclass(frozen=True)
class DayLoad:
    day: date
    sessions: int
    chair_minutes: int
    open_chair_minutes: int

    @property
    def percent(self) -> int:
        return (
            round(100 * self.chair_minutes / self.open_chair_minutes)
            if self.open_chair_minutes
            else 0
        )


def schedule_week(clinic: Clinic, monday: date) -> list[DayLoad]:
    """Return the load of each day of the week starting `monday`."""
    hours = {h.weekday: h for h in OpeningHours.objects.filter(clinic=clinic)}
    chairs = Chair.objects.filter(clinic=clinic, is_active=True).count()
    tz = cap.tz_of(clinic)
    begin = datetime.combine(monday, time.min, tzinfo=tz)
    rows = PlannedSession.objects.filter(
        clinic=clinic,
        kind=PlannedSession.Kind.DOSING,
        status__in=PlannedSession.HOLDS_CHAIR,
        starts_at__gte=begin,
        starts_at__lt=begin + timedelta(days=7),
    )
    per_day: dict[date, list[PlannedSession]] = {}
    for s in rows:
        per_day.setdefault(cap.local(s.starts_at, clinic).date(), []).append(s)
    out = []
    for i in range(7):
        d = monday + timedelta(days=i)
        h = hours.get(d.weekday())
        open_minutes = 0
        if h is not None:
            open_minutes = chairs * int(
                (datetime.combine(d, h.closes) - datetime.combine(d, h.opens)).total_seconds() // 60
            )
        day_rows = per_day.get(d, [])
        used = sum(int((s.ends_at - s.starts_at).total_seconds() // 60) for s in day_rows)
        out.append(DayLoad(d, len(day_rows), used, open_minutes))
    return out


def _ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def patient_ics(patient: Patient) -> str:
    """Return the patient's booked appointments as an iCalendar file: times and the clinic's
    name and address only (no drug, dose or diagnosis)."""
    clinic = patient.clinic
    stamp = _now().strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//clinic//appointments//EN"  # no product name: it would say "ketamine",
        "CALSCALE:GREGORIAN",
    ]
    sessions = PlannedSession.objects.filter(
        clinic=clinic, patient=patient, status=PlannedSession.Status.BOOKED, starts_at__gte=_now()
    ).order_by("starts_at")
    for s in sessions:
        lines += [
            "BEGIN:VEVENT",
            f"UID:planned-session-{s.pk}@appointments",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{s.starts_at.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}",
            f"DTEND:{s.ends_at.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}",
            f"SUMMARY:{_ics_escape('Appointment at ' + clinic.name)}",
            f"LOCATION:{_ics_escape(clinic.address or clinic.name)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
