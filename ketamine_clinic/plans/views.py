"""Pages: the chart's Plan tab, the schedule (day and week), protocols, schedule settings."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from ketamine_clinic.accounts.access import can, require
from ketamine_clinic.accounts.http import StaffRequest, chosen_clinic
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.reads import find_one, read_one, record_list_read
from ketamine_clinic.clinical.ledger import mg_text
from ketamine_clinic.clinical.pharmacokinetics.prediction import PredictionRequest
from ketamine_clinic.clinical.protocol_library import CLINIC_DEFAULT
from ketamine_clinic.common.forms import add_service_errors
from ketamine_clinic.patients.chart import chart_context
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.pk.prediction_block import prediction_block

from . import booking, selectors, services
from . import capacity as cap
from .forms import PlanForm, ProtocolVersionForm, ScheduleSettingsForm
from .models import OpeningHours, PlannedSession, Protocol, TreatmentPlan

UNITS = {
    "max_sessions_per_30_days": "sessions",
    "max_mg_per_30_days": "mg",
    "bladder_check_every_sessions": "sessions",
    "liver_tests_every_days": "days",
    "integration_within_days": "days",
}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _errors(error: ValidationError) -> str:
    return " ".join(
        m for ms in getattr(error, "message_dict", {"": error.messages}).values() for m in ms
    )


def _prediction(plan: TreatmentPlan) -> Any:
    """The predicted curve of the plan's dose (PK prediction block)."""
    p = plan.protocol
    times = list(range(0, 481, 5))
    if p.route == "intranasal":
        req = PredictionRequest(
            drug="esketamine", route="intranasal", dose_mg=int(plan.dose), times_min=times
        )
    elif p.route in ("iv", "im") and plan.weight_kg_used:
        if p.dose_unit == "mg_per_kg":
            per_kg = plan.dose
        elif p.dose_unit == "mg_per_kg_per_hour":
            per_kg = plan.dose * Decimal(p.administration_minutes) / 60
        else:
            return None
        infusion = p.administration_minutes if p.route == "iv" else 0
        req = PredictionRequest(
            weight_kg=float(plan.weight_kg_used),
            dose_mg_per_kg=float(per_kg),
            route=p.route,
            infusion_min=infusion,
            times_min=times,
        )
    else:
        return None
    label = f"{mg_text(plan.dose)} {p.get_dose_unit_display()} ({p.name})"
    return prediction_block([(label, req)])


@login_required
def patient_plan(request: StaffRequest, patient_id: int) -> HttpResponse:
    context = chart_context(request, patient_id, "plan")
    patient: Patient = context["patient"]
    require(request.user, Perm.PLAN_VIEW, patient.clinic, patient)
    services.protocols_seed(clinic=patient.clinic)
    plans = selectors.patient_plans(patient)
    current = selectors.current_plan(patient)
    view = selectors.plan_view(current) if current else None
    readiness = None
    if current is not None and current.status == "draft":
        from ketamine_clinic.screening.services import treatment_readiness

        readiness = treatment_readiness(patient, current.protocol.route, actor=request.user)
    can_manage = can(request.user, Perm.PLAN_MANAGE, patient.clinic)
    form = PlanForm(clinic=patient.clinic)
    context.update(
        plans=plans,
        view=view,
        readiness=readiness,
        exposure=selectors.patient_exposure(patient),
        can_manage=can_manage,
        can_book=can(request.user, Perm.SCHEDULE_BOOK, patient.clinic),
        form=form,
        review_decisions=services.REVIEW_DECISIONS,
        prediction=_prediction(current) if current else None,
        clinic_default=CLINIC_DEFAULT,
        local=lambda dt: cap.local(dt, patient.clinic),
        sessions=[
            {
                "s": s,
                "start": cap.local(s.starts_at, patient.clinic),
                "end": cap.local(s.ends_at, patient.clinic),
            }
            for s in (view.sessions if view else [])
        ],
    )
    return render(request, "plans/chart_plan.html", context)


