"""A writer for the backup test: sets up a clinic, then records ledger entries until stopped.

Run as `python -m tests.backup_writer` with DATABASE_URL / KETAMINE_CLINIC_DATA_DIR naming a
migrated database. It prints `ready` once set up, then the id of each ledger entry after its
transaction has committed (`acked <id>`), so that the test knows which writes were acknowledged.
"""

from __future__ import annotations

import os
import sys
from datetime import date, timedelta
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketamine_clinic.settings")

import django

PASSWORD = "backup test password 2026"


def main() -> None:
    django.setup()
    from ketamine_clinic.accounts.models import Clinic, Membership, Organization, StaffMember
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import Product, Supplier
    from ketamine_clinic.patients import services as patient_services

    org = Organization.objects.create(name="Backup Health", mrn_prefix="BH")
    clinic = Clinic.objects.create(organization=org, name="Backup North")
    nurse = StaffMember.objects.create_user(username="bnurse", password=PASSWORD, organization=org)
    Membership.objects.create(staff=nurse, clinic=clinic, role="nurse")
    patient = patient_services.patient_register(
        actor=nurse,
        clinic=clinic,
        details={
            "legal_given_name": "Ada",
            "legal_family_name": "Backup",
            "date_of_birth": date(1980, 1, 2),
            "sex": "female",
        },
    )
    product = Product.objects.create(
        organization=org,
        name="Ketamine HCl injection",
        ndc="0409-2051-05",
        form="100 mg/mL, 10 mL vial",
        mg_per_container=1000,
        ml_per_container=10,
    )
    supplier = Supplier.objects.create(
        organization=org, name="Supply Co", address="1 Way", dea_number="RM1234563"
    )
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        receipt = services.receipt_record(
            actor=nurse,
            signature=PASSWORD,
            clinic=clinic,
            product=product,
            supplier=supplier,
            lot_number=f"L{n}",
            expires_on=date.today() + timedelta(days=400),
            invoice=f"INV-{n}",
            containers=1,
            label_prefix=f"B{n}-",
        )
        print("acked", receipt.entries[0].pk, flush=True)
        draw = services.dispense_record(
            actor=nurse,
            signature=PASSWORD,
            container=receipt.containers[0],
            patient=patient,
            quantity_mg=Decimal("50"),
            administered_mg=Decimal("50"),
        )
        print("acked", draw.pk, flush=True)


if __name__ == "__main__":
    sys.exit(main())
