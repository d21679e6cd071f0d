"""Protocols, treatment plans and the schedule in the JSON API (under /api/v1/)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema, Status

from ketamine_clinic.accounts.access import clinics_where, require
from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.reads import find_one, read_one, record_list_read
from ketamine_clinic.common.api import ErrorOut, Strict
from ketamine_clinic.patients.models import Patient

from . import booking, selectors, services
from . import capacity as cap
from .models import Chair, PlannedSession, Protocol, TreatmentPlan

router = Router(tags=["plans"])


class ProtocolOut(Schema):
    id: int
    clinic_id: int
    slug: str
    version: int
    is_current: bool
    name: str
    route: str
    indication_kind: str
    dose_unit: str
    dose_default: Decimal
    dose_min: Decimal
    dose_max: Decimal
    titration_step: Decimal
    administration_minutes: int
    min_monitoring_minutes: int
    prep_minutes: int
    turnover_minutes: int
    chair_minutes: int
    phases: list[dict[str, Any]]
    max_sessions_per_30_days: int
    max_mg_per_30_days: Decimal
    instruments: dict[str, Any]
    session_limits: dict[str, Any]
    bladder_check_every_sessions: int
    liver_tests_every_days: int
    requires_urine_drug_screen: bool
    integration_within_days: int | None
    provenance: dict[str, str]
    source: str
    signed_at: datetime | None


class PlanIn(Strict):
    protocol: int | str
    start_date: date
    dose: Decimal | None = None


class SessionOut(Schema):
    id: int
    sequence: int
    kind: str
    phase: str
    status: str
    start: datetime
    end: datetime
    chair: str | None
    dose_mg: Decimal


class PlanOut(Schema):
    id: int
    patient_id: int
    protocol: str
    protocol_version: int
    status: str
    stop_reason: str
    dose: Decimal
    dose_unit: str
    weight_kg_used: Decimal | None
    start_date: date
    signed_at: datetime | None
    review_due: bool
    booster_due: bool
    sessions: list[SessionOut]
    warnings: list[str] = []
    actions: list[str]


class ActionIn(Strict):
    action: str
    reason: str = ""
    dose: Decimal | None = None
    decision: str = ""


def _staff(request: HttpRequest) -> StaffMember:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _session_out(s: PlannedSession) -> dict[str, Any]:
    return {
        "id": s.pk,
        "sequence": s.sequence,
        "kind": s.kind,
        "phase": s.phase,
        "status": s.status,
        "start": s.starts_at,
        "end": s.ends_at,
        "chair": s.chair.name if s.chair else None,
        "dose_mg": s.dose_mg,
    }


def plan_actions(plan: TreatmentPlan) -> list[str]:
    return {
        "draft": ["activate", "stop"],
        "active": ["pause", "complete", "stop", "dose", "review"],
        "paused": ["activate", "complete", "stop"],
    }.get(plan.status, [])


def _plan_out(plan: TreatmentPlan, warnings: list[str] | None = None) -> dict[str, Any]:
    view = selectors.plan_view(plan)
    return {
        "id": plan.pk,
        "patient_id": plan.patient_id,
        "protocol": plan.protocol.slug,
        "protocol_version": plan.protocol.version,
        "status": plan.status,
        "stop_reason": plan.stop_reason,
        "dose": plan.dose,
        "dose_unit": plan.protocol.dose_unit,
        "weight_kg_used": plan.weight_kg_used,
        "start_date": plan.start_date,
        "signed_at": plan.signed_at,
        "review_due": view.review_due,
        "booster_due": view.booster_due,
        "sessions": [_session_out(s) for s in view.sessions],
        "warnings": warnings or [],
        "actions": plan_actions(plan),
    }


@router.get("/protocols", response=list[ProtocolOut])
def protocol_list(request: HttpRequest, all_versions: bool = False) -> list[Protocol]:
    """The protocols of your clinics (current versions; `all_versions=true` for every one)."""
    staff = _staff(request)
    clinics = clinics_where(staff, Perm.CHART_VIEW) | clinics_where(staff, Perm.SCHEDULE_VIEW)
    for clinic in clinics.distinct():
        services.protocols_seed(clinic=clinic)
    qs = Protocol.objects.filter(clinic__in=clinics)
    if not all_versions:
        qs = qs.filter(is_current=True)
    return list(qs.order_by("clinic_id", "slug", "-version"))


@router.post(
    "/patients/{patient_id}/plans",
    response={201: PlanOut, 404: ErrorOut, 422: ErrorOut},
)
def plan_create(request: HttpRequest, patient_id: int, payload: PlanIn) -> Status[dict[str, Any]]:
    """Create a draft plan from a protocol (id or slug) with its proposed, booked calendar."""
    staff = _staff(request)
    patient = find_one(staff, Perm.PLAN_MANAGE, Patient.objects.all(), pk=patient_id)
    services.protocols_seed(clinic=patient.clinic)
    result = services.plan_create(
        actor=staff,
        patient=patient,
        protocol=payload.protocol,
        start_date=payload.start_date,
        dose=payload.dose,
    )
    return Status(201, _plan_out(result.plan, result.warnings))


@router.get("/patients/{patient_id}/plans", response=list[PlanOut])
def plan_list(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    """The patient's plans, newest first, with their sessions."""
    staff = _staff(request)
    patient = read_one(
        staff,
        Perm.PLAN_VIEW,
        Patient.objects.all(),
        action=Action.PLAN_VIEW,
        detail={"read": "plans"},
        pk=patient_id,
    )
    return [_plan_out(p) for p in selectors.patient_plans(patient)]


