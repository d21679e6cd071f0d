"""Returns, destruction, breakage, transfers between sites, and theft or loss reports."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import Clinic, Membership
from ketamine_clinic.clinical.ledger import (
    FORM_106_DAYS,
    biennial_inventory_due,
    business_day_after,
)
from ketamine_clinic.inventory import services
from ketamine_clinic.inventory.models import LedgerEntry
from tests.conftest import PASSWORD, make_staff

from .conftest import receive


def test_business_days_skip_the_weekend():
    assert business_day_after(date(2026, 11, 26)) == date(2026, 11, 27)  # Thu → Fri
    assert business_day_after(date(2026, 11, 27)) == date(2026, 11, 30)  # Fri → Mon
    assert business_day_after(date(2026, 11, 28)) == date(2026, 11, 30)  # Sat → Mon
    assert business_day_after(date(2026, 11, 29)) == date(2026, 11, 30)  # Sun → Mon
    assert FORM_106_DAYS == 45


def test_the_next_inventory_is_due_within_two_years_of_the_last():
    assert biennial_inventory_due(date(2025, 3, 1)) == date(2027, 3, 1)
    assert biennial_inventory_due(date(2024, 2, 29)) == date(2026, 2, 28)  # never past 2 years


def test_destruction_needs_two_different_witnesses_and_the_form_41_facts(world, stock):
    second = make_staff(world.org, "nurse3", world.clinic1, "nurse")
    common = {
        "actor": world.nurse,
        "signature": PASSWORD,
        "container": stock.vial,
        "kind": "destruction",
        "quantity_mg": "100",
    }
    details = {"method": "chemical digestion kit", "location": "clinic pharmacy room"}
    with pytest.raises(ValidationError, match="needs 2 witness"):
        services.disposal_record(
            **common, details=details, witnesses=[(world.prescriber, PASSWORD)]
        )
    with pytest.raises(ValidationError, match="different person"):
        services.disposal_record(
            **common,
            details=details,
            witnesses=[(world.prescriber, PASSWORD), (world.prescriber, PASSWORD)],
        )
    with pytest.raises(ValidationError) as caught:
        services.disposal_record(
            **common,
            details={"method": "kit"},
            witnesses=[(world.prescriber, PASSWORD), (second, PASSWORD)],
        )
    assert "details.location" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.disposal_record(
            **common, details=details, witnesses=[(world.prescriber, PASSWORD), (second, "no")]
        )
    assert "witness_signature.2" in caught.value.message_dict
    third = make_staff(world.org, "nurse4", world.clinic1, "nurse")
    with pytest.raises(ValidationError, match="At most two witnesses"):
        services.disposal_record(
            **common,
            details=details,
            witnesses=[(world.prescriber, PASSWORD), (second, PASSWORD), (third, PASSWORD)],
        )
    with pytest.raises(ValidationError) as caught:
        services.disposal_record(
            **common,
            details={**details, "location": "x" * 201},
            witnesses=[(world.prescriber, PASSWORD), (second, PASSWORD)],
        )
    assert caught.value.message_dict == {"details.location": ["At most 200 characters."]}
    assert not LedgerEntry.objects.filter(kind="destruction").exists()
    entry = services.disposal_record(
        **common, details=details, witnesses=[(world.prescriber, PASSWORD), (second, PASSWORD)]
    )
    assert (entry.witness, entry.witness2, entry.balance_after_mg) == (
        world.prescriber,
        second,
        Decimal(900),
    )
    assert entry.details == details
    assert services.verify().ok


def test_return_and_breakage(world, stock):
    services.disposal_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=stock.vial,
        kind="return",
        quantity_mg="500",
        details={"supplier": "Medline", "reference": "RA-19"},
    )
    spill = services.disposal_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=stock.vial,
        kind="breakage",
        quantity_mg="20",
        details={"what_happened": "vial dropped while drawing"},
        witnesses=[(world.prescriber, PASSWORD)],
    )
    assert spill.balance_after_mg == Decimal(480)


def test_a_whole_container_moves_to_another_site_in_both_chains(world, stock):
    Membership.objects.create(staff=world.nurse, clinic=world.clinic2, role="nurse")
    moved = services.transfer_record(
        actor=world.nurse, signature=PASSWORD, container=stock.vial, to_clinic=world.clinic2
    )
    stock.vial.refresh_from_db()
    assert stock.vial.balance_mg == 0
    assert (moved.clinic, moved.balance_mg, moved.label) == (world.clinic2, 1000, "V-0001-T")
    arrival = LedgerEntry.objects.get(clinic=world.clinic2)
    assert arrival.seq == 1 and arrival.kind == "transfer_in"
    assert arrival.related.kind == "transfer_out"
    assert services.verify().ok


def test_containers_with_the_same_label_arrive_under_labels_of_their_own(world, stock):
    west = Clinic.objects.create(organization=world.org, name="West")
    for clinic in (world.clinic2, west):
        Membership.objects.create(staff=world.nurse, clinic=clinic, role="nurse")
    from_west = services.receipt_record(
        actor=world.nurse,
        signature=PASSWORD,
        clinic=west,
        product=stock.product,
        supplier=stock.supplier,
        lot_number="KX2201",
        expires_on=stock.vial.lot.expires_on,
        invoice="INV-779",
        containers=1,
        label_prefix="V-",
    ).containers[0]
    assert from_west.label == stock.vial.label == "V-0001"

    def move(container, to):
        return services.transfer_record(
            actor=world.nurse, signature=PASSWORD, container=container, to_clinic=to
        )

    first = move(stock.vial, world.clinic2)
    second = move(from_west, world.clinic2)
    assert (first.label, second.label) == ("V-0001-T", "V-0001-T2")
    back = move(first, world.clinic1)  # home again: its old label is taken by the empty vial
    assert back.label == "V-0001-T"
    assert back.balance_mg == 1000
    assert services.verify().ok


def test_a_transfer_needs_a_role_at_both_sites(world, stock):
    from ketamine_clinic.accounts.access import AccessDenied

    with pytest.raises(AccessDenied):
        services.transfer_record(
            actor=world.nurse, signature=PASSWORD, container=stock.vial, to_clinic=world.clinic2
        )


def test_a_theft_starts_both_reporting_clocks(world, stock):
    report = services.loss_report_record(
        actor=world.prescriber,
        signature=PASSWORD,
        container=stock.vial,
        kind="theft",
        quantity_mg="200",
        discovered_on=date(2026, 11, 20),
        circumstances="Cabinet found forced at opening; vial partly emptied.",
    )
    assert report.notice_due_on == date(2026, 11, 23)  # Friday → Monday
    assert report.form_106_due_on == date(2027, 1, 4)  # 45 calendar days
    stock.vial.refresh_from_db()
    assert stock.vial.balance_mg == 800
    services.loss_report_progress(
        actor=world.prescriber, report=report, notice_sent_on=date(2026, 11, 23)
    )
    report.refresh_from_db()
    assert report.notice_sent_on == date(2026, 11, 23)
    with pytest.raises(ValidationError, match="Nothing new"):
        services.loss_report_progress(
            actor=world.prescriber, report=report, notice_sent_on=date(2026, 11, 23)
        )
    from ketamine_clinic.accounts.access import AccessDenied

    with pytest.raises(AccessDenied):
        services.loss_report_record(
            actor=world.nurse,
            signature=PASSWORD,
            container=stock.vial,
            kind="loss",
            quantity_mg="1",
            discovered_on=date(2026, 11, 20),
            circumstances="Missing 1 mg?",
        )


def test_destruction_and_a_theft_through_the_pages(world, stock, login):
    second = make_staff(world.org, "nurse3", world.clinic1, "nurse")
    client = login(world.nurse)
    refused = client.post(
        f"/inventory/containers/{stock.vial.pk}/disposal/",
        {
            "kind": "destruction",
            "quantity_mg": "100",
            "method": "digestion kit",
            "location": "pharmacy room",
            "signature": PASSWORD,
            "witness_1": "prescriber",
            "witness_signature_1": PASSWORD,
        },
    )
    assert "This needs 2 witness(es)." in refused.content.decode()
    outsider = client.post(
        f"/inventory/containers/{stock.vial.pk}/disposal/",
        {
            "kind": "breakage",
            "quantity_mg": "10",
            "what_happened": "vial dropped",
            "signature": PASSWORD,
            "witness_1": world.nurse2.username,  # works at the other clinic only
            "witness_signature_1": PASSWORD,
        },
    )
    assert "No such staff member at this clinic." in outsider.content.decode()
    assert not LedgerEntry.objects.filter(kind__in=["destruction", "breakage"]).exists()
    done = client.post(
        f"/inventory/containers/{stock.vial.pk}/disposal/",
        {
            "kind": "destruction",
            "quantity_mg": "100",
            "method": "digestion kit",
            "location": "pharmacy room",
            "signature": PASSWORD,
            "witness_1": "prescriber",
            "witness_signature_1": PASSWORD,
            "witness_2": second.username,
            "witness_signature_2": PASSWORD,
        },
    )
    assert done.status_code == 302
    assert LedgerEntry.objects.get(kind="destruction").witness2 == second
    record = login(world.auditor).get("/inventory/log.csv").content.decode()
    [destroyed] = [r for r in csv.DictReader(io.StringIO(record)) if r["kind"] == "destruction"]
    assert (destroyed["witness"], destroyed["witness_2"], destroyed["details"]) == (
        "Prescriber Tester",
        "Nurse3 Tester",
        "method: digestion kit; location: pharmacy room",
    )
    client = login(world.nurse)
    assert client.get(f"/inventory/containers/{stock.vial.pk}/loss/").status_code == 403
    doctor = login(world.prescriber)
    reported = doctor.post(
        f"/inventory/containers/{stock.vial.pk}/loss/",
        {
            "kind": "theft",
            "quantity_mg": "50",
            "discovered_on": "2026-11-20",
            "circumstances": "Cabinet forced overnight; vial partly emptied.",
            "signature": PASSWORD,
        },
    )
    assert reported.status_code == 302
    stock_page = doctor.get("/inventory/").content.decode()
    assert "Theft and loss reports" in stock_page
    assert "due 2026-11-23" in stock_page and "due 2027-01-04" in stock_page
    assert services.verify().ok


def test_transfer_through_the_page(world, stock, login):
    Membership.objects.create(staff=world.nurse, clinic=world.clinic2, role="nurse")
    client = login(world.nurse)
    page = client.post(
        f"/inventory/containers/{stock.vial.pk}/transfer/",
        {"to_clinic": world.clinic2.pk, "signature": PASSWORD},
    )
    moved = LedgerEntry.objects.get(kind="transfer_in").container
    assert page["Location"] == f"/inventory/containers/{moved.pk}/"
    assert moved.clinic == world.clinic2


def test_a_product_used_whole_takes_only_whole_devices(world):
    from ketamine_clinic.inventory.models import Product, Supplier

    kit = Product.objects.create(
        organization=world.org,
        name="Esketamine nasal spray",
        ndc="50458-028-02",
        form="56 mg kit",
        mg_per_container=56,
        quantity_decimals=0,
        unit_mg=28,
    )
    supplier = Supplier.objects.create(
        organization=world.org, name="S", address="A", dea_number="RS0000000"
    )
    container = receive(world, kit, supplier, prefix="S-").containers[0]
    with pytest.raises(ValidationError, match="multiple of 28 mg"):
        services.dispense_record(
            actor=world.nurse,
            signature=PASSWORD,
            container=container,
            quantity_mg="14",
            patient=world.patient1,
        )
    entry = services.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=container,
        quantity_mg="56",
        patient=world.patient1,
    )
    assert entry.balance_after_mg == 0
    assert kit.describe(Decimal(56)) == "56 mg (2 × 28 mg)"


def test_vials_are_described_in_ml_too(world, stock):
    assert stock.product.describe(Decimal("958")) == "958 mg (9.58 mL)"
