"""Screening and consent in the JSON API (mounted under /api/v1/ by api/api.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from ketamine_clinic.accounts.access import clinics_where, require
from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.reads import find_one
from ketamine_clinic.audit.services import record
from ketamine_clinic.common.api import ErrorOut, Strict
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.selectors import patient_for

from . import services
from .models import Consent, Route, Screening

router = Router(tags=["screening"])


class ScreeningIn(Strict):
    intake: dict[str, Any]
    notes: str = ""


class FindingOut(Schema):
    rule: str
    level: str
    reason: str
    source: str


class ReviewOut(Schema):
    reviewer: str
    outcome: str
    reasoning: str
    reviewed_at: datetime


class ScreeningOut(Schema):
    id: int
    patient_id: int
    route: str
    decision: str
    status: str
    findings: list[FindingOut]
    ruleset: str
    intake: dict[str, Any]
    screened_at: datetime
    expires_at: datetime
    reviews: list[ReviewOut]


class ReviewIn(Strict):
    outcome: str
    reasoning: str


class TemplateOut(Schema):
    id: int
    kind: str
    version: int
    title: str
    body: str
    clinic_id: int | None


class ConsentOut(Schema):
    id: int
    patient_id: int
    template_id: int
    kind: str
    version: int
    status: str
    signed_name: str
    signed_at: datetime
    witnessed_at: datetime | None
    withdrawn_at: datetime | None


class ReadinessOut(Schema):
    route: str
    ready: bool
    problems: list[str]


def _read(staff: StaffMember, patient: Patient, what: str) -> None:
    """Audit a read of the patient's screening or consent data (every read leaves a row)."""
    record(
        actor=staff, action=Action.CHART_VIEW, patient=patient, obj=patient, detail={"read": what}
    )


def _screening_out(s: Screening) -> dict[str, Any]:
    return {
        "id": s.pk,
        "patient_id": s.patient_id,
        "route": s.route,
        "decision": s.decision,
        "status": services.screening_status(s),
        "findings": s.findings,
        "ruleset": s.ruleset_version,
        "intake": s.intake,
        "screened_at": s.screened_at,
        "expires_at": s.expires_at,
        "reviews": [
            {
                "reviewer": r.reviewer.username,
                "outcome": r.outcome,
                "reasoning": r.reasoning,
                "reviewed_at": r.reviewed_at,
            }
            for r in s.reviews.select_related("reviewer")
        ],
    }


def _consent_out(c: Consent) -> dict[str, Any]:
    return {
        "id": c.pk,
        "patient_id": c.patient_id,
        "template_id": c.template_id,
        "kind": c.template.kind,
        "version": c.template.version,
        "status": c.status,
        "signed_name": c.signed_name,
        "signed_at": c.signed_at,
        "witnessed_at": c.witnessed_at,
        "withdrawn_at": c.withdrawn_at,
    }


@router.get("/patients/{patient_id}/screenings", response={200: list[ScreeningOut], 403: ErrorOut})
def screening_list(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    """The patient's screenings, newest first, with their findings and reviews."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    patient = patient_for(staff, patient_id)
    require(staff, Perm.SCREENING_VIEW, patient.clinic, patient)
    _read(staff, patient, "screenings")
    return [_screening_out(s) for s in patient.screenings.all()]


@router.post(
    "/patients/{patient_id}/screenings",
    response={201: ScreeningOut, 403: ErrorOut, 422: ErrorOut},
)
def screening_create(
    request: HttpRequest, patient_id: int, payload: ScreeningIn
) -> Status[dict[str, Any]]:
    """Screen the patient: the intake document (see the README) is evaluated and kept."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    patient = patient_for(staff, patient_id)
    screening = services.screening_record(
        actor=staff, patient=patient, intake=payload.intake, notes=payload.notes
    )
    return Status(201, _screening_out(screening))


@router.post(
    "/screenings/{screening_id}/review",
    response={200: ScreeningOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def screening_review(request: HttpRequest, screening_id: int, payload: ReviewIn) -> dict[str, Any]:
    """A prescriber's decision (approved / declined) with reasoning."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    # Found by the chart permission like every record of a patient; the service requires
    # the right to review.
    screening = find_one(staff, Perm.CHART_VIEW, Screening.objects.all(), pk=screening_id)
    services.screening_review(
        actor=staff, screening=screening, outcome=payload.outcome, reasoning=payload.reasoning
    )
    return _screening_out(screening)


@router.get("/patients/{patient_id}/readiness", response=list[ReadinessOut])
def readiness(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    """May a session start now, per route, and if not what to do next."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    patient = patient_for(staff, patient_id)
    _read(staff, patient, "readiness")
    return [
        {"route": r.route, "ready": r.ready, "problems": r.problems_for(staff, patient.clinic)}
        for r in (
            services.treatment_readiness(patient, route, actor=staff) for route in Route.values
        )
    ]


@router.get("/consent-templates", response=list[TemplateOut])
def consent_templates(request: HttpRequest) -> list[Any]:
    """The consent texts in use at your clinics (latest version of each kind)."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    seen: dict[int, Any] = {}
    for clinic in clinics_where(staff, Perm.CHART_VIEW):
        for template in services.current_templates(clinic):
            seen[template.pk] = template
    return list(seen.values())


@router.get("/patients/{patient_id}/consents", response=list[ConsentOut])
def consent_list(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    """The patient's consents (signatures and PDFs are in the UI)."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    patient = patient_for(staff, patient_id)
    _read(staff, patient, "consents")
    return [_consent_out(c) for c in patient.consents.select_related("template")]


class WithdrawIn(Strict):
    reason: str = ""


@router.post(
    "/consents/{consent_id}/withdraw",
    response={200: ConsentOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def consent_withdraw(request: HttpRequest, consent_id: int, payload: WithdrawIn) -> dict[str, Any]:
    """Record that the patient withdrew this consent: no further session may start until they
    sign a new one (see readiness)."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    consent = find_one(
        staff, Perm.CHART_VIEW, Consent.objects.select_related("patient", "clinic"), pk=consent_id
    )
    withdrawn = services.consent_withdraw(actor=staff, consent=consent, reason=payload.reason)
    return _consent_out(withdrawn)
