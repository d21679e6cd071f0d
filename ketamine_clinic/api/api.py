"""The JSON API at /api/v1/: the same roles, clinics and services as the UI."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Status
from ninja.errors import ValidationError as NinjaValidationError
from ninja.params.functions import Query
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer

from ketamine_clinic.accounts.access import active_memberships, can, clinics_where, require
from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import MATRIX, Perm, Role
from ketamine_clinic.accounts.services import staff_for_api_token
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.selectors import AuditFilter, audit_events, record_trail_read
from ketamine_clinic.common.limits import MAX_ID, MAX_OFFSET
from ketamine_clinic.inventory.api import router as inventory_router
from ketamine_clinic.measures.api import router as measures_router
from ketamine_clinic.patients import selectors, services
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.pk.api import router as pk_router
from ketamine_clinic.plans.api import router as plans_router
from ketamine_clinic.screening.api import router as screening_router
from ketamine_clinic.treatments.api import router as treatments_router

from . import schemas
from .openapi import document_errors

MAX_LIMIT = 200
logger = logging.getLogger("django.request")


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> StaffMember | None:
        return staff_for_api_token(token)


class StrictJSONRenderer(JSONRenderer):
    """JSON as the standard has it: a NaN or an infinity is a bug, never an answer."""

    json_dumps_params = {"allow_nan": False}


class ClinicAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """The document, with the error answers every operation can give."""
        return document_errors(super().get_openapi_schema(**kwargs))


api = ClinicAPI(
    title="ketamine-clinic API",
    version="1",
    description="Patients, staff and the audit trail. Authenticate with `Authorization: Bearer "
    "<token>` (create one in the UI or with `ketamine-clinic create-token USERNAME`).",
    urls_namespace="api",
    auth=BearerToken(),
    docs_url=None,  # the bundled Swagger page loads from a CDN; the OpenAPI document is enough
    renderer=StrictJSONRenderer(),
)


api.add_router("", measures_router)
api.add_router("", screening_router)
api.add_router("", inventory_router)
api.add_router("", pk_router)
api.add_router("", treatments_router)
api.add_router("", plans_router)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "filters")]
    return ".".join(parts) or "__all__"


_MESSAGES = {
    "string_pattern_mismatch": "Text cannot contain NUL characters.",
    "string_unicode": "Text must be valid Unicode (no unpaired surrogates).",
}


@api.exception_handler(NinjaValidationError)
def _invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {
            "field": _field(e.get("loc", ())),
            "message": _MESSAGES.get(e.get("type", ""), e.get("msg", "")),
        }
        for e in exc.errors
    ]
    return api.create_response(
        request, {"detail": "Invalid request.", "errors": errors}, status=422
    )


@api.exception_handler(ValidationError)
def _invalid_data(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"field": "__all__", "message": m} for m in exc.messages]
    return api.create_response(request, {"detail": "Invalid data.", "errors": errors}, status=422)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Forbidden."}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("Server error: %s", request.path, exc_info=exc, extra={"request": request})
    return HttpResponse(b'{"detail": "Server error."}', status=500, content_type="application/json")


Limit = Query(50, ge=1, le=MAX_LIMIT, description="Items per page")
Offset = Query(0, ge=0, le=MAX_OFFSET, description="Items to skip")


# What only those who treat the patient see (minimum necessary): null for anyone else.
CLINICAL_FIELDS = (
    "allergies",
    "no_known_drug_allergies",
    "latest_weight",
    "bmi",
    "indications",
    "medications",
)


def _patient_detail(patient: Patient, reader: StaffMember) -> dict[str, Any]:
    data: dict[str, Any] = schemas.PatientOut.from_orm(patient).dict()
    for name in (
        "phone",
        "email",
        "address",
        "emergency_contact_name",
        "emergency_contact_relationship",
        "emergency_contact_phone",
        "escort_name",
        "escort_phone",
    ):
        data[name] = getattr(patient, name)
    data["age"] = patient.age_on(timezone.localdate())
    data.update(dict.fromkeys(CLINICAL_FIELDS))
    if can(reader, Perm.CHART_CLINICAL_VIEW, patient.clinic):
        summary = selectors.chart_summary(patient, with_alerts=False)
        data["allergies"] = patient.allergies
        data["no_known_drug_allergies"] = patient.no_known_drug_allergies
        data["latest_weight"] = summary.latest_weight
        data["bmi"] = summary.bmi.value if summary.bmi else None
        data["indications"] = list(patient.indications.filter(removed_at=None))
        data["medications"] = list(patient.medications.all())
    data["care_team"] = [
        {
            "staff_username": m.staff.username,
            "staff_name": m.staff.display_name,
            "responsibility": m.responsibility,
        }
        for m in patient.care_team.select_related("staff")
    ]
    return data


@api.get("/me", response=schemas.MeOut, tags=["staff"])
def me(request: HttpRequest) -> dict[str, Any]:
    """The token's owner, their clinics, roles and permissions."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    return {
        "username": staff.username,
        "name": staff.display_name,
        "email": staff.email,
        "memberships": [
            {
                "clinic_id": m.clinic_id,
                "clinic": m.clinic.name,
                "role": m.role,
                "permissions": sorted(p.value for p in MATRIX[Role(m.role)]),
            }
            for m in active_memberships(staff)
        ],
    }


