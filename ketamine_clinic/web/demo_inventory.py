"""Demo controlled-substance stock: two products, a month of draws with witnessed waste, and
one open discrepancy from last night's count."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from ketamine_clinic.accounts.models import Clinic, Organization, StaffMember
from ketamine_clinic.inventory import catalog, services
from ketamine_clinic.patients.models import Patient

DEMO_PASSWORD = "ketamine-demo-2026"


def seed(
    rng: random.Random,
    org: Organization,
    clinic: Clinic,
    patients: list[Patient],
    nurse: StaffMember,
    prescriber: StaffMember,
) -> None:
    # NDC 0409-2051 is a ketamine HCl injection product in the FDA NDC directory
    # (docs/clinical/reference.md §3.4); 100 mg/mL, 10 mL vial.
    ketamine = catalog.product_create(
        actor=prescriber,
        organization=org,
        name="Ketamine HCl injection",
        ndc="0409-2051",
        form="100 mg/mL, 10 mL multi-dose vial",
        mg_per_container=1000,
        ml_per_container=10,
    )
    # Spravato 56 mg kit, NDC 50458-028-02 (docs/clinical/reference.md §3.4): two 28 mg devices.
    catalog.product_create(
        actor=prescriber,
        organization=org,
        name="Esketamine nasal spray (Spravato)",
        ndc="50458-028-02",
        form="56 mg kit (2 × 28 mg devices)",
        mg_per_container=56,
        quantity_decimals=0,
        unit_mg=28,
    )
    supplier = catalog.supplier_create(
        actor=prescriber,
        organization=org,
        name="Northwind Medical Supply (invented)",
        address="400 Harbor Blvd, Newark NJ",
        dea_number="RN0000000",
    )
    start = timezone.now() - timedelta(days=30)
    receipt = services.receipt_record(
        actor=nurse,
        signature=DEMO_PASSWORD,
        clinic=clinic,
        product=ketamine,
        supplier=supplier,
        lot_number="KX24-0917",
        expires_on=timezone.localdate() + timedelta(days=420),
        invoice="NW-55120",
        containers=3,
        label_prefix="K-",
        occurred_at=start,
    )
    vials = receipt.containers
    when = start
    vial = 0
    for _ in range(24):
        when += timedelta(hours=rng.randint(26, 32))
        if when > timezone.now() - timedelta(hours=2):
            break
        patient = rng.choice(patients)
        weight = patient.weights.order_by("-measured_at").first()
        # 0.5 mg/kg (docs/clinical/reference.md §1.3), to 0.1 mg; the draw is rounded up to whole
        # mg.
        dose = (Decimal("0.5") * (weight.weight_kg if weight else Decimal(70))).quantize(
            Decimal("0.1")
        )
        drawn = dose.to_integral_value(rounding="ROUND_CEILING") + rng.choice([0, 1, 2])
        container = vials[vial]
        container.refresh_from_db()
        if container.balance_mg < drawn + 60:
            vial += 1
            if vial >= len(vials):
                break
            container = vials[vial]
        entry = services.dispense_record(
            actor=nurse,
            signature=DEMO_PASSWORD,
            container=container,
            quantity_mg=drawn,
            patient=patient,
            session_ref=f"demo-{when:%Y%m%d}",
            administered_mg=dose,
            occurred_at=when,
        )
        if drawn > dose:
            services.waste_record(
                actor=nurse,
                signature=DEMO_PASSWORD,
                dispense=entry,
                quantity_mg=drawn - dose,
                witness=prescriber,
                witness_signature=DEMO_PASSWORD,
                reason="Left in syringe after the infusion",
                occurred_at=when + timedelta(minutes=50),
            )
    # This morning's dose: given, its waste not yet recorded (the waste form has work to do).
    patient = rng.choice(patients)
    for vial_row in vials:
        vial_row.refresh_from_db()
    container = next(v for v in vials if v.balance_mg >= 50)
    services.dispense_record(
        actor=nurse,
        signature=DEMO_PASSWORD,
        container=container,
        quantity_mg=Decimal(40),
        patient=patient,
        session_ref=f"demo-{timezone.now():%Y%m%d}",
        administered_mg=Decimal("36.4"),
        occurred_at=timezone.now() - timedelta(hours=1),
    )
    for container in vials:
        container.refresh_from_db()
    exact = {container.pk: container.balance_mg for container in vials}
    # The biennial inventory (21 CFR 1304.11): everything on hand, and it agrees with the ledger.
    services.count_record(
        actor=nurse,
        signature=DEMO_PASSWORD,
        clinic=clinic,
        kind="biennial",
        business_hours="open",
        counted=exact,
    )
    # The evening count finds 4.5 mg missing from the first vial that holds that much: the open
    # discrepancy (the last vial is still full, so there always is one).
    short = next(v for v in vials if v.balance_mg >= 5)
    counted = {**exact, short.pk: short.balance_mg - Decimal("4.5")}
    services.count_record(
        actor=nurse,
        signature=DEMO_PASSWORD,
        clinic=clinic,
        kind="scheduled",
        business_hours="close",
        counted=counted,
        notes="Evening count",
    )
