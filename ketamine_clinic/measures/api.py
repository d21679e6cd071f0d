"""Measurement-based care in the JSON API (mounted under /api/v1/ by api/api.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status

from ketamine_clinic.accounts.access import require
from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.reads import find_one
from ketamine_clinic.clinical.instruments import INSTRUMENTS, Instrument
from ketamine_clinic.common.api import ErrorOut, Strict
from ketamine_clinic.patients.selectors import patient_for

from . import selectors, services
from .models import Assessment, SafetyAlert

router = Router(tags=["measures"])


class OptionOut(Schema):
    value: int
    label: str


class ItemOut(Schema):
    number: int
    text: str | None
    loinc: str | None
    scored: bool
    required: bool
    options: list[OptionOut]


class BandOut(Schema):
    low: int
    high: int
    name: str


class InstrumentOut(Schema):
    id: str
    name: str
    title: str
    rater: str
    instructions: str | None
    time_frame: str | None
    total_range: list[int] | None
    bands: list[BandOut]
    loinc_panel: str | None
    loinc_total: str | None
    text_shipped: bool
    licence: str
    attribution: str
    source: str
    items: list[ItemOut]


class AssessmentIn(Strict):
    instrument: str
    answers: list[int | None]
    administered_at: datetime | None = None


class AnswerOut(Schema):
    item_number: int
    value: int | None
    loinc: str


class AssessmentOut(Schema):
    id: int
    patient_id: int
    instrument: str
    status: str
    source: str
    administered_at: datetime
    total: int | None
    severity: str | None
    critical: bool
    result: dict[str, Any]
    answers: list[AnswerOut]
    safety_alert_id: int | None


class LinkIn(Strict):
    instruments: list[str]
    email: str = ""


class LinkOut(Schema):
    id: int
    url: str
    token: str
    instruments: list[str]
    expires_at: datetime
    emailed: bool  # False when no e-mail was asked for, or the mail server refused it


class AlertOut(Schema):
    id: int
    patient_id: int
    assessment_id: int
    reason: str
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    action: str
    note: str


class AcknowledgeIn(Strict):
    action: str
    note: str


def _instrument_out(instrument: Instrument) -> dict[str, Any]:
    return {
        "id": instrument.id,
        "name": instrument.name,
        "title": instrument.title,
        "rater": instrument.rater,
        "instructions": instrument.instructions,
        "time_frame": instrument.time_frame,
        "total_range": list(instrument.total_range) if instrument.total_range else None,
        "bands": [vars(b) for b in instrument.bands],
        "loinc_panel": instrument.loinc_panel,
        "loinc_total": instrument.loinc_total,
        "text_shipped": instrument.text_shipped,
        "licence": instrument.licence,
        "attribution": instrument.attribution,
        "source": instrument.source,
        "items": [
            {
                "number": i.number,
                "text": i.text,
                "loinc": i.loinc,
                "scored": i.scored,
                "required": i.required,
                "options": [vars(o) for o in i.options],
            }
            for i in instrument.items
        ],
    }


def _assessment_out(a: Assessment) -> dict[str, Any]:
    try:
        alert: int | None = a.safety_alert.pk
    except SafetyAlert.DoesNotExist:
        alert = None
    return {
        "id": a.pk,
        "patient_id": a.patient_id,
        "instrument": a.instrument_id,
        "status": a.status,
        "source": a.source,
        "administered_at": a.administered_at,
        "total": a.total,
        "severity": a.severity or None,
        "critical": a.critical,
        "result": a.result,
        "answers": list(a.answers.values("item_number", "value", "loinc")),
        "safety_alert_id": alert,
    }


def _alert_out(alert: SafetyAlert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "patient_id": alert.patient_id,
        "assessment_id": alert.assessment_id,
        "reason": alert.reason,
        "opened_at": alert.opened_at,
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": alert.acknowledged_by.username if alert.acknowledged_by else None,
        "action": alert.action,
        "note": alert.note,
    }


@router.get("/instruments", response=list[InstrumentOut])
def instrument_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Every questionnaire: items (text where its licence allows), options, bands, codes."""
    return [_instrument_out(i) for i in INSTRUMENTS.values()]


@router.get(
    "/patients/{patient_id}/assessments",
    response={200: list[AssessmentOut], 403: ErrorOut},
)
def assessment_list(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    """Every response of the patient, newest first, with its item answers."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    patient = patient_for(staff, patient_id)
    return [_assessment_out(a) for a in selectors.patient_assessments(staff, patient)]


@router.post(
    "/patients/{patient_id}/assessments",
    response={201: AssessmentOut, 403: ErrorOut, 422: ErrorOut},
)
def assessment_create(
    request: HttpRequest, patient_id: int, payload: AssessmentIn
) -> Status[dict[str, Any]]:
    """Enter a response: answers in item order (null for unanswered); complete ones are scored."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    patient = patient_for(staff, patient_id)
    assessment = services.assessment_record(
        actor=staff,
        patient=patient,
        instrument_id=payload.instrument,
        answers=payload.answers,
        administered_at=payload.administered_at,
    )
    return Status(201, _assessment_out(assessment))


@router.post(
    "/patients/{patient_id}/self-report-links",
    response={201: LinkOut, 403: ErrorOut, 422: ErrorOut},
)
def self_report_link_create(
    request: HttpRequest, patient_id: int, payload: LinkIn
) -> Status[dict[str, Any]]:
    """Make a one-time self-report link (e-mailed when `email` is given); the token is in the
    answer, once."""
    from .public import link_url

    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    patient = patient_for(staff, patient_id)
    issued = services.self_report_link_create(
        actor=staff, patient=patient, instrument_ids=payload.instruments, email_to=payload.email
    )
    url = link_url(request, issued.token)
    emailed = bool(issued.link.emailed_to) and services.self_report_link_email(
        link=issued.link, url=url
    )
    return Status(
        201,
        {
            "id": issued.link.pk,
            "url": url,
            "token": issued.token,
            "instruments": issued.link.instruments,
            "expires_at": issued.link.expires_at,
            "emailed": emailed,
        },
    )


@router.get("/safety-alerts", response={200: list[AlertOut], 403: ErrorOut})
def safety_alert_list(
    request: HttpRequest, status: Literal["open", "all"] = "open"
) -> list[dict[str, Any]]:
    """Safety alerts of your clinics: `status` open (default) or all; each read is audited."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    require(staff, Perm.MEASURES_VIEW)
    alerts = selectors.safety_alerts(staff, open_only=status != "all").order_by("opened_at")
    return [_alert_out(a) for a in selectors.alerts_shown(staff, alerts, "api")]


@router.post(
    "/safety-alerts/{alert_id}/acknowledge",
    response={200: AlertOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def safety_alert_acknowledge(
    request: HttpRequest, alert_id: int, payload: AcknowledgeIn
) -> dict[str, Any]:
    """Acknowledge an open alert with an action and a note (prescribers only)."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    alert = find_one(
        staff, Perm.CHART_VIEW, SafetyAlert.objects.select_related("clinic"), pk=alert_id
    )
    alert = services.safety_alert_acknowledge(
        actor=staff, alert=alert, action=payload.action, note=payload.note
    )
    return _alert_out(alert)
