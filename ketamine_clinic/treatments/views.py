"""Pages of the session flow: the nurse's Today screen, one screen per step of a session, the
chart's Sessions tab and the room readiness check. Thin: every rule is in the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketamine_clinic.accounts.access import can, clinics_where, require
from ketamine_clinic.accounts.http import StaffRequest
from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.reads import find_one
from ketamine_clinic.clinical.session_safety import (
    ESCALATING_SYMPTOMS,
    LEVEL_EMERGENCY,
    MEDICATION_FLAGS,
    SIDE_EFFECTS,
)
from ketamine_clinic.inventory.models import Container
from ketamine_clinic.patients.chart import chart_context
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.plans.models import Room

from . import closing, course, documents, flowsheet, given, selectors, services
from .charts import vitals_chart
from .models import (
    AdverseEvent,
    LiverTest,
    RemsMonitoringForm,
    RoomReadinessCheck,
    SessionAlert,
    TreatmentSession,
)

State = TreatmentSession.State
VITAL_FIELDS = ("sbp", "dbp", "hr", "spo2", "rr", "temperature")


def _decimal(post: Any, name: str) -> Decimal | None:
    raw = (post.get(name) or "").strip()
    if not raw:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise ValidationError({name: "Enter a number."}) from None


def _int(post: Any, name: str) -> int | None:
    value = _decimal(post, name)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise ValidationError({name: "Enter a whole number."})
    return int(value)


def _yes(post: Any, name: str) -> bool:
    return post.get(name) in ("yes", "on", "true", "1")


def _time(post: Any, name: str) -> datetime | None:
    raw = (post.get(name) or "").strip()
    if not raw:
        return None
    try:
        hours, minutes = (int(p) for p in raw.split(":"))
        local = timezone.localtime().replace(hour=hours, minute=minutes, second=0, microsecond=0)
    except ValueError:
        raise ValidationError({name: "Give the time as HH:MM."}) from None
    return local


def _staff(session: TreatmentSession, username: str, field: str) -> StaffMember:
    person = StaffMember.objects.filter(username=(username or "").strip(), is_active=True).first()
    if person is None or not can(person, Perm.SESSION_RECORD, session.clinic):
        raise ValidationError({field: "No such clinician at this clinic."})
    return person


@login_required
def today(request: StaffRequest) -> HttpResponse:
    """The day's sessions with their state and the time of each next vitals reading."""
    require(request.user, Perm.SESSION_VIEW)
    sessions = selectors.today_sessions(request.user)
    open_alerts = {s.pk: [a for a in s.alerts.all() if not a.outcome_at] for s in sessions}
    rows = [
        {
            "session": s,
            "state": selectors.display_state(s),
            "next_due": selectors.next_vitals_due(s),
            "alerts": open_alerts[s.pk],
        }
        for s in sessions
    ]
    prescriber_needed = [
        (s, a) for s in sessions for a in open_alerts[s.pk] if a.level == LEVEL_EMERGENCY
    ]
    return render(
        request,
        "treatments/today.html",
        {"rows": rows, "now": timezone.now(), "prescriber_needed": prescriber_needed},
    )


@login_required
def patient_sessions(request: StaffRequest, patient_id: int) -> HttpResponse:
    """The patient's sessions, with the course's bladder answers and liver tests."""
    context = chart_context(request, patient_id, "sessions")
    patient = context["patient"]
    sessions = list(
        TreatmentSession.objects.for_actor(request.user, Perm.SESSION_VIEW)
        .filter(patient=patient)
        .select_related("protocol", "checkin")
        .order_by("-scheduled_at")
    )
    latest = sessions[0] if sessions else None
    context.update(
        sessions=sessions,
        bladder_answers=[
            (s, s.checkin.answers[course.BLADDER_KEY])
            for s in sessions
            if hasattr(s, "checkin") and course.BLADDER_KEY in s.checkin.answers
        ],
        liver=course.liver_status(patient, latest.protocol) if latest else None,
        liver_tests=patient.liver_tests.select_related("recorded_by"),
        liver_results=LiverTest.Result.choices,
        interval_note=course.INTERVAL_NOTE,
        today=timezone.localdate(),
        errors=request.session.pop("liver_errors", None),
    )
    return render(request, "treatments/patient_sessions.html", context)


