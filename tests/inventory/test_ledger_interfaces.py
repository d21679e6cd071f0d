"""The ledger through its command, its API and its pages."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from ketamine_clinic.accounts.models import Organization
from ketamine_clinic.audit import triggers
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.clinical.ledger import biennial_inventory_due
from ketamine_clinic.inventory import services
from ketamine_clinic.inventory.models import (
    Container,
    Discrepancy,
    InventorySettings,
    LedgerEntry,
    Lot,
    Product,
)
from ketamine_clinic.patients.models import Patient
from tests.conftest import PASSWORD, make_staff

API = "/api/v1/inventory"


def _dispense(world, stock, mg="100"):
    return services.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=stock.vial,
        quantity_mg=mg,
        patient=world.patient1,
    )


def _post(client, path, body, headers):
    return client.post(f"{API}/{path}", body, content_type="application/json", **headers)


def _draw_body(stock, patient, mg, **more):
    return {
        "container_id": stock.vial.pk,
        "quantity_mg": mg,
        "patient_id": patient.pk,
        "signature": PASSWORD,
        **more,
    }


def test_ledger_verify_and_balance_commands(world, stock, capsys):
    _dispense(world, stock)
    call_command("ledger", "verify", "--json")
    assert json.loads(capsys.readouterr().out) == {
        "ok": True,
        "entries": 2,
        "first_bad_entry": None,
        "containers_out_of_balance": [],
    }
    call_command("ledger", "balance", "--json")
    rows = json.loads(capsys.readouterr().out)["containers"]
    assert [(r["container"], r["balance_mg"]) for r in rows] == [("V-0001", "900.000")]


def test_verify_exits_1_and_names_the_forged_entry(world, stock, capsys):
    entry = _dispense(world, stock)
    triggers.drop_triggers(connection, "inventory_ledgerentry")
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE inventory_ledgerentry SET reason = 'x' WHERE id = %s", [entry.pk]
            )
        with pytest.raises(SystemExit) as caught:
            call_command("ledger", "verify", "--json")
        assert caught.value.code == 1
        assert json.loads(capsys.readouterr().out)["first_bad_entry"] == entry.pk
    finally:
        triggers.create_triggers(connection, "inventory_ledgerentry")


def test_api_dispense_overdraw_answers_409_with_the_balance(world, stock, client, token_for):
    headers = token_for(world.nurse)
    ok = _post(client, "dispenses", _draw_body(stock, world.patient1, "950"), headers)
    assert ok.status_code == 201
    assert ok.json()["balance_after_mg"] == "50.000"
    over = _post(client, "dispenses", _draw_body(stock, world.patient1, "60"), headers)
    assert over.status_code == 409
    assert over.json()["available_mg"] == "50.000"
    assert over.json()["errors"] == [
        {
            "field": "quantity_mg",
            "message": "The container holds 50 mg; 60 mg cannot be taken from it.",
        }
    ]
    assert LedgerEntry.objects.count() == 2


def test_api_refuses_bad_input_and_other_clinics(world, stock, client, token_for):
    headers = token_for(world.nurse)
    before = LedgerEntry.objects.count()
    bad = _post(client, "dispenses", _draw_body(stock, world.patient1, "12.25"), headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "quantity_mg"
    foreign = _post(client, "dispenses", _draw_body(stock, world.patient2, "10"), headers)
    assert foreign.status_code == 404
    unsigned = _post(
        client, "dispenses", _draw_body(stock, world.patient1, "10", signature="nope"), headers
    )
    assert unsigned.status_code == 422
    assert unsigned.json()["errors"][0]["field"] == "signature"
    long_session = _post(
        client, "dispenses", _draw_body(stock, world.patient1, "10", session_ref="S" * 61), headers
    )
    assert long_session.status_code == 422
    assert long_session.json()["errors"] == [
        {"field": "session_ref", "message": "At most 60 characters."}
    ]
    assert LedgerEntry.objects.count() == before
    other = client.get(f"{API}/containers", **token_for(world.nurse2))
    assert other.json() == []
    assert client.get(f"{API}/containers", **token_for(world.frontdesk)).status_code == 403


def test_api_receipt_refuses_another_organisations_product_and_text_too_long(
    world, stock, client, token_for
):
    headers = token_for(world.nurse)
    elsewhere = Organization.objects.create(name="Elsewhere Health", mrn_prefix="EH")
    foreign = Product.objects.create(
        organization=elsewhere,
        name="Ketamine",
        ndc="0409-2051-05",
        form="100 mg/mL, 10 mL vial",
        mg_per_container=1000,
    )
    body = {
        "clinic_id": world.clinic1.pk,
        "product_id": stock.product.pk,
        "supplier_id": stock.supplier.pk,
        "lot_number": "KX2202",
        "expires_on": (timezone.localdate() + timedelta(days=300)).isoformat(),
        "invoice": "INV-900",
        "containers": 2,
        "signature": PASSWORD,
    }
    before = (Container.objects.count(), Lot.objects.count(), LedgerEntry.objects.count())
    assert _post(client, "receipts", {**body, "product_id": foreign.pk}, headers).status_code == 404
    for field, length, limit in (("lot_number", 41, 40), ("label_prefix", 9, 8)):
        refused = _post(client, "receipts", {**body, field: "L" * length}, headers)
        assert refused.status_code == 422, field
        assert refused.json()["errors"] == [
            {"field": field, "message": f"At most {limit} characters."}
        ]
    assert (Container.objects.count(), Lot.objects.count(), LedgerEntry.objects.count()) == before
    made = _post(client, "receipts", body, headers)
    assert made.status_code == 201
    assert [(c["label"], c["balance_mg"]) for c in made.json()] == [
        ("V-0002", "1000.0"),
        ("V-0003", "1000.0"),
    ]


def test_api_reads_of_the_ledger_are_audited(world, stock, client, token_for):
    headers = token_for(world.auditor)
    client.get(f"{API}/containers", **headers)
    client.get(f"{API}/entries", {"kind": "receipt"}, **headers)
    reads = AuditEvent.objects.filter(actor=world.auditor, action="ledger.view").order_by("pk")
    assert [(e.detail["api"], e.detail["rows"]) for e in reads] == [
        ("containers", 1),
        ("entries", 1),
    ]
    assert reads.last().detail["kind"] == "receipt"


def test_api_waste_and_count(world, stock, client, token_for):
    headers = token_for(world.nurse)

    def waste_body(dose, mg, witness="prescriber"):
        return {
            "dispense_id": dose.pk,
            "quantity_mg": mg,
            "witness_username": witness,
            "witness_signature": PASSWORD,
            "signature": PASSWORD,
        }

    dose = _dispense(world, stock, "50")
    waste = _post(client, "wastes", waste_body(dose, "8.8"), headers)
    assert waste.status_code == 422  # given defaults to drawn: nothing left to waste
    assert waste.json()["errors"] == [
        {
            "field": "quantity_mg",
            "message": "Only 0 mg of this dose is unaccounted for: given plus wasted cannot "
            "exceed what was drawn.",
        }
    ]
    dose2 = services.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=stock.vial,
        quantity_mg="50",
        administered_mg="41.2",
        patient=world.patient1,
    )
    waste = _post(client, "wastes", waste_body(dose2, "8.8"), headers)
    assert waste.status_code == 201
    assert waste.json()["witness"] == "prescriber"
    make_staff(world.org, "nurse3", world.clinic2, "nurse")  # a clinician of the other clinic
    outsider = _post(client, "wastes", waste_body(dose2, "0.1", witness="nurse3"), headers)
    assert outsider.status_code == 422
    assert outsider.json()["errors"] == [
        {"field": "witness_username", "message": "No such staff member at this clinic."}
    ]
    count = _post(
        client,
        "counts",
        {
            "clinic_id": world.clinic1.pk,
            "counted": {str(stock.vial.pk): "899"},
            "signature": PASSWORD,
        },
        headers,
    )
    assert count.status_code == 201
    assert count.json()["discrepancies"] == 1
    assert Discrepancy.objects.get().difference_mg == -1
    entries = client.get(f"{API}/entries", **token_for(world.auditor)).json()
    assert [e["kind"] for e in entries] == ["receipt", "dispense", "dispense", "waste"]


def test_api_entries_carry_both_witnesses_and_the_form_41_facts(world, stock, client, token_for):
    second = make_staff(world.org, "nurse3", world.clinic1, "nurse")
    services.disposal_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=stock.vial,
        kind="destruction",
        quantity_mg="1000",
        details={"method": "digestion kit", "location": "pharmacy room"},
        witnesses=[(world.prescriber, PASSWORD), (second, PASSWORD)],
    )
    destroyed = client.get(f"{API}/entries", {"kind": "destruction"}, **token_for(world.auditor))
    [entry] = destroyed.json()
    assert (entry["witness"], entry["witness2"], entry["details"]) == (
        "prescriber",
        "nurse3",
        {"method": "digestion kit", "location": "pharmacy room"},
    )


def test_pages_draw_a_dose_and_the_csv_record_matches_to_the_milligram(world, stock, login):
    Patient.objects.filter(pk=world.patient1.pk).update(address="12 Elm Street, Springfield")
    client = login(world.nurse)
    assert "Ledger intact" in client.get("/inventory/").content.decode()
    response = client.post(
        "/inventory/dispense/",
        {
            "container": stock.vial.pk,
            "patient_mrn": world.patient1.mrn,
            "quantity_mg": "42",
            "administered_mg": "41.2",
            "session_ref": "S-9",
            "signature": PASSWORD,
        },
    )
    assert response.status_code == 302
    dose = LedgerEntry.objects.get(kind="dispense")
    waste = client.post(
        f"/inventory/entries/{dose.pk}/waste/",
        {
            "quantity_mg": "0.8",
            "reason": "left in syringe",
            "signature": PASSWORD,
            "witness_username": "prescriber",
            "witness_signature": PASSWORD,
        },
    )
    assert waste.status_code == 302
    auditor = login(world.auditor)
    body = auditor.get("/inventory/log.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["kind"], r["quantity_mg"], r["given_mg"], r["balance_after_mg"]) for r in rows] == [
        ("receipt", "1000.000", "", "1000.000"),
        ("dispense", "42.000", "41.200", "958.000"),
        ("waste", "0.800", "", "958.000"),
    ]
    assert rows[1]["patient_mrn"] == world.patient1.mrn
    assert rows[1]["patient_address"] == "12 Elm Street, Springfield"
    assert rows[2]["witness"] == "Prescriber Tester"
    assert rows[0]["supplier_dea"] == "RM1234563"
    assert rows[0]["supplier_address"] == "1 Supply Way, Columbus OH"


def test_front_desk_sees_no_controlled_substances(world, stock, login):
    assert login(world.frontdesk).get("/inventory/").status_code == 403


@pytest.mark.parametrize(
    "name", ["record", "dispensing", "waste", "on_hand", "discrepancies", "inventory"]
)
def test_every_report_on_screen_csv_and_pdf(world, stock, login, name):
    dose = services.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=stock.vial,
        quantity_mg="42",
        administered_mg="41.2",
        patient=world.patient1,
    )
    services.waste_record(
        actor=world.nurse,
        signature=PASSWORD,
        dispense=dose,
        quantity_mg="0.8",
        witness=world.prescriber,
        witness_signature=PASSWORD,
    )
    services.count_record(
        actor=world.nurse,
        signature=PASSWORD,
        clinic=world.clinic1,
        kind="biennial",
        business_hours="open",
        counted={stock.vial.pk: "950"},
    )
    client = login(world.auditor)
    patient = f"Alice Moreno ({world.patient1.mrn})"
    expected = {
        "record": [
            {"#": "1", "Entry": "Receipt", "mg": "1000", "Given (mg)": "", "Balance (mg)": "1000"},
            {
                "#": "2",
                "Entry": "Drawn for a patient",
                "mg": "42",
                "Given (mg)": "41.2",
                "Balance (mg)": "958",
                "Patient": patient,
                "By": "Nurse Tester",
            },
            {
                "#": "3",
                "Entry": "Waste (drawn, not given)",
                "mg": "0.8",
                "Balance (mg)": "958",
                "Witness": "Prescriber Tester",
            },
        ],
        "dispensing": [
            {"#": "2", "mg": "42", "Given (mg)": "41.2", "Balance (mg)": "958", "Patient": patient}
        ],
        "waste": [{"#": "3", "mg": "0.8", "Patient": patient, "Witness": "Prescriber Tester"}],
        "on_hand": [
            {"Container": "V-0001", "Lot": "KX2201", "Balance (mg)": "958", "Clinic": "North"}
        ],
        "discrepancies": [
            {
                "Container": "V-0001",
                "Counted (mg)": "950",
                "Ledger (mg)": "958",
                "Difference (mg)": "-8",
                "Resolved": "open",
            }
        ],
        "inventory": [
            {"Container": "V-0001", "Lot": "KX2201", "Counted (mg)": "950", "Ledger (mg)": "958"}
        ],
    }[name]
    screen = client.get("/inventory/reports/", {"report": name})
    assert screen.status_code == 200
    for value in expected[-1].values():
        assert f"<td>{value}</td>" in screen.content.decode(), value
    exported = client.get("/inventory/reports/", {"report": name, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [
        {column: row[column] for column in want} for row, want in zip(rows, expected, strict=True)
    ] == expected
    pdf = client.get("/inventory/reports/", {"report": name, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")


def test_the_stock_page_says_when_the_next_count_is_due(world, stock, login):
    InventorySettings.objects.create(clinic=world.clinic1, count_every_hours=8)
    count = services.count_record(
        actor=world.nurse,
        signature=PASSWORD,
        clinic=world.clinic1,
        kind="scheduled",
        business_hours="close",
        counted={stock.vial.pk: "1000"},
    )
    due = count.counted_at + timedelta(hours=8)
    body = login(world.nurse).get("/inventory/").content.decode()
    local = timezone.localtime(due, ZoneInfo(world.clinic1.timezone))  # the clinic's zone
    assert f"Next count due by {local:%Y-%m-%d %H:%M %Z}" in body


def test_reading_the_ledger_is_audited(world, stock, login):
    client = login(world.auditor)
    client.get("/inventory/")
    client.get(f"/inventory/containers/{stock.vial.pk}/")
    client.get("/inventory/reports/", {"report": "dispensing"})
    views = AuditEvent.objects.filter(actor=world.auditor, action="ledger.view")
    assert views.count() == 2
    assert views.filter(object_id=str(stock.vial.pk)).exists()
    report = AuditEvent.objects.get(actor=world.auditor, action="ledger.report")
    assert report.detail["report"] == "dispensing" and report.detail["format"] == "screen"


def test_counts_and_the_inventory_are_due_from_the_first_day_drug_is_held(world, stock, login):
    first = LedgerEntry.objects.get(seq=1).occurred_at  # the receipt; nothing counted yet
    body = login(world.nurse).get("/inventory/").content.decode()
    zone = ZoneInfo(world.clinic1.timezone)
    count_due = timezone.localtime(first + timedelta(hours=24), zone)  # the default interval
    assert f"Next count due by {count_due:%Y-%m-%d %H:%M %Z}" in body
    assert f"Biennial inventory due by {timezone.localdate(first):%Y-%m-%d}" in body
    services.count_record(
        actor=world.nurse,
        signature=PASSWORD,
        clinic=world.clinic1,
        kind="biennial",
        business_hours="open",
        counted={stock.vial.pk: "1000"},
    )
    body = login(world.nurse).get("/inventory/").content.decode()
    due = biennial_inventory_due(timezone.localdate())  # its edges: test_disposals.py
    assert f"Biennial inventory due by {due:%Y-%m-%d}" in body


def test_the_count_page_names_the_container_at_fault(world, stock, login):
    client = login(world.nurse)
    page = client.post(
        f"/inventory/count/?clinic={world.clinic1.pk}",
        {
            "kind": "scheduled",
            "business_hours": "close",
            f"c{stock.vial.pk}": "12.25",
            "signature": PASSWORD,
        },
    )
    assert "V-0001: This product is measured in steps of 0.1 mg." in page.content.decode()
    assert not Discrepancy.objects.exists()


def test_a_discrepancy_that_no_longer_fits_is_refused_on_its_page(world, stock, login):
    services.count_record(
        actor=world.nurse,
        signature=PASSWORD,
        clinic=world.clinic1,
        kind="scheduled",
        business_hours="close",
        counted={stock.vial.pk: "100"},
    )
    _dispense(world, stock, "500")
    discrepancy = Discrepancy.objects.get()
    page = login(world.prescriber).post(
        f"/inventory/discrepancies/{discrepancy.pk}/",
        {"resolution": "Counted wrongly, the vial was full.", "signature": PASSWORD},
    )
    assert page.status_code == 200
    assert "The container holds 500 mg; 900 mg cannot be taken from it." in page.content.decode()
    assert not LedgerEntry.objects.filter(kind="adjustment").exists()


def test_a_report_in_any_format_asked_for_is_audited(world, stock, login):
    client = login(world.auditor)
    page = client.get("/inventory/reports/", {"report": "dispensing", "format": "xml"})
    assert page.status_code == 200
    [read] = AuditEvent.objects.filter(actor=world.auditor, action="ledger.report")
    assert (read.detail["report"], read.detail["format"]) == ("dispensing", "screen")
