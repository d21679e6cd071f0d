"""Treatment sessions in the JSON API (mounted under /api/v1/ by api/api.py). Each step is the
same service the pages call; errors name the field (422)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.reads import find_one
from ketamine_clinic.common.api import Strict
from ketamine_clinic.inventory.models import Container

from . import closing, flowsheet, selectors, services
from .models import RemsMonitoringForm, SessionAlert

router = Router(tags=["sessions"])


class CheckInIn(Strict):
    answers: dict[str, bool]
    baseline: dict[str, Decimal | None]
    pre_dose_moaas: int | None = None
    medication_flags: list[str] = []
    medication_changes: str = ""
    pregnancy_test: str = "not_applicable"
    weight_kg: Decimal | None = None
    urine_drug_screen: str = ""
    recheck_override: str = ""


class VitalsIn(Strict):
    sbp: Decimal | None = None
    dbp: Decimal | None = None
    hr: Decimal | None = None
    spo2: Decimal | None = None
    rr: Decimal | None = None
    temperature: Decimal | None = None
    moaas: int | None = None
    cadss6: int | None = None
    symptoms: list[str] = []
    taken_at: datetime | None = None


class SessionDoseIn(Strict):
    container_id: int
    signature: str
    bag_ml: Decimal | None = None
    drawn_mg: Decimal | None = None
    dose: Decimal | None = None


class VerifyIn(Strict):
    dose_mg: Decimal
    signature: str


class AdministrationIn(Strict):
    kind: str
    at: datetime | None = None
    rate_ml_per_h: Decimal | None = None
    continuous_oximetry: bool = False
    note: str = ""
    signature: str = ""  # needed for a stop with drug left in the bag (the ledger's correction)


class SideEffectIn(Strict):
    code: str
    detail: str = ""
    onset_at: datetime | None = None


class AdverseEventIn(Strict):
    description: str
    severity: str
    serious: bool = False
    onset_at: datetime | None = None
    action_taken: str = ""
    outcome: str = ""
    relatedness: str = ""


class DischargeIn(Strict):
    alert_and_oriented: bool = False
    nausea_controlled: bool = False
    walks_steadily: bool = False
    escort_present: bool = False
    instructions_given: bool = False
    override_reason: str = ""
    ready_to_leave_at: datetime | None = None


class SignIn(Strict):
    text: str = ""


class BpDecisionIn(Strict):
    reason: str
    emergency: bool = False


class OutcomeIn(Strict):
    outcome: str


def _actor(request: HttpRequest) -> StaffMember:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _answer(request: HttpRequest, session_id: int) -> dict[str, Any]:
    return selectors.session_data(selectors.session_open(_actor(request), session_id))


@router.get("/sessions/{session_id}")
def session_get(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """The whole record of a session with its alerts (the read is audited)."""
    return _answer(request, session_id)


@router.post("/sessions/{session_id}/check-in")
def session_check_in(request: HttpRequest, session_id: int, payload: CheckInIn) -> dict[str, Any]:
    """Pre-checks, the readiness gate, the day-of re-check and baseline vitals."""
    session = selectors.session_for(_actor(request), session_id)
    data = payload.dict()
    data["medication_flags"] = tuple(data["medication_flags"])
    services.check_in(actor=_actor(request), session=session, data=services.CheckInAnswers(**data))
    return _answer(request, session_id)


@router.post("/sessions/{session_id}/bp-decision")
def session_bp_decision(
    request: HttpRequest, session_id: int, payload: BpDecisionIn
) -> dict[str, Any]:
    """Document the decision the pre-dose blood pressure needs."""
    session = selectors.session_for(_actor(request), session_id)
    services.bp_decision_record(
        actor=_actor(request),
        session=session,
        reason=payload.reason,
        emergency=payload.emergency,
    )
    return _answer(request, session_id)


@router.post("/sessions/{session_id}/vitals")
def session_vitals(request: HttpRequest, session_id: int, payload: VitalsIn) -> dict[str, Any]:
    """One reading; the answer carries the alerts it raised."""
    session = selectors.session_for(_actor(request), session_id)
    data = payload.dict()
    values = {k: data.pop(k) for k in ("sbp", "dbp", "hr", "spo2", "rr", "temperature")}
    flowsheet.vitals_record(actor=_actor(request), session=session, values=values, **data)
    return _answer(request, session_id)


@router.post("/sessions/{session_id}/dose")
def session_dose(request: HttpRequest, session_id: int, payload: SessionDoseIn) -> dict[str, Any]:
    """Prepare the dose and draw it from a ledger container (signed by the drawer)."""
    actor = _actor(request)
    session = selectors.session_for(actor, session_id)
    container = find_one(
        actor,
        Perm.INVENTORY_RECORD,
        Container.objects.select_related("lot__product"),
        pk=payload.container_id,
    )
    services.dose_prepare(
        actor=actor,
        session=session,
        signature=payload.signature,
        container=container,
        bag_ml=payload.bag_ml,
        drawn_mg=payload.drawn_mg,
        dose=payload.dose,
    )
    return _answer(request, session_id)


@router.post("/sessions/{session_id}/verify")
def session_verify(request: HttpRequest, session_id: int, payload: VerifyIn) -> dict[str, Any]:
    """A second clinician re-enters the dose and signs."""
    session = selectors.session_for(_actor(request), session_id)
    services.dose_verify(
        actor=_actor(request), session=session, dose_mg=payload.dose_mg, signature=payload.signature
    )
    return _answer(request, session_id)


@router.post("/sessions/{session_id}/dose-sign-off")
def session_dose_sign_off(request: HttpRequest, session_id: int, payload: SignIn) -> dict[str, Any]:
    """A prescriber signs off a dose above the protocol's limits."""
    session = selectors.session_for(_actor(request), session_id)
    services.dose_sign_off(actor=_actor(request), session=session, note=payload.text)
    return _answer(request, session_id)