@api.get("/patients", response=schemas.PatientPage, tags=["patients"])
def patient_list(
    request: HttpRequest,
    q: str = Query("", max_length=200),
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Patients of your clinics; `q` searches name, MRN or date of birth (YYYY-MM-DD)."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    return {
        "count": selectors.patient_matches(staff, q).count(),
        "limit": limit,
        "offset": offset,
        "items": selectors.patient_search(
            staff, q, window=slice(offset, offset + limit), order_by=("id",)
        ),
    }


@api.post(
    "/patients",
    response={201: schemas.PatientDetailOut, 403: schemas.ErrorOut, 422: schemas.ErrorOut},
    tags=["patients"],
)
def patient_create(request: HttpRequest, payload: schemas.PatientCreateIn) -> Status[Any]:
    """Register a patient at one of your clinics; an MRN is issued unless one is given."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    clinic = clinics_where(staff, Perm.PATIENT_REGISTER).filter(pk=payload.clinic_id).first()
    if clinic is None:
        raise ValidationError({"clinic_id": "No such clinic among yours."})
    data = payload.dict(exclude_unset=True)
    for key in ("clinic_id", "mrn", "weight_kg", "height_cm"):
        data.pop(key, None)
    patient = services.patient_register(
        actor=staff,
        clinic=clinic,
        details=data,
        mrn=payload.mrn,
        weight_kg=payload.weight_kg,
        height_cm=payload.height_cm,
    )
    return Status(201, _patient_detail(patient, staff))


@api.get("/patients/{patient_id}", response=schemas.PatientDetailOut, tags=["patients"])
def patient_get(request: HttpRequest, patient_id: int) -> dict[str, Any]:
    """One chart (the read is audited); 404 for a patient outside your clinics."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    try:
        # The audit row commits with the answer it records, read in the same transaction.
        with transaction.atomic():
            return _patient_detail(selectors.patient_open(staff, patient_id), staff)
    except Http404:
        selectors.patient_for(staff, patient_id)  # records a refusal outside the rolled-back read
        raise


@api.patch(
    "/patients/{patient_id}",
    response={200: schemas.PatientDetailOut, 403: schemas.ErrorOut, 422: schemas.ErrorOut},
    tags=["patients"],
)
def patient_patch(
    request: HttpRequest, patient_id: int, payload: schemas.PatientPatchIn
) -> dict[str, Any]:
    """Change identity, contact or allergy details; only the fields sent are changed.

    The answer is the whole chart, so it is also an audited chart view.
    """
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    patient = selectors.patient_for(staff, patient_id)
    services.patient_update(actor=staff, patient=patient, changes=payload.dict(exclude_unset=True))
    return _patient_detail(selectors.patient_open(staff, patient_id), staff)


@api.post(
    "/patients/{patient_id}/weights",
    response={201: schemas.WeightOut, 403: schemas.ErrorOut, 422: schemas.ErrorOut},
    tags=["patients"],
)
def weight_create(request: HttpRequest, patient_id: int, payload: schemas.WeightIn) -> Status[Any]:
    """Record a weight (and optionally height) measurement."""
    patient = selectors.patient_for(request.auth, patient_id)  # type: ignore[attr-defined]
    row = services.weight_record(actor=request.auth, patient=patient, **payload.dict())  # type: ignore[attr-defined]
    return Status(201, row)


@api.post(
    "/patients/{patient_id}/indications",
    response={201: schemas.IndicationOut, 403: schemas.ErrorOut, 422: schemas.ErrorOut},
    tags=["patients"],
)
def indication_create(
    request: HttpRequest, patient_id: int, payload: schemas.IndicationIn
) -> Status[Any]:
    """Add an ICD-10-CM coded indication."""
    patient = selectors.patient_for(request.auth, patient_id)  # type: ignore[attr-defined]
    row = services.indication_add(actor=request.auth, patient=patient, **payload.dict())  # type: ignore[attr-defined]
    return Status(201, row)


@api.get(
    "/audit-events",
    response={200: schemas.AuditEventPage, 403: schemas.ErrorOut},
    tags=["audit"],
)
def audit_event_list(
    request: HttpRequest,
    patient: int | None = Query(None, ge=1, le=MAX_ID),
    user: str = Query("", max_length=150),
    action: str = Query("", max_length=60),
    since: date | None = None,
    until: date | None = None,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """The audit trail of your clinics (auditors and admins only), newest first."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    require(staff, Perm.AUDIT_VIEW)
    filters = AuditFilter(
        patient_id=patient, username=user, action=action, since=since, until=until
    )
    events = audit_events(staff, filters)
    count = events.count()
    items = list(events[offset : offset + limit])
    record_trail_read(
        staff,
        [e.patient_id for e in items if e.patient_id],
        action=Action.AUDIT_SEARCH,
        detail=filters.as_dict(),
    )
    return {"count": count, "limit": limit, "offset": offset, "items": items}