@login_required
@require_POST
def liver_test_add(request: StaffRequest, patient_id: int) -> HttpResponse:
    """Record a liver test from the Sessions tab."""
    patient = find_one(request.user, Perm.SESSION_RECORD, Patient.objects.all(), pk=patient_id)
    try:
        raw = (request.POST.get("taken_on") or "").strip()
        try:
            taken_on = date.fromisoformat(raw)
        except ValueError:
            raise ValidationError({"taken_on": "Give the date as YYYY-MM-DD."}) from None
        course.liver_test_record(
            actor=request.user,
            patient=patient,
            taken_on=taken_on,
            result=request.POST.get("result", ""),
            detail=request.POST.get("detail", ""),
        )
    except ValidationError as error:
        request.session["liver_errors"] = [
            (f, m) for f, ms in error.message_dict.items() for m in ms
        ]
    return redirect("treatments:patient", patient_id=patient.pk)


def _step_for(session: TreatmentSession) -> str:
    steps: dict[str, str] = {
        State.WAITING: "check-in",
        State.CHECKED_IN: "dose",
        State.DOSING: "administration",
        State.MONITORING: "discharge",
        State.DISCHARGED: "sign",
    }
    return steps.get(session.state, "")


@login_required
def session_page(request: StaffRequest, session_id: int) -> HttpResponse:
    """The session's record and the screen of its current step."""
    session = selectors.session_open(request.user, session_id)
    data = selectors.session_data(session)
    readings = [
        (r["taken_at"], {o["key"]: float(o["value"]) for o in r["observations"]})
        for r in data["readings"]
    ]
    events = data["administration"]
    chart = vitals_chart(
        readings,
        events[0]["at"] if events else None,
        closing.administration_ended_at(session),
    )
    containers = Container.objects.filter(clinic=session.clinic, balance_mg__gt=0).select_related(
        "lot__product"
    )
    context = {
        "session": session,
        "data": data,
        "step": _step_for(session),
        "chart": chart,
        "prediction": given.session_prediction(session),
        "bladder_due": session.state == State.WAITING and course.bladder_question_due(session),
        "bladder_question": course.BLADDER_QUESTION,
        "liver": course.liver_status(session.patient, session.protocol),
        "interval_note": course.INTERVAL_NOTE,
        "containers": containers,
        "limits": services.limits_for(session).table(),
        "settings": services.settings_for(session.clinic_id),
        "recheck": services.RECHECK_NO,
        "medication_flags": MEDICATION_FLAGS,
        "symptoms": ESCALATING_SYMPTOMS,
        "side_effects": SIDE_EFFECTS,
        "severities": AdverseEvent.Severity.choices,
        "can_override": can(request.user, Perm.SESSION_OVERRIDE, session.clinic),
        "errors": (request.session.pop("session_errors", None) or {}).get("items"),
    }
    return render(request, "treatments/session.html", context)


def _pdf(content: bytes, name: str) -> HttpResponse:
    return HttpResponse(
        content,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )


@login_required
def session_pdf(request: StaffRequest, session_id: int) -> HttpResponse:
    """The whole session record as a PDF (audited)."""
    session = selectors.session_for_document(request.user, session_id, "session")
    return _pdf(documents.session_pdf(session), f"session-{session.patient.mrn}-{session.pk}")


@login_required
def rems_form_pdf(request: StaffRequest, session_id: int) -> HttpResponse:
    """The esketamine REMS Patient Monitoring Form summary as a PDF (audited)."""
    session = selectors.session_for_document(request.user, session_id, "rems_form")
    if not session.is_esketamine:
        raise Http404("Only an esketamine session has a REMS Patient Monitoring Form.")
    return _pdf(
        documents.monitoring_form_pdf(session), f"rems-pmf-{session.patient.mrn}-{session.pk}"
    )


@login_required
def rems_forms(request: StaffRequest) -> HttpResponse:
    """The REMS Patient Monitoring Forms to send (due and overdue); mark one sent."""
    require(request.user, Perm.SESSION_VIEW)
    if request.method == "POST":
        form = find_one(
            request.user,
            Perm.SESSION_RECORD,
            RemsMonitoringForm.objects.select_related("clinic", "patient"),
            pk=_int(request.POST, "form") or 0,
        )
        try:
            raw = (request.POST.get("sent_on") or "").strip()
            sent_on = date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError:
            messages.error(request, "sent_on: give the date as YYYY-MM-DD.")
            return redirect("treatments:rems_forms")
        try:
            closing.rems_form_mark_sent(actor=request.user, form=form, sent_on=sent_on)
        except ValidationError as error:
            for field, texts in error.message_dict.items():
                messages.error(request, f"{field}: {' '.join(texts)}")
        else:
            messages.success(request, f"Marked sent on {sent_on:%Y-%m-%d}.")
        return redirect("treatments:rems_forms")
    rows = selectors.rems_worklist(request.user)
    return render(request, "treatments/rems_forms.html", {"rows": rows})