@router.post("/sessions/{session_id}/administration")
def session_administration(
    request: HttpRequest, session_id: int, payload: AdministrationIn
) -> dict[str, Any]:
    """Start, pause, resume, rate change, stop, or one esketamine device."""
    session = selectors.session_for(_actor(request), session_id)
    services.administration_record(actor=_actor(request), session=session, **payload.dict())
    return _answer(request, session_id)


@router.post("/sessions/{session_id}/side-effects")
def session_side_effect(
    request: HttpRequest, session_id: int, payload: SideEffectIn
) -> dict[str, Any]:
    session = selectors.session_for(_actor(request), session_id)
    flowsheet.side_effect_record(actor=_actor(request), session=session, **payload.dict())
    return _answer(request, session_id)


@router.post("/sessions/{session_id}/adverse-events")
def session_adverse_event(
    request: HttpRequest, session_id: int, payload: AdverseEventIn
) -> dict[str, Any]:
    session = selectors.session_for(_actor(request), session_id)
    flowsheet.adverse_event_record(actor=_actor(request), session=session, **payload.dict())
    return _answer(request, session_id)


@router.post("/sessions/{session_id}/alerts/{alert_id}/outcome")
def session_alert_outcome(
    request: HttpRequest, session_id: int, alert_id: int, payload: OutcomeIn
) -> dict[str, Any]:
    """Document an alert's outcome (a prescriber's, for an escalating symptom)."""
    actor = _actor(request)
    session = selectors.session_for(actor, session_id)
    alert = find_one(
        actor, Perm.SESSION_RECORD, SessionAlert.objects.filter(session=session), pk=alert_id
    )
    flowsheet.alert_outcome_record(actor=actor, alert=alert, outcome=payload.outcome)
    return _answer(request, session_id)


@router.post("/sessions/{session_id}/discharge")
def session_discharge(
    request: HttpRequest, session_id: int, payload: DischargeIn
) -> dict[str, Any]:
    """Discharge when every criterion is met (or a prescriber overrides with a reason)."""
    session = selectors.session_for(_actor(request), session_id)
    data = payload.dict()
    override, ready = data.pop("override_reason"), data.pop("ready_to_leave_at")
    closing.discharge_record(
        actor=_actor(request),
        session=session,
        checklist=closing.Checklist(**data),
        override_reason=override,
        ready_to_leave_at=ready,
    )
    return _answer(request, session_id)


@router.post("/sessions/{session_id}/sign")
def session_sign(request: HttpRequest, session_id: int, payload: SignIn) -> dict[str, Any]:
    """Sign the note; a signed note is locked (addenda only)."""
    session = selectors.session_for(_actor(request), session_id)
    closing.note_sign(actor=_actor(request), session=session, text=payload.text)
    return _answer(request, session_id)


@router.post("/sessions/{session_id}/addenda")
def session_addendum(request: HttpRequest, session_id: int, payload: SignIn) -> dict[str, Any]:
    session = selectors.session_for(_actor(request), session_id)
    closing.addendum_add(actor=_actor(request), session=session, text=payload.text)
    return _answer(request, session_id)


class SentIn(Strict):
    sent_on: date | None = None


def _rems_row(row: selectors.RemsRow) -> dict[str, Any]:
    form = row.form
    return {
        "id": form.pk,
        "session_id": form.session_id,
        "patient_id": form.patient_id,
        "due_on": form.due_on,
        "overdue": row.overdue,
        "days_left": row.days_left,
        "sent_on": form.sent_on,
        "sent_by": form.sent_by.username if form.sent_by else None,
    }


@router.get("/rems-forms")
def rems_forms(request: HttpRequest) -> list[dict[str, Any]]:
    """The REMS Patient Monitoring Forms not yet sent, with due and overdue (audited)."""
    return [_rems_row(r) for r in selectors.rems_worklist(_actor(request))]


@router.post("/rems-forms/{form_id}/sent")
def rems_form_sent(request: HttpRequest, form_id: int, payload: SentIn) -> dict[str, Any]:
    """Mark a Patient Monitoring Form sent (on `sent_on`, default today) by the caller."""
    actor = _actor(request)
    form = find_one(actor, Perm.SESSION_RECORD, RemsMonitoringForm.objects.all(), pk=form_id)
    form = closing.rems_form_mark_sent(
        actor=actor, form=form, sent_on=payload.sent_on or timezone.localdate()
    )
    return _rems_row(selectors.RemsRow(form, False, 0))