@login_required
@require_POST
def plan_create(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = find_one(request.user, Perm.PLAN_MANAGE, Patient.objects.all(), pk=patient_id)
    form = PlanForm(request.POST, clinic=patient.clinic)
    if form.is_valid():
        try:
            result = services.plan_create(
                actor=request.user,
                patient=patient,
                protocol=form.cleaned_data["protocol"].pk,
                start_date=form.cleaned_data["start_date"],
                dose=form.cleaned_data["dose"],
            )
            messages.success(
                request, f"Draft plan with {result.plan.sessions.count()} sessions booked."
            )
            for w in result.warnings:
                messages.warning(request, w)
        except ValidationError as error:
            messages.error(request, _errors(error))
    else:
        messages.error(
            request, " ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
        )
    return redirect("plans:patient", patient_id=patient.pk)


@login_required
@require_POST
def plan_action(request: StaffRequest, plan_id: int) -> HttpResponse:
    plan = find_one(request.user, Perm.PLAN_MANAGE, TreatmentPlan.objects.all(), pk=plan_id)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    try:
        if action == "activate":
            services.plan_activate(actor=request.user, plan=plan, cap_sign_off_reason=reason)
        elif action in ("pause", "complete", "stop"):
            status = {"pause": "paused", "complete": "completed", "stop": "stopped"}[action]
            services.plan_set_status(actor=request.user, plan=plan, status=status, reason=reason)
        elif action == "dose":
            services.plan_dose_change(
                actor=request.user, plan=plan, dose=request.POST.get("dose", ""), reason=reason
            )
        elif action == "review":
            services.plan_review(
                actor=request.user,
                plan=plan,
                decision=request.POST.get("decision", ""),
                note=reason,
            )
        else:
            raise ValidationError({"action": "Unknown action."})
        messages.success(request, "Plan updated.")
    except ValidationError as error:
        messages.error(request, _errors(error))
    return redirect("plans:patient", patient_id=plan.patient_id)


@login_required
@require_POST
def session_missed(request: StaffRequest, planned_session_id: int) -> HttpResponse:
    session = find_one(
        request.user, Perm.SCHEDULE_BOOK, PlannedSession.objects.all(), pk=planned_session_id
    )
    try:
        moves = booking.session_missed_reschedule(actor=request.user, session=session)
        clinic = session.clinic
        text = "; ".join(
            f"session {m.sequence}: "
            + (f"{cap.local(m.old, clinic):%a %m-%d %H:%M} → " if m.old else "rebooked ")
            + f"{cap.local(m.new, clinic):%a %m-%d %H:%M} ({m.chair})"
            for m in moves
        )
        messages.success(request, f"Marked missed. Moved: {text or 'nothing'}.")
    except ValidationError as error:
        messages.error(request, _errors(error))
    return redirect("plans:patient", patient_id=session.patient_id)


@login_required
def patient_ics(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = read_one(
        request.user,
        Perm.SCHEDULE_VIEW,
        Patient.objects.all(),
        action=Action.PLAN_VIEW,
        detail={"read": "appointments.ics"},
        pk=patient_id,
    )
    response = HttpResponse(
        selectors.patient_ics(patient), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="appointments-{patient.mrn}.ics"'
    return response


def _day(request: StaffRequest, clinic: Any) -> date:
    text = request.GET.get("date", "")
    try:
        return date.fromisoformat(text)
    except ValueError:
        return cap.local(datetime.now(tz=cap.tz_of(clinic)), clinic).date()


@login_required
def schedule_day(request: StaffRequest) -> HttpResponse:
    clinic = chosen_clinic(request, Perm.SCHEDULE_VIEW)
    day = _day(request, clinic)
    rows, hours = selectors.schedule_day(clinic, day)
    record_list_read(
        request.user,
        [item["session"] for row in rows for item in row.sessions],
        action=Action.SCHEDULE_VIEW,
        detail={"date": f"{day}", "view": "day"},
    )
    span = 600
    if hours is not None:
        span = int(
            (datetime.combine(day, hours[1]) - datetime.combine(day, hours[0])).total_seconds()
            // 60
        )
    ticks = []
    if hours is not None:
        t = datetime.combine(day, hours[0])
        while t <= datetime.combine(day, hours[1]):
            ticks.append({"label": f"{t:%H:%M}", "left": 100 * _minutes(day, hours, t) / span})
            t += timedelta(hours=1)
    for row in rows:
        for item in row.sessions:
            item["left"] = 100 * int(item["offset"]) / span  # type: ignore[call-overload]
            item["width"] = 100 * int(item["length"]) / span  # type: ignore[call-overload]
            start: datetime = item["start"]  # type: ignore[assignment]
            length = max(1, int(item["length"]))  # type: ignore[call-overload]
            monitor_from: datetime = item["monitor_from"]  # type: ignore[assignment]
            monitor_to: datetime = item["monitor_to"]  # type: ignore[assignment]
            width = float(item["width"])  # type: ignore[arg-type]
            left = float(item["left"])  # type: ignore[arg-type]
            item["monitor_x"] = (
                left + width * ((monitor_from - start).total_seconds() / 60) / length
            )
            item["monitor_w"] = width * ((monitor_to - monitor_from).total_seconds() / 60) / length
            item["text_x"] = left + 0.4
    return render(
        request,
        "plans/schedule_day.html",
        {
            "clinic": clinic,
            "day": day,
            "rows": rows,
            "hours": hours,
            "ticks": ticks,
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
            "monday": day - timedelta(days=day.weekday()),
            "can_view_plans": can(request.user, Perm.PLAN_VIEW, clinic),
        },
    )


def _minutes(day: date, hours: tuple[Any, Any], t: datetime) -> int:
    return int((t - datetime.combine(day, hours[0])).total_seconds() // 60)


@login_required
def schedule_week(request: StaffRequest) -> HttpResponse:
    clinic = chosen_clinic(request, Perm.SCHEDULE_VIEW)
    day = _day(request, clinic)
    monday = day - timedelta(days=day.weekday())
    return render(
        request,
        "plans/schedule_week.html",
        {
            "clinic": clinic,
            "monday": monday,
            "days": selectors.schedule_week(clinic, monday),
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
        },
    )


@login_required
def protocol_list(request: StaffRequest) -> HttpResponse:
    clinic = chosen_clinic(request, Perm.SCHEDULE_VIEW)
    services.protocols_seed(clinic=clinic)
    protocols = Protocol.objects.filter(clinic=clinic).order_by("name", "-version")
    return render(
        request,
        "plans/protocols.html",
        {
            "clinic": clinic,
            "protocols": protocols,
            "can_edit": can(request.user, Perm.PROTOCOL_MANAGE, clinic),
            "clinic_default": CLINIC_DEFAULT,
        },
    )


def _value_text(protocol: Protocol, name: str) -> str:
    """Write a protocol value with its unit: "0.5 mg/kg", "90 min", "600 mg", "no"."""
    value = getattr(protocol, name)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = mg_text(value)
    if name in ("dose_default", "dose_min", "dose_max", "titration_step"):
        return f"{text} {protocol.get_dose_unit_display()}"
    unit = UNITS.get(name) or ("min" if name.endswith("_minutes") else "")
    return f"{text} {unit}".strip()


@login_required
def protocol_detail(request: StaffRequest, protocol_id: int) -> HttpResponse:
    protocol = find_one(request.user, Perm.SCHEDULE_VIEW, Protocol.objects.all(), pk=protocol_id)
    can_edit = can(request.user, Perm.PROTOCOL_MANAGE, protocol.clinic)
    can_sign = can(request.user, Perm.PLAN_MANAGE, protocol.clinic)
    form = ProtocolVersionForm(request.POST or None, instance=protocol)
    if request.method == "POST":
        require(request.user, Perm.PROTOCOL_MANAGE, protocol.clinic)
        if request.POST.get("sign"):
            try:
                services.protocol_sign(actor=request.user, protocol=protocol)
                messages.success(request, f"Version {protocol.version} signed: it is now current.")
            except ValidationError as error:
                messages.error(request, _errors(error))
            return redirect("plans:protocol", protocol_id=protocol.pk)
        if form.is_valid():
            try:
                new = services.protocol_draft_version(
                    actor=request.user,
                    protocol=protocol,
                    changes=form.changes(),
                    note=form.cleaned_data["note"],
                )
                messages.success(request, f"Version {new.version} drafted: a prescriber signs it.")
                return redirect("plans:protocol", protocol_id=new.pk)
            except ValidationError as error:
                add_service_errors(form, error)
    rows = [
        (
            capfirst(str(getattr(Protocol._meta.get_field(name), "verbose_name", name))),
            _value_text(protocol, name),
            protocol.provenance.get(name, ""),
        )
        for name in services.EDITABLE
        if name not in ("phases", "session_limits")
    ]
    return render(
        request,
        "plans/protocol_detail.html",
        {
            "protocol": protocol,
            "rows": rows,
            "form": form,
            "can_edit": can_edit,
            "can_sign": can_sign and protocol.signed_at is None,
            "versions": Protocol.objects.filter(
                clinic=protocol.clinic, slug=protocol.slug
            ).order_by("-version"),
            "clinic_default": CLINIC_DEFAULT,
        },
    )


@login_required
def schedule_settings(request: StaffRequest) -> HttpResponse:
    clinic = chosen_clinic(request, Perm.PROTOCOL_MANAGE)
    row = cap.settings_for(clinic)
    hours = {h.weekday: h for h in OpeningHours.objects.filter(clinic=clinic)}
    form = ScheduleSettingsForm(request.POST or None, settings=row, hours=hours)
    if request.method == "POST":
        if request.POST.get("chair_name") is not None:
            try:
                services.chair_add(
                    actor=request.user,
                    clinic=clinic,
                    room_name=request.POST.get("room_name", ""),
                    chair_name=request.POST.get("chair_name", ""),
                )
                messages.success(request, "Chair added.")
            except ValidationError as error:
                messages.error(request, _errors(error))
            return redirect(f"{request.path}?clinic={clinic.pk}")
        if form.is_valid():
            try:
                services.schedule_settings_set(actor=request.user, clinic=clinic, **form.values())
                messages.success(request, "Schedule settings saved.")
                return redirect(f"{request.path}?clinic={clinic.pk}")
            except (ValidationError, InvalidOperation) as error:
                if isinstance(error, ValidationError):
                    add_service_errors(form, error)
    from .models import Chair

    return render(
        request,
        "plans/settings.html",
        {
            "clinic": clinic,
            "form": form,
            "weekday_fields": [
                (WEEKDAYS[i], form[f"opens_{i}"], form[f"closes_{i}"], form[f"nurses_{i}"])
                for i in range(7)
            ],
            "chairs": Chair.objects.filter(clinic=clinic).select_related("room"),
            "clinic_default": CLINIC_DEFAULT,
        },
    )