def _check_in(request: StaffRequest, session: TreatmentSession) -> None:
    post = request.POST
    keys = [
        *services.REQUIRED_YES,
        *services.FASTING,
        *services.RECHECK_NO,
        "nasal_steroid_or_decongestant_within_1h",
    ]
    answers: dict[str, bool] = {k: _yes(post, k) for k in keys}
    if post.get(course.BLADDER_KEY) in ("yes", "no"):
        answers[course.BLADDER_KEY] = post[course.BLADDER_KEY] == "yes"
    services.check_in(
        actor=request.user,
        session=session,
        data=services.CheckInAnswers(
            answers=answers,
            baseline={k: _decimal(post, k) for k in VITAL_FIELDS},
            pre_dose_moaas=_int(post, "pre_dose_moaas"),
            medication_flags=tuple(post.getlist("medication_flags")),
            medication_changes=post.get("medication_changes", ""),
            pregnancy_test=post.get("pregnancy_test", "not_applicable"),
            weight_kg=_decimal(post, "weight_kg"),
            urine_drug_screen=post.get("urine_drug_screen", ""),
            recheck_override=post.get("recheck_override", ""),
        ),
    )


def _dose(request: StaffRequest, session: TreatmentSession) -> None:
    post = request.POST
    container = find_one(
        request.user,
        Perm.INVENTORY_RECORD,
        Container.objects.select_related("lot__product"),
        pk=_int(post, "container") or 0,
    )
    services.dose_prepare(
        actor=request.user,
        session=session,
        signature=post.get("signature", ""),
        container=container,
        bag_ml=_decimal(post, "bag_ml"),
        drawn_mg=_decimal(post, "drawn_mg"),
    )


def _verify(request: StaffRequest, session: TreatmentSession) -> None:
    post = request.POST
    verifier = _staff(session, post.get("verifier", ""), "verifier")
    services.dose_verify(
        actor=verifier,
        session=session,
        dose_mg=_decimal(post, "dose_mg") or Decimal(0),
        signature=post.get("signature", ""),
    )


def _administration(request: StaffRequest, session: TreatmentSession) -> None:
    post = request.POST
    services.administration_record(
        actor=request.user,
        session=session,
        kind=post.get("kind", ""),
        at=_time(post, "at"),
        rate_ml_per_h=_decimal(post, "rate_ml_per_h"),
        continuous_oximetry=_yes(post, "continuous_oximetry"),
        signature=post.get("signature", ""),
    )


def _vitals(request: StaffRequest, session: TreatmentSession) -> None:
    post = request.POST
    _, alerts = flowsheet.vitals_record(
        actor=request.user,
        session=session,
        values={k: _decimal(post, k) for k in VITAL_FIELDS},
        moaas=_int(post, "moaas"),
        cadss6=_int(post, "cadss6"),
        symptoms=post.getlist("symptoms"),
        taken_at=_time(post, "taken_at"),
    )
    for alert in alerts:
        messages.error(request, f"ALERT: {alert.message}")


def _side_effect(request: StaffRequest, session: TreatmentSession) -> None:
    flowsheet.side_effect_record(
        actor=request.user,
        session=session,
        code=request.POST.get("code", ""),
        detail=request.POST.get("detail", ""),
    )


def _rescue(request: StaffRequest, session: TreatmentSession) -> None:
    post = request.POST
    flowsheet.rescue_medication_record(
        actor=request.user,
        session=session,
        drug=post.get("drug", ""),
        dose=post.get("dose", ""),
        route=post.get("route", ""),
        reason=post.get("reason", ""),
    )


def _adverse_event(request: StaffRequest, session: TreatmentSession) -> None:
    post = request.POST
    flowsheet.adverse_event_record(
        actor=request.user,
        session=session,
        description=post.get("description", ""),
        severity=post.get("severity", ""),
        serious=_yes(post, "serious"),
        action_taken=post.get("action_taken", ""),
        outcome=post.get("outcome", ""),
    )


