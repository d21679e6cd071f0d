"""The PK explorer in a real browser, opened from a patient's chart.

A prescriber signs in, opens the patient's Weight & height tab and follows the link to the PK
explorer: the patient's weight (92.5 kg) is filled in and two ketamine regimens are drawn, with
the ketamine fields shown and the esketamine ones hidden (CSS only, no script). Choosing the
nasal spray swaps the two groups at once; predicting draws 56 vs 84 mg of esketamine, with the
limits that apply to esketamine. No CSP violation and no inline script on the way. The page's
time (server and loaded, from the browser's Navigation Timing) is printed as a benchmark figure.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from ketamine_clinic.accounts.models import Clinic, Organization
from ketamine_clinic.patients import services as patient_services
from ketamine_clinic.patients.models import Patient
from tests.browser.test_login_and_chart import assert_csp, assert_no_inline_script
from tests.browser.test_self_report_alert import ConsoleWatch, Staff, make_staff, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def prescriber_and_patient(transactional_db: None) -> tuple[Staff, Patient]:
    org = Organization.objects.create(name="Harbour Health", mrn_prefix="HH")
    clinic = Clinic.objects.create(organization=org, name="Harbour East")
    prescriber = make_staff(org, clinic, "drpk", "Priya", "prescriber")
    patient = patient_services.patient_register(
        actor=prescriber.member,
        clinic=clinic,
        details={
            "legal_given_name": "Tobias",
            "legal_family_name": "Lindqvist",
            "date_of_birth": "1979-03-02",
            "sex": "male",
        },
        weight_kg=Decimal("92.5"),
        height_cm=Decimal("181.0"),
    )
    return prescriber, patient


def page_time_ms(page: Page) -> dict[str, float]:
    """The last navigation's timings (Navigation Timing API), in ms from its start."""
    timing: dict[str, float] = page.evaluate(
        """() => {
            const t = performance.getEntriesByType("navigation")[0];
            return {server: t.responseStart - t.requestStart, loaded: t.loadEventEnd};
        }"""
    )
    return timing


def test_explorer_from_the_chart_then_esketamine(
    live_server, prescriber_and_patient: tuple[Staff, Patient], page: Page, record_property
) -> None:
    prescriber, patient = prescriber_and_patient
    base = live_server.url
    watch = ConsoleWatch(page.context)
    sign_in(page, base, prescriber)
    page.goto(f"{base}/patients/{patient.pk}/weights/")
    page.get_by_role("link", name="PK explorer").click()
    expect(page.get_by_label("Weight (kg)")).to_have_value("92.5")
    chart = page.get_by_role("img", name="Predicted concentration curves")
    expect(chart).to_be_visible()
    assert chart.evaluate("img => img.naturalWidth") > 0  # the SVG data URI rendered
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first.locator("td").first).to_have_text("0.5 mg/kg over 40 min")
    cmax = int(rows.first.locator("td").nth(1).inner_text())
    # Clements scales V1 and CL per kg, so a per-kg dose gives the same curve at any weight:
    # 177 ng/mL for the typical patient (PK ref §0); the page shows the median of 300.
    assert 170 <= cmax <= 185
    # Benchmark figures, not assertions (the machine may be loaded): issue #15 asks < 300 ms.
    # The first page of the server process also pays one-time costs (fonts, imports): reload.
    first_ms = page_time_ms(page)
    page.reload()
    expect(rows).to_have_count(2)
    ketamine_ms = page_time_ms(page)
    ketamine = page.get_by_role("group", name="Ketamine", exact=True)
    esketamine = page.get_by_role("group", name="Esketamine", exact=True)
    expect(ketamine).to_be_visible()
    expect(esketamine).to_be_hidden()
    assert_no_inline_script(page)

    page.get_by_label("Route").select_option("intranasal")
    expect(ketamine).to_be_hidden()  # at once, without a round trip
    expect(esketamine).to_be_visible()
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Predict").click()
    assert_csp(navigation.value)
    labels = page.locator("table tbody tr td:first-child").all_inner_texts()
    assert labels == ["esketamine 56 mg", "esketamine 84 mg"]
    expect(
        page.get_by_text(re.compile("the 100 ng/mL line is the racemic-ketamine value"))
    ).to_be_visible()
    expect(page.get_by_role("img", name="Predicted noresketamine curves.")).to_be_visible()
    assert watch.csp == [] and watch.errors == []
    esketamine_ms = page_time_ms(page)
    for name, timing in (
        ("ketamine, first page of the server", first_ms),
        ("ketamine", ketamine_ms),
        ("esketamine", esketamine_ms),
    ):
        record_property(f"pk_explorer_{name.replace(' ', '_')}_ms", timing)
        print(
            f"PK explorer, 2 regimens × 300 virtual patients, {name}: server "
            f"{timing['server']:.0f} ms, page loaded {timing['loaded']:.0f} ms"
        )
