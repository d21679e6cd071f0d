"""The controlled-substance ledger in a real browser: receive, draw, witnessed waste, the record.

A nurse signs in (password and TOTP code), opens "Controlled substances", receives two vials of
ketamine (each 1000 mg) signing with her password, draws 42 mg for a patient of which 41.2 mg
is given, and records the 0.8 mg left in the syringe as waste, witnessed by a prescriber who
types their own username and password into the same form. A waste whose witness signature is
wrong, a draw of more than the vial holds, and a waste of more than is left of the dose, are
refused and write nothing. The Schedule III record (CSV) holds every entry to the milligram.
Every page is checked for inline script and its Content-Security-Policy header.

Staff, patient, product and supplier are made through the ORM; every ledger write goes through
the pages.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from ketamine_clinic.accounts.models import Clinic, Organization
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.inventory.models import Container, LedgerEntry, Product, Supplier
from ketamine_clinic.patients import services as patient_services
from ketamine_clinic.patients.models import Patient
from tests.browser.test_login_and_chart import assert_csp, assert_no_inline_script
from tests.browser.test_self_report_alert import (
    PASSWORD,
    ConsoleWatch,
    Staff,
    make_staff,
    sign_in,
)

pytestmark = pytest.mark.browser

CLINIC = "Harbour East"
LOT = "KX24-0917"
INVOICE = "NW-55120"
SUPPLIER = "Northwind Medical Supply"
WASTE_REASON = "Left in syringe after the infusion"
WRONG_PASSWORD = "not the witness's password"


@dataclass
class Ledger:
    clinic: Clinic
    nurse: Staff
    prescriber: Staff
    patient: Patient
    product: Product
    supplier: Supplier


@pytest.fixture
def ledger(transactional_db: None) -> Ledger:
    org = Organization.objects.create(name="Harbour Health", mrn_prefix="HH")
    clinic = Clinic.objects.create(organization=org, name=CLINIC)
    nurse = make_staff(org, clinic, "nwong", "Nadia", "nurse")
    prescriber = make_staff(org, clinic, "drpatel", "Priya", "prescriber")
    patient = patient_services.patient_register(
        actor=nurse.member,
        clinic=clinic,
        details={
            "legal_given_name": "Tobias",
            "legal_family_name": "Okonkwo",
            "date_of_birth": date(1979, 2, 11),
            "sex": "male",
        },
        weight_kg=Decimal("82.4"),
        height_cm=Decimal("180.0"),
    )
    assert patient.mrn
    product = Product.objects.create(
        organization=org,
        name="Ketamine HCl injection",
        ndc="0409-2051-05",
        form="100 mg/mL, 10 mL vial",
        mg_per_container=1000,
        ml_per_container=10,
        quantity_decimals=1,
    )
    supplier = Supplier.objects.create(
        organization=org,
        name=SUPPLIER,
        address="400 Harbor Blvd, Newark NJ",
        dea_number="RN1234563",
    )
    return Ledger(clinic, nurse, prescriber, patient, product, supplier)


def labelled(page: Page, label: str) -> Locator:
    """The form input whose label is exactly `label` (Django's label tags add a colon)."""
    return page.get_by_label(f"{label}:", exact=True)


def field(page: Page, label: str) -> Locator:
    """The form's `.field` block (label, input, help, errors) of the input labelled `label`."""
    return page.locator(".field").filter(has=labelled(page, label))


def entry_row(page: Page, kind: str) -> Locator:
    """The row of the entries table whose "Entry" column starts with `kind`."""
    return page.locator("table.audit tbody tr").filter(
        has=page.locator("td:nth-child(3)", has_text=re.compile(rf"^{re.escape(kind)}"))
    )


def submit(page: Page) -> None:
    """Press "Sign and record" and wait for the answer (a redirect, or the form again)."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign and record").click()
    response = navigation.value
    assert_csp(response)
    assert_no_inline_script(page)


def test_nurse_receives_draws_and_wastes_with_a_witness(
    live_server, ledger: Ledger, page: Page
) -> None:
    base = live_server.url
    nurse, prescriber, patient = ledger.nurse.member, ledger.prescriber.member, ledger.patient
    watch = ConsoleWatch(page.context)
    sign_in(page, base, ledger.nurse)

    # 1. "Controlled substances" in the top nav: the stock page, empty and intact.
    with page.expect_navigation() as navigation:
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Controlled substances"
        ).click()
    assert_csp(navigation.value)
    expect(page).to_have_url(f"{base}/inventory/")
    expect(page.get_by_role("heading", name="Controlled substances")).to_be_visible()
    assert_no_inline_script(page)
    on_hand = page.locator("table").filter(has=page.get_by_role("columnheader", name="Lot"))
    expect(on_hand.locator("tbody")).to_have_text("No stock.")

    # 2. Receive two vials of one lot, signed with the nurse's password.
    page.get_by_role("link", name="Receive stock").click()
    expect(page).to_have_url(f"{base}/inventory/receive/")
    expect(page.get_by_role("heading", name="Receive stock")).to_be_visible()
    assert_no_inline_script(page)
    expect(labelled(page, "Clinic")).to_have_value(str(ledger.clinic.pk))
    labelled(page, "Clinic").select_option(label=CLINIC)
    labelled(page, "Product").select_option(str(ledger.product.pk))
    labelled(page, "Supplier").select_option(str(ledger.supplier.pk))
    labelled(page, "Lot number").fill(LOT)
    expires = timezone.localdate() + timedelta(days=400)
    labelled(page, "Expires on").fill(expires.isoformat())
    labelled(page, "Invoice").fill(INVOICE)
    labelled(page, "Containers").fill("2")
    labelled(page, "Container label prefix").fill("K-")
    labelled(page, "Your signature").fill(PASSWORD)
    submit(page)
    expect(page).to_have_url(f"{base}/inventory/")
    expect(page.get_by_role("status")).to_contain_text("Received 2: K-0001, K-0002.")
    card = page.locator("article.card").filter(has=page.get_by_role("heading", name=CLINIC))
    expect(card.locator(".good")).to_have_text("Ledger intact")
    expect(card).to_contain_text("2 entries")
    rows = on_hand.locator("tbody tr")
    expect(rows).to_have_count(2)
    for index, label in enumerate(("K-0001", "K-0002")):
        expect(rows.nth(index).locator("td").first).to_have_text(label)
        expect(rows.nth(index)).to_contain_text(LOT)
        expect(rows.nth(index)).to_contain_text(expires.isoformat())
        expect(rows.nth(index).locator("td").nth(5)).to_have_text("1000 mg")
    vial = Container.objects.get(clinic=ledger.clinic, label="K-0001")
    assert vial.balance_mg == Decimal("1000.000")
    assert vial.lot.lot_number == LOT and vial.lot.invoice == INVOICE

    # 3. Draw 42 mg for the patient from K-0001; 41.2 mg is given.
    page.get_by_role("link", name="Draw a dose").click()
    expect(page).to_have_url(f"{base}/inventory/dispense/")
    expect(page.get_by_role("heading", name="Draw a dose")).to_be_visible()
    assert_no_inline_script(page)
    labelled(page, "Container").select_option(label="K-0001")
    labelled(page, "Patient MRN").fill(patient.mrn)
    labelled(page, "Drawn (mg)").fill("42")
    labelled(page, "Given (mg)").fill("41.2")
    labelled(page, "Session").fill("S-1")
    labelled(page, "Your signature").fill(PASSWORD)
    submit(page)
    expect(page).to_have_url(f"{base}/inventory/containers/{vial.pk}/")
    expect(page.get_by_role("heading", name="Container K-0001")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Drawn 42 mg from K-0001.")
    expect(page.locator("p.big")).to_have_text("958 mg (9.58 mL)")
    drawn = entry_row(page, "Drawn for a patient")
    expect(drawn).to_have_count(1)
    cells = drawn.locator("td")
    expect(cells.nth(4)).to_have_text("42 (given 41.2)")
    expect(cells.nth(5)).to_have_text("958")
    expect(cells.nth(6)).to_have_text(patient.mrn)
    expect(cells.nth(7)).to_have_text(nurse.display_name)
    expect(cells.nth(8)).to_have_text("")
    dispense = LedgerEntry.objects.get(kind="dispense")
    assert (dispense.quantity_mg, dispense.administered_mg) == (Decimal(42), Decimal("41.2"))
    assert (dispense.patient_id, dispense.session_ref) == (patient.pk, "S-1")

    # 4. Record waste on that entry. First the witness's password is wrong: refused, on the
    # witness's signature, and nothing is written.
    drawn.get_by_role("link", name="Record waste").click()
    expect(page).to_have_url(f"{base}/inventory/entries/{dispense.pk}/waste/")
    expect(
        page.get_by_role("heading", name="Record waste of the dose drawn from K-0001")
    ).to_be_visible()
    expect(page.locator("main")).to_contain_text("0.8")
    assert_no_inline_script(page)
    labelled(page, "Wasted (mg)").fill("0.8")
    labelled(page, "Reason").fill(WASTE_REASON)
    labelled(page, "Your signature").fill(PASSWORD)
    labelled(page, "Witness (username)").fill(prescriber.username)
    labelled(page, "Witness's signature").fill(WRONG_PASSWORD)
    submit(page)
    expect(page).to_have_url(f"{base}/inventory/entries/{dispense.pk}/waste/")
    witness_errors = field(page, "Witness's signature").locator(".field-errors")
    expect(witness_errors).to_have_count(1)
    expect(witness_errors).to_contain_text(
        f"{prescriber.display_name}: password or code not accepted."
    )
    expect(page.locator(".field-errors")).to_have_count(1)  # not the nurse's own signature
    expect(page.get_by_role("status")).to_have_count(0)
    assert LedgerEntry.objects.count() == 3
    assert not LedgerEntry.objects.filter(kind="waste").exists()
    assert not AuditEvent.objects.filter(action=Action.LEDGER_WASTE).exists()
    vial.refresh_from_db()
    assert vial.balance_mg == Decimal(958)

    # The form keeps what was typed except the two signatures; both sign again.
    expect(labelled(page, "Wasted (mg)")).to_have_value("0.8")
    expect(labelled(page, "Witness (username)")).to_have_value(prescriber.username)
    expect(labelled(page, "Your signature")).to_have_value("")
    expect(labelled(page, "Witness's signature")).to_have_value("")
    labelled(page, "Your signature").fill(PASSWORD)
    labelled(page, "Witness's signature").fill(PASSWORD)
    submit(page)
    expect(page).to_have_url(f"{base}/inventory/containers/{vial.pk}/")
    expect(page.get_by_role("status")).to_contain_text("Waste recorded and witnessed.")
    expect(page.locator("p.big")).to_have_text("958 mg (9.58 mL)")
    wasted = entry_row(page, "Waste")
    expect(wasted).to_have_count(1)
    cells = wasted.locator("td")
    expect(cells.nth(2)).to_contain_text(WASTE_REASON)
    expect(cells.nth(4)).to_have_text("0.8")
    expect(cells.nth(5)).to_have_text("958")
    expect(cells.nth(6)).to_have_text(patient.mrn)
    expect(cells.nth(7)).to_have_text(nurse.display_name)
    expect(cells.nth(8)).to_have_text(prescriber.display_name)
    waste = LedgerEntry.objects.get(kind="waste")
    assert (waste.witness_id, waste.related_id) == (prescriber.pk, dispense.pk)
    assert waste.quantity_mg == Decimal("0.8")

    # 5. More than the vial holds: refused with its balance, nothing written.
    page.get_by_role("link", name="Draw a dose from this container").click()
    expect(page).to_have_url(f"{base}/inventory/dispense/?c={vial.pk}")
    expect(labelled(page, "Container")).to_have_value(str(vial.pk))
    labelled(page, "Patient MRN").fill(patient.mrn)
    labelled(page, "Drawn (mg)").fill("1958")
    labelled(page, "Session").fill("S-2")
    labelled(page, "Your signature").fill(PASSWORD)
    submit(page)
    expect(page).to_have_url(f"{base}/inventory/dispense/?c={vial.pk}")
    expect(field(page, "Drawn (mg)").locator(".field-errors")).to_have_text(
        "The container holds 958 mg; 1958 mg cannot be taken from it."
    )
    assert LedgerEntry.objects.count() == 4
    vial.refresh_from_db()
    assert vial.balance_mg == Decimal(958)

    # 6. Back on the stock page: still intact, four entries, K-0001 at 958 mg.
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(f"{base}/inventory/")
    expect(card.locator(".good")).to_have_text("Ledger intact")
    expect(card).to_contain_text("4 entries")
    expect(rows.nth(0).locator("td").nth(5)).to_have_text("958 mg")
    expect(rows.nth(1).locator("td").nth(5)).to_have_text("1000 mg")

    # 7. The Schedule III record: every entry, to the milligram.
    link = page.get_by_role("link", name="Schedule III record (CSV)")
    href = link.get_attribute("href")
    assert href == "/inventory/log.csv"
    response = page.request.get(f"{base}{href}")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert re.fullmatch(
        r'attachment; filename="schedule-iii-log-\d{8}-\d{6}\.csv"',
        response.headers["content-disposition"],
    )
    record = list(csv.DictReader(io.StringIO(response.text())))
    assert [
        (
            r["seq"],
            r["kind"],
            r["container"],
            r["quantity_mg"],
            r["given_mg"],
            r["balance_after_mg"],
        )
        for r in record
    ] == [
        ("1", "receipt", "K-0001", "1000.000", "", "1000.000"),
        ("2", "receipt", "K-0002", "1000.000", "", "1000.000"),
        ("3", "dispense", "K-0001", "42.000", "41.200", "958.000"),
        ("4", "waste", "K-0001", "0.800", "", "958.000"),
    ]
    for row in record:
        assert row["clinic"] == CLINIC
        assert row["substance"] == "Ketamine HCl injection"
        assert row["ndc"] == "0409-2051-05"
        assert row["lot"] == LOT
        assert row["expires"] == expires.isoformat()
        assert row["supplier"] == SUPPLIER
        assert row["supplier_dea"] == "RN1234563"
        assert row["by"] == nurse.display_name
        assert re.fullmatch(r"[0-9a-f]{64}", row["hash"])
    receipt, _, dose, waste_row = record
    assert receipt["reason"] == f"invoice {INVOICE}"
    assert (dose["patient_mrn"], dose["session"], dose["witness"]) == (patient.mrn, "S-1", "")
    assert dose["patient_name"] == "Tobias Okonkwo"
    assert (waste_row["patient_mrn"], waste_row["session"]) == (patient.mrn, "S-1")
    assert (waste_row["witness"], waste_row["reason"]) == (prescriber.display_name, WASTE_REASON)
    # The entries as stored agree with the record row for row.
    stored = LedgerEntry.objects.filter(clinic=ledger.clinic).order_by("seq")
    assert [e.hash for e in stored] == [r["hash"] for r in record]

    # 8. The dose is now fully accounted for (41.2 given + 0.8 wasted = 42 drawn): the
    # container page offers no more waste for it, a further waste is refused, and the form says
    # that nothing is left, as a person writes it.
    page.goto(f"{base}/inventory/containers/{vial.pk}/")
    expect(
        entry_row(page, "Drawn for a patient").get_by_role("link", name="Record waste")
    ).to_have_count(0)
    page.goto(f"{base}/inventory/entries/{dispense.pk}/waste/")
    labelled(page, "Wasted (mg)").fill("0.1")
    labelled(page, "Your signature").fill(PASSWORD)
    labelled(page, "Witness (username)").fill(prescriber.username)
    labelled(page, "Witness's signature").fill(PASSWORD)
    submit(page)
    expect(field(page, "Wasted (mg)").locator(".field-errors")).to_contain_text(
        "Only 0 mg of this dose is unaccounted for"
    )
    assert LedgerEntry.objects.count() == 4
    lead = page.locator("main h1 + p").inner_text()
    assert re.fullmatch(r"Drawn 42 mg, given 41\.2 mg: 0 mg is unaccounted for\.", lead), (
        f"the waste form's lead shows the quantities unreadably: {lead!r}"
    )

    assert watch.csp == []
    assert watch.errors == []
