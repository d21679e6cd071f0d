"""Records at clinic 1 for the API fuzz test, so that the low ids it draws exist."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketamine_clinic.inventory import services as ledger
from ketamine_clinic.inventory.models import Product, Supplier
from ketamine_clinic.measures import services as measures
from ketamine_clinic.plans import services as plans
from ketamine_clinic.plans.models import Chair, Room
from ketamine_clinic.screening import services as screening
from tests.conftest import PASSWORD
from tests.plans.conftest import next_monday
from tests.screening.test_screening import _intake


def fill_world(world: Any) -> dict[str, Any]:
    """Add a ledger with a dispense, an assessment with its alert, a screening and a plan."""
    nurse, patient = world.nurse, world.patient1
    product = Product.objects.create(
        organization=world.org,
        name="Ketamine HCl injection",
        ndc="0409-2051-05",
        form="100 mg/mL, 10 mL vial",
        mg_per_container=1000,
        ml_per_container=10,
    )
    supplier = Supplier.objects.create(
        organization=world.org, name="North Supply", address="1 Way", dea_number="RN1234563"
    )
    vials = ledger.receipt_record(
        actor=nurse,
        signature=PASSWORD,
        clinic=world.clinic1,
        product=product,
        supplier=supplier,
        lot_number="NK1",
        expires_on=timezone.localdate() + timedelta(days=400),
        invoice="INV-1",
        containers=2,
        label_prefix="NORTHV-",
    ).containers
    dispense = ledger.dispense_record(
        actor=nurse, signature=PASSWORD, container=vials[0], quantity_mg="50", patient=patient
    )
    assessment = measures.assessment_record(
        actor=nurse, patient=patient, instrument_id="phq9", answers=[1, 1, 1, 1, 1, 1, 1, 1, 2]
    )
    found = screening.screening_record(actor=nurse, patient=patient, intake=_intake())
    plans.protocols_seed(clinic=world.clinic1)
    room = Room.objects.create(clinic=world.clinic1, name="North room")
    Chair.objects.create(clinic=world.clinic1, room=room, name="North chair")
    plan = plans.plan_create(
        actor=world.prescriber,
        patient=patient,
        protocol="iv-ketamine-induction",
        start_date=next_monday(),
    ).plan
    assert dispense.quantity_mg == Decimal("50.0")
    return {
        "vials": vials,
        "dispense": dispense,
        "assessment": assessment,
        "screening": found,
        "plan": plan,
    }
