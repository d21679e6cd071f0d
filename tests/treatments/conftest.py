"""A clinic ready to run sessions: a room checked today, a chair, an IV protocol, a patient
screened and consented, a vial of 10 mg/mL ketamine in the ledger, and a C-SSRS done today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ketamine_clinic.inventory import services as ledger
from ketamine_clinic.inventory.models import Container, Product, Supplier
from ketamine_clinic.measures import services as measures
from ketamine_clinic.plans.models import Chair, Protocol, Room
from ketamine_clinic.screening import services as screening
from ketamine_clinic.treatments import closing, services
from ketamine_clinic.treatments.models import RoomReadinessCheck, TreatmentSession
from tests.conftest import PASSWORD
from tests.screening.test_screening import _consent, _screen

CSSRS_NEGATIVE = [0, 0, None, None, None, 0, None]
CSSRS_MODERATE = [1, 1, 1, 0, 0, 0, None]


@dataclass
class Bay:
    room: Room
    chair: Chair
    protocol: Protocol
    vial: Container  # 10 mg/mL, 10 mL: 100 mg


def make_protocol(world, route="iv", **changes) -> Protocol:
    values = {
        "clinic": world.clinic1,
        "slug": f"{route}-standard",
        "version": 1,
        "name": "IV ketamine 0.5 mg/kg over 40 min" if route == "iv" else "Esketamine 56 mg",
        "route": route,
        "indication_kind": "depression",
        "dose_unit": "mg_per_kg" if route == "iv" else "mg",
        "dose_default": Decimal("0.5") if route == "iv" else Decimal(56),
        "dose_min": Decimal("0.1") if route == "iv" else Decimal(28),
        "dose_max": Decimal("0.75") if route == "iv" else Decimal(84),
        "titration_step": Decimal("0.1") if route == "iv" else Decimal(28),
        "administration_minutes": 40 if route == "iv" else 5,
        "min_monitoring_minutes": 60 if route == "iv" else 120,
        "max_sessions_per_30_days": 8,
        "max_mg_per_30_days": Decimal(600),
        "source": "reference.md §1.3",
    }
    values.update(changes)
    return Protocol.objects.create(**values)


@pytest.fixture
def bay(world) -> Bay:
    room = Room.objects.create(clinic=world.clinic1, name="Room A")
    chair = Chair.objects.create(clinic=world.clinic1, room=room, name="Chair 1")
    protocol = make_protocol(world)
    product = Product.objects.create(
        organization=world.org,
        name="Ketamine HCl injection",
        ndc="0409-2053-10",
        form="10 mg/mL, 10 mL vial",
        mg_per_container=100,
        ml_per_container=10,
        quantity_decimals=1,
    )
    supplier = Supplier.objects.create(
        organization=world.org, name="Medline", address="1 Way", dea_number="RM1234563"
    )
    receipt = ledger.receipt_record(
        actor=world.nurse,
        signature=PASSWORD,
        clinic=world.clinic1,
        product=product,
        supplier=supplier,
        lot_number="KX10",
        expires_on=timezone.localdate() + timedelta(days=300),
        invoice="INV-1",
        containers=1,
        label_prefix="K10-",
    )
    _screen(world)
    _consent(world)
    assert screening.treatment_readiness(world.patient1, "iv", actor=world.nurse).ready
    measures.assessment_record(
        actor=world.nurse,
        patient=world.patient1,
        instrument_id="cssrs-screener",
        answers=CSSRS_NEGATIVE,
    )
    services.room_readiness_record(
        actor=world.nurse, room=room, items=dict.fromkeys(RoomReadinessCheck.ITEMS, True)
    )
    return Bay(room=room, chair=chair, protocol=protocol, vial=receipt.containers[0])


def walk_in(world, bay) -> TreatmentSession:
    return services.session_walk_in(
        actor=world.prescriber,
        patient=world.patient1,
        protocol=bay.protocol,
        chair=bay.chair,
        reason="Booked by phone this morning",
    )


GOOD_ANSWERS = {
    "identity_confirmed": True,
    "escort_confirmed": True,
    "questionnaires_done": True,
    "fasted_food_2h": True,
    "fasted_liquids_30min": True,
    "new_cardiac_or_cerebrovascular_event": False,
    "vascular_history_newly_known": False,
    "psychosis_or_mania": False,
    "alcohol_or_drugs_today": False,
    "possible_pregnancy": False,
    "bladder_symptoms": False,
}
BASELINE = {
    "sbp": Decimal(128),
    "dbp": Decimal(82),
    "hr": Decimal(72),
    "spo2": Decimal(98),
    "rr": Decimal(14),
    "temperature": Decimal("36.8"),
}


def answers(**changes):
    baseline = {**BASELINE, **changes.pop("baseline", {})}
    return services.CheckInAnswers(
        answers={**GOOD_ANSWERS, **changes.pop("answers", {})},
        baseline=baseline,
        pre_dose_moaas=changes.pop("pre_dose_moaas", 5),
        **changes,
    )


@pytest.fixture
def clock(monkeypatch):
    """Move the services' clock: clock.advance(minutes)."""
    from django.utils import timezone

    class Clock:
        now = timezone.now()

        def advance(self, minutes: float) -> None:
            self.now += timedelta(minutes=minutes)

    c = Clock()
    for module in (services, closing):
        monkeypatch.setattr(module, "_now", lambda: c.now)
    return c