def _alert_outcome(request: StaffRequest, session: TreatmentSession) -> None:
    alert = find_one(
        request.user,
        Perm.SESSION_RECORD,
        SessionAlert.objects.filter(session=session),
        pk=_int(request.POST, "alert") or 0,
    )
    flowsheet.alert_outcome_record(
        actor=request.user, alert=alert, outcome=request.POST.get("outcome", "")
    )


def _bp_decision(request: StaffRequest, session: TreatmentSession) -> None:
    services.bp_decision_record(
        actor=request.user,
        session=session,
        reason=request.POST.get("reason", ""),
        emergency=_yes(request.POST, "emergency"),
    )


def _waste(request: StaffRequest, session: TreatmentSession) -> None:
    post = request.POST
    closing.waste_remainder(
        actor=request.user,
        session=session,
        signature=post.get("signature", ""),
        witness=_staff(session, post.get("witness", ""), "witness"),
        witness_signature=post.get("witness_signature", ""),
    )


def _discharge(request: StaffRequest, session: TreatmentSession) -> None:
    post = request.POST
    checklist = closing.Checklist(
        **{k: _yes(post, k) for k in closing.Checklist.__dataclass_fields__}
    )
    closing.discharge_record(
        actor=request.user,
        session=session,
        checklist=checklist,
        override_reason=post.get("override_reason", ""),
        ready_to_leave_at=_time(post, "ready_to_leave_at"),
    )


def _sign(request: StaffRequest, session: TreatmentSession) -> None:
    closing.note_sign(actor=request.user, session=session, text=request.POST.get("text", ""))


def _addendum(request: StaffRequest, session: TreatmentSession) -> None:
    closing.addendum_add(actor=request.user, session=session, text=request.POST.get("text", ""))


STEPS: dict[str, Callable[[StaffRequest, TreatmentSession], None]] = {
    "check-in": _check_in,
    "bp-decision": _bp_decision,
    "dose": _dose,
    "verify": _verify,
    "administration": _administration,
    "vitals": _vitals,
    "side-effect": _side_effect,
    "rescue": _rescue,
    "adverse-event": _adverse_event,
    "alert-outcome": _alert_outcome,
    "waste": _waste,
    "discharge": _discharge,
    "sign": _sign,
    "addendum": _addendum,
}


@login_required
@require_POST
def session_step(request: StaffRequest, session_id: int, step: str) -> HttpResponse:
    """Run one step; a refusal comes back to the page naming each field and its reason."""
    if step not in STEPS:
        raise Http404("No such step.")
    session = selectors.session_for(request.user, session_id)
    try:
        STEPS[step](request, session)
    except ValidationError as error:
        errors = (
            [(f, m) for f, ms in error.message_dict.items() for m in ms]
            if hasattr(error, "error_dict")
            else [("", m) for m in error.messages]
        )
        request.session["session_errors"] = {"step": step, "items": errors}
    return redirect("treatments:session", session_id=session_id)


@login_required
def room_readiness(request: StaffRequest) -> HttpResponse:
    """Log a room's emergency readiness check for today."""
    require(request.user, Perm.READINESS_CHECK)
    rooms = Room.objects.filter(clinic__in=clinics_where(request.user, Perm.READINESS_CHECK))
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        room = find_one(
            request.user, Perm.READINESS_CHECK, Room.objects.all(), pk=request.POST.get("room") or 0
        )
        prescriber = None
        if _yes(request.POST, "prescriber_on_site") and can(
            request.user, Perm.SESSION_OVERRIDE, room.clinic
        ):
            prescriber = request.user
        try:
            services.room_readiness_record(
                actor=request.user,
                room=room,
                items={k: _yes(request.POST, k) for k in RoomReadinessCheck.ITEMS},
                prescriber_on_site=prescriber,
            )
            messages.success(request, f"{room.name} is ready for today.")
            return redirect("treatments:today")
        except ValidationError as error:
            errors = [(f, m) for f, ms in error.message_dict.items() for m in ms]
    checks = RoomReadinessCheck.objects.filter(room__in=rooms, day=timezone.localdate())
    return render(
        request,
        "treatments/readiness.html",
        {
            "rooms": rooms,
            "items": RoomReadinessCheck.ITEMS,
            "errors": errors,
            "checks": checks,
        },
    )