@router.post("/plans/{plan_id}/actions", response={200: PlanOut, 404: ErrorOut, 422: ErrorOut})
def plan_action(request: HttpRequest, plan_id: int, payload: ActionIn) -> dict[str, Any]:
    """activate | pause | complete | stop (reason) | dose (dose, reason) | review (decision)."""
    staff = _staff(request)
    plan = find_one(staff, Perm.PLAN_MANAGE, TreatmentPlan.objects.all(), pk=plan_id)
    if payload.action == "activate":
        plan = services.plan_activate(actor=staff, plan=plan, cap_sign_off_reason=payload.reason)
    elif payload.action in ("pause", "complete", "stop"):
        status = {"pause": "paused", "complete": "completed", "stop": "stopped"}[payload.action]
        plan = services.plan_set_status(
            actor=staff, plan=plan, status=status, reason=payload.reason
        )
    elif payload.action == "dose":
        if payload.dose is None:
            raise ValidationError({"dose": "Give the new dose."})
        plan = services.plan_dose_change(
            actor=staff, plan=plan, dose=payload.dose, reason=payload.reason
        )
    elif payload.action == "review":
        plan = services.plan_review(
            actor=staff, plan=plan, decision=payload.decision, note=payload.reason
        )
    else:
        raise ValidationError({"action": "Choose activate, pause, complete, stop, dose or review."})
    return _plan_out(plan)


class BookIn(Strict):
    starts_at: datetime
    chair: int | None = None


@router.post("/plans/{plan_id}/sessions", response={201: SessionOut, 404: ErrorOut, 422: ErrorOut})
def session_book(request: HttpRequest, plan_id: int, payload: BookIn) -> Status[dict[str, Any]]:
    """Book the plan's next session at a time (and chair); a taken slot answers 422."""
    staff = _staff(request)
    plan = find_one(staff, Perm.SCHEDULE_BOOK, TreatmentPlan.objects.all(), pk=plan_id)
    chair = None
    if payload.chair is not None:
        chair = Chair.objects.filter(clinic=plan.clinic, pk=payload.chair).first()
        if chair is None:
            raise ValidationError({"chair": "No such chair at this clinic."})
    starts = payload.starts_at
    if starts.tzinfo is None:
        starts = cap.aware(starts, plan.clinic)
    session = booking.session_book(actor=staff, plan=plan, starts_at=starts, chair=chair)
    return Status(201, _session_out(session))


class MovedOut(Schema):
    sequence: int
    old: datetime | None
    new: datetime
    chair: str


@router.post(
    "/planned-sessions/{planned_session_id}/missed",
    response={200: list[MovedOut], 404: ErrorOut, 422: ErrorOut},
)
def session_missed(request: HttpRequest, planned_session_id: int) -> list[Any]:
    """Mark a planned session missed and shift the rest of the course; answers what moved."""
    staff = _staff(request)
    session = find_one(
        staff, Perm.SCHEDULE_BOOK, PlannedSession.objects.all(), pk=planned_session_id
    )
    return list(booking.session_missed_reschedule(actor=staff, session=session))


class ScheduleSessionOut(Schema):
    id: int
    patient_id: int
    patient: str
    chair: str
    phase: str
    status: str
    start: datetime
    end: datetime
    monitoring_from: datetime
    monitoring_to: datetime


class ScheduleOut(Schema):
    clinic_id: int
    date: date
    opens: str | None
    closes: str | None
    sessions: list[ScheduleSessionOut]


@router.get("/schedule", response={200: list[ScheduleOut], 422: ErrorOut})
def schedule(request: HttpRequest, date: date, clinic: int | None = None) -> list[dict[str, Any]]:
    """Each of your clinics' booked sessions on `date` (YYYY-MM-DD), chair by chair."""
    staff = _staff(request)
    clinics = clinics_where(staff, Perm.SCHEDULE_VIEW)
    if clinic is not None:
        clinics = clinics.filter(pk=clinic)
    out = []
    shown: list[PlannedSession] = []
    for c in clinics:
        require(staff, Perm.SCHEDULE_VIEW, c)
        rows, hours = selectors.schedule_day(c, date)
        sessions = []
        for row in rows:
            for item in row.sessions:
                s: PlannedSession = item["session"]  # type: ignore[assignment]
                shown.append(s)
                sessions.append(
                    {
                        "id": s.pk,
                        "patient_id": s.patient_id,
                        "patient": s.patient.display_name,
                        "chair": row.chair.name,
                        "phase": s.phase,
                        "status": s.status,
                        "start": s.starts_at,
                        "end": s.ends_at,
                        "monitoring_from": cap.aware(item["monitor_from"], c),  # type: ignore[arg-type]
                        "monitoring_to": cap.aware(item["monitor_to"], c),  # type: ignore[arg-type]
                    }
                )
        out.append(
            {
                "clinic_id": c.pk,
                "date": date,
                "opens": hours[0].strftime("%H:%M") if hours else None,
                "closes": hours[1].strftime("%H:%M") if hours else None,
                "sessions": sessions,
            }
        )
    record_list_read(staff, shown, action=Action.SCHEDULE_VIEW, detail={"date": f"{date}"})
    return out
