"""The session on paper (WeasyPrint, like screening/pdf.py): the whole record, and for
esketamine the summary of what the REMS Patient Monitoring Form asks (reference.md §2.5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from ketamine_clinic.clinical.session_safety import MEDICATION_FLAGS
from ketamine_clinic.inventory.models import LedgerEntry

from . import closing, selectors
from .charts import vitals_chart
from .models import ReadingSet, TreatmentSession

# The PMF asks for the blood pressure at 40 minutes after dosing (reference.md §2.5).
PMF_BP_MINUTES = 40


def _readings(data: dict[str, Any]) -> list[tuple[datetime, dict[str, float]]]:
    return [
        (r["taken_at"], {o["key"]: float(o["value"]) for o in r["observations"]})
        for r in data["readings"]
    ]


def ledger_entries(session: TreatmentSession) -> list[LedgerEntry]:
    """The session's draw and every entry that follows it (its witnessed wastes)."""
    dose = getattr(session, "dose", None)
    if dose is None:
        return []
    wastes = LedgerEntry.objects.filter(related=dose.dispense).select_related("witness", "actor")
    return [dose.dispense, *wastes.order_by("seq")]


def session_context(session: TreatmentSession) -> dict[str, Any]:
    data = selectors.session_data(session)
    events = data["administration"]
    flowsheet = [
        {
            "taken_at": r["taken_at"],
            "phase": r["phase"],
            "values": {o["key"]: o["value"] for o in r["observations"]},
            "moaas": r["moaas"],
            "cadss6": r["cadss6"],
            "symptoms": r["symptoms"],
        }
        for r in data["readings"]
    ]
    return {
        "session": session,
        "data": data,
        "flowsheet": flowsheet,
        "chart": vitals_chart(
            _readings(data),
            events[0]["at"] if events else None,
            closing.administration_ended_at(session),
        ),
        "ledger": ledger_entries(session),
        "discharge": getattr(session, "discharge", None),
        "printed_at": timezone.now(),
    }


def session_pdf(session: TreatmentSession) -> bytes:
    """The whole session record as one PDF."""
    html = render_to_string("treatments/session_document.html", session_context(session))
    return bytes(HTML(string=html).write_pdf())


@dataclass(frozen=True)
class Bp:
    at: datetime
    sbp: Decimal
    dbp: Decimal
    minutes: int | None  # from the first device


@dataclass(frozen=True)
class MonitoringForm:
    """What the PMF asks, as the record answers it (reference.md §2.5)."""

    setting: str
    treatment_date: str
    first_treatment: bool
    enrolled_on: str
    dose_mg: Decimal | None
    lot_number: str
    bp_before: Bp | None
    bp_at_40: Bp | None
    bp_before_discharge: Bp | None
    monitoring_minutes: int | None
    ready_to_leave_at: datetime | None
    vitals_ok_before: bool
    vitals_ok_before_completion: bool | None
    sedation: str
    dissociation: str
    respiratory: str
    concomitant: list[str]
    monitoring_hcp: str


def _bp(reading: ReadingSet, first: datetime | None) -> Bp | None:
    values = {m.key: m.value for m in reading.measures.all()}
    if "sbp" not in values or "dbp" not in values:
        return None
    minutes = None if first is None else int((reading.taken_at - first).total_seconds() // 60)
    return Bp(reading.taken_at, values["sbp"], values["dbp"], minutes)


def monitoring_form(session: TreatmentSession) -> MonitoringForm:
    """Answer each question of the esketamine Patient Monitoring Form from the record."""
    readings = list(session.readings.prefetch_related("measures").order_by("taken_at", "pk"))
    first_event = session.administration_events.order_by("at", "pk").first()
    first = first_event.at if first_event else None
    discharge = getattr(session, "discharge", None)
    baseline = next((r for r in readings if r.phase == ReadingSet.Phase.BASELINE), None)
    with_bp = [b for r in readings[1:] if (b := _bp(r, first)) is not None]
    at_40 = None
    if first is not None and with_bp:
        target = first + timedelta(minutes=PMF_BP_MINUTES)
        at_40 = min(with_bp, key=lambda b: abs((b.at - target).total_seconds()))
    dose = getattr(session, "dose", None)
    moaas = [r.moaas for r in readings if r.moaas is not None]
    cadss = [r.cadss6 for r in readings if r.cadss6 is not None]
    codes = {a.code for a in session.alerts.all()} | {s.code for s in session.side_effects.all()}
    respiratory = sorted(c for c in codes if c.startswith(("spo2", "rr", "respiratory")))
    checkin = getattr(session, "checkin", None)
    concomitant = [MEDICATION_FLAGS[f] for f in (checkin.medication_flags if checkin else [])]
    concomitant += [
        m.name
        for m in session.patient.medications.filter(stopped_on=None)
        if m.ketamine_interaction_class != "none"
    ]
    enrolment = getattr(session.patient, "rems_enrolment", None)
    earlier = TreatmentSession.objects.filter(
        patient=session.patient, route=session.route, scheduled_at__lt=session.scheduled_at
    ).exclude(state=TreatmentSession.State.CANCELLED)
    discharge_ok = None
    if discharge is not None:
        vitals = [c for c in discharge.criteria if c["key"] in ("vitals_baseline", "bp_stable")]
        discharge_ok = all(c["met"] for c in vitals)
    return MonitoringForm(
        setting=f"{session.clinic.name}, {session.clinic.address} (outpatient)",
        treatment_date=f"{timezone.localtime(session.scheduled_at):%Y-%m-%d}",
        first_treatment=not earlier.exists(),
        enrolled_on=f"{enrolment.enrolled_on:%Y-%m-%d}" if enrolment else "not enrolled",
        dose_mg=dose.dose_mg if dose else None,
        lot_number=dose.container.lot.lot_number if dose else "",
        bp_before=_bp(baseline, first) if baseline else None,
        bp_at_40=at_40,
        bp_before_discharge=with_bp[-1] if with_bp and discharge else None,
        monitoring_minutes=None
        if first is None or discharge is None
        else int((discharge.discharged_at - first).total_seconds() // 60),
        ready_to_leave_at=discharge.ready_to_leave_at if discharge else None,
        vitals_ok_before=session.bp_gate_level in ("ok", "") or bool(session.bp_decision_by_id),
        vitals_ok_before_completion=discharge_ok,
        sedation=f"lowest MOAA/S {min(moaas)}" if moaas else "not assessed",
        dissociation=f"highest CADSS-6 {max(cadss)}" if cadss else "not assessed",
        respiratory=", ".join(respiratory) or "none recorded",
        concomitant=concomitant,
        monitoring_hcp=discharge.discharged_by.display_name if discharge else "",
    )


def monitoring_form_pdf(session: TreatmentSession) -> bytes:
    html = render_to_string(
        "treatments/rems_form_document.html",
        {"session": session, "form": monitoring_form(session), "printed_at": timezone.now()},
    )
    return bytes(HTML(string=html).write_pdf())
