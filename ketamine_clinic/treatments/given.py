"""The dose as given: what the pump delivered (clinical/pump.py) from the recorded administration
events, and its predicted concentration (the PK prediction block, pk/prediction_block.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from ketamine_clinic.clinical import dosing
from ketamine_clinic.clinical.ledger import mg_text
from ketamine_clinic.clinical.pharmacokinetics.prediction import PredictionRequest
from ketamine_clinic.clinical.pump import KINDS, Delivery, PumpEvent, delivered
from ketamine_clinic.pk.prediction_block import PredictionBlock, prediction_block

from .models import AdministrationEvent, DoseAdministration, TreatmentSession

PREDICTION_TIMES_MIN = list(range(0, 481, 5))  # 8 hours from the first dose, as the plan's


def _minutes(at: datetime, start: datetime) -> Decimal:
    return Decimal(str((at - start).total_seconds())) / 60


def infusion_delivery(
    dose: DoseAdministration, events: list[AdministrationEvent], until: datetime
) -> Delivery | None:
    """What an IV bag delivered by its stop (or by `until`, while it runs); None before the
    start, or when the dose is not a bag on a pump (IM, esketamine)."""
    pump = [e for e in events if e.kind in KINDS]
    if not pump or dose.rate_ml_per_h is None or not dose.total_volume_ml:
        return None
    start = pump[0].at
    running = pump[-1].kind != "stop"
    return delivered(
        [PumpEvent(e.kind, _minutes(e.at, start), e.rate_ml_per_h) for e in pump],
        rate_ml_per_h=dose.rate_ml_per_h,
        total_volume_ml=dose.total_volume_ml,
        dose_mg=dose.dose_mg,
        until_min=_minutes(max(until, pump[-1].at), start) if running else None,
    )


def _request(
    session: TreatmentSession, dose: DoseAdministration, now: datetime
) -> tuple[str, PredictionRequest] | None:
    events = list(session.administration_events.order_by("at", "pk"))
    if session.is_esketamine:
        devices = [e for e in events if e.kind == "device"]
        times = [float(_minutes(e.at, devices[0].at)) for e in devices]
        label = f"{len(devices)} × {mg_text(dosing.ESKETAMINE_DEVICE_MG)} mg as given"
        return label, PredictionRequest(
            drug="esketamine",
            route="intranasal",
            device_times_min=times,
            times_min=PREDICTION_TIMES_MIN,
        )
    weight = dose.weight_kg
    if weight is None:
        latest = session.patient.weights.order_by("-measured_at").first()
        weight = latest.weight_kg if latest else None
    if session.route == "im":
        doses = [{"start_min": 0, "mg": float(dose.dose_mg)}]
    else:
        delivery = infusion_delivery(dose, events, now)
        segments = delivery.segments if delivery else []
        doses = [
            {"start_min": float(s.start_min), "end_min": float(s.end_min), "mg": float(s.mg)}
            for s in segments
            if s.mg > 0
        ]
    if not doses:
        return None
    total = sum((Decimal(str(d["mg"])) for d in doses), Decimal(0)).quantize(Decimal("0.1"))
    label = f"{mg_text(total)} mg as given ({session.route.upper()})"
    return label, PredictionRequest(
        weight_kg=None if weight is None else float(weight),
        route=session.route,
        doses=doses,
        times_min=PREDICTION_TIMES_MIN,
    )


def session_prediction(
    session: TreatmentSession, now: datetime | None = None
) -> PredictionBlock | None:
    """The predicted concentration of the doses as given (real start and stop times, pauses,
    rate changes; esketamine devices at their times; a running infusion up to `now`); None
    before the first dose."""
    dose = getattr(session, "dose", None)
    if dose is None or not session.administration_events.exists():
        return None
    regimen = _request(session, dose, now or timezone.now())
    return prediction_block([regimen]) if regimen else None
