"""The ledger through its command, its API and its pages."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from ketamine_clinic.audit import triggers
from ketamine_clinic.inventory import services
from ketamine_clinic.inventory.models import Discrepancy, LedgerEntry
from tests.conftest import PASSWORD

API = "/api/v1/inventory"


def _dispense(world, stock, mg="100"):
    return services.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=stock.vial,
        quantity_mg=mg,
        patient=world.patient1,
    )


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
    ok = client.post(
        f"{API}/dispenses",
        {
            "container_id": stock.vial.pk,
            "quantity_mg": "950",
            "patient_id": world.patient1.pk,
            "signature": PASSWORD,
        },
        content_type="application/json",
        **headers,
    )
    assert ok.status_code == 201
    assert ok.json()["balance_after_mg"] == "50.000"
    over = client.post(
        f"{API}/dispenses",
        {
            "container_id": stock.vial.pk,
            "quantity_mg": "60",
            "patient_id": world.patient1.pk,
            "signature": PASSWORD,
        },
        content_type="application/json",
        **headers,
    )
    assert over.status_code == 409
    assert over.json()["available_mg"] == "50.000"
    assert LedgerEntry.objects.count() == 2


def test_api_refuses_bad_input_and_other_clinics(world, stock, client, token_for):
    headers = token_for(world.nurse)
    bad = client.post(
        f"{API}/dispenses",
        {
            "container_id": stock.vial.pk,
            "quantity_mg": "12.25",
            "patient_id": world.patient1.pk,
            "signature": PASSWORD,
        },
        content_type="application/json",
        **headers,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "quantity_mg"
    foreign = client.post(
        f"{API}/dispenses",
        {
            "container_id": stock.vial.pk,
            "quantity_mg": "10",
            "patient_id": world.patient2.pk,
            "signature": PASSWORD,
        },
        content_type="application/json",
        **headers,
    )
    assert foreign.status_code == 404
    unsigned = client.post(
        f"{API}/dispenses",
        {
            "container_id": stock.vial.pk,
            "quantity_mg": "10",
            "patient_id": world.patient1.pk,
            "signature": "nope",
        },
        content_type="application/json",
        **headers,
    )
    assert unsigned.status_code == 422
    assert unsigned.json()["errors"][0]["field"] == "signature"
    other = client.get(f"{API}/containers", **token_for(world.nurse2))
    assert other.json() == []
    assert client.get(f"{API}/containers", **token_for(world.frontdesk)).status_code == 403


def test_api_waste_and_count(world, stock, client, token_for):
    headers = token_for(world.nurse)
    dose = _dispense(world, stock, "50")
    waste = client.post(
        f"{API}/wastes",
        {
            "dispense_id": dose.pk,
            "quantity_mg": "8.8",
            "witness_username": "prescriber",
            "witness_signature": PASSWORD,
            "signature": PASSWORD,
        },
        content_type="application/json",
        **headers,
    )
    assert waste.status_code == 422  # given defaults to drawn: nothing left to waste
    dose2 = services.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=stock.vial,
        quantity_mg="50",
        administered_mg="41.2",
        patient=world.patient1,
    )
    waste = client.post(
        f"{API}/wastes",
        {
            "dispense_id": dose2.pk,
            "quantity_mg": "8.8",
            "witness_username": "prescriber",
            "witness_signature": PASSWORD,
            "signature": PASSWORD,
        },
        content_type="application/json",
        **headers,
    )
    assert waste.status_code == 201
    assert waste.json()["witness"] == "prescriber"
    count = client.post(
        f"{API}/counts",
        {
            "clinic_id": world.clinic1.pk,
            "counted": {str(stock.vial.pk): "899"},
            "signature": PASSWORD,
        },
        content_type="application/json",
        **headers,
    )
    assert count.status_code == 201
    assert count.json()["discrepancies"] == 1
    assert Discrepancy.objects.get().difference_mg == -1
    entries = client.get(f"{API}/entries", **token_for(world.auditor)).json()
    assert [e["kind"] for e in entries] == ["receipt", "dispense", "dispense", "waste"]


def test_pages_draw_a_dose_and_the_csv_record_matches_to_the_milligram(world, stock, login):
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
    assert rows[2]["witness"] == "Prescriber Tester"
    assert rows[0]["supplier_dea"] == "RM1234563"


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
    screen = client.get("/inventory/reports/", {"report": name})
    assert screen.status_code == 200
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    "/inventory/reports/", {"report": name, "format": "csv"}
                ).content.decode()
            )
        )
    )
    expected = {
        "record": [["1", "Receipt"], ["2", "Drawn for a patient"], ["3", "Waste"]],
        "dispensing": [["2", "42", "41.2", "958"]],
        "waste": [["3", "0.8", "Prescriber Tester"]],
        "on_hand": [["V-0001", "958"]],
        "discrepancies": [["V-0001", "950", "958", "-8", "open"]],
        "inventory": [["V-0001", "950", "958"]],
    }[name]
    flat = [" ".join(r) for r in rows[1:]]
    assert len(flat) == len(expected)
    for line, words in zip(flat, expected, strict=True):
        for word in words:
            assert word in line, (word, line)
    pdf = client.get("/inventory/reports/", {"report": name, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")


def test_the_stock_page_says_when_the_next_count_is_due(world, stock, login):
    from datetime import timedelta

    from django.utils import timezone

    world.clinic1.count_every_hours = 8
    world.clinic1.save()
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
    assert f"Next count due by {timezone.localtime(due):%Y-%m-%d %H:%M} UTC" in body


def test_reading_the_ledger_is_audited(world, stock, login):
    from ketamine_clinic.audit.models import AuditEvent

    client = login(world.auditor)
    client.get("/inventory/")
    client.get(f"/inventory/containers/{stock.vial.pk}/")
    client.get("/inventory/reports/", {"report": "dispensing"})
    views = AuditEvent.objects.filter(actor=world.auditor, action="ledger.view")
    assert views.count() == 2
    assert views.filter(object_id=str(stock.vial.pk)).exists()
    report = AuditEvent.objects.get(actor=world.auditor, action="ledger.report")
    assert report.detail["report"] == "dispensing" and report.detail["format"] == "screen"
