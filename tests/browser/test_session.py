"""A whole IV session in a real browser, from check-in to the signed note, with one high blood
pressure alert on the way. Set-up (clinic, protocol, room check, stock, screening, consent,
C-SSRS, a walk-in session) through the services; every session step through the pages. The
services' clock is moved forward instead of waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ketamine_clinic.treatments import closing, services
from ketamine_clinic.treatments.models import TreatmentSession
from tests.browser.test_login_and_chart import assert_no_inline_script
from tests.browser.test_self_report_alert import PASSWORD, Staff, sign_in
from tests.treatments.conftest import bay, walk_in  # noqa: F401 (bay: the fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        offset = timedelta()

        def now(self):
            return timezone.now() + self.offset

    c = Clock()
    for module in (services, closing):
        monkeypatch.setattr(module, "_now", c.now)
    return c


def test_a_whole_iv_session_with_a_high_bp_alert(
    live_server,
    product_consent_texts,
    world,
    bay,  # noqa: F811
    clock,
    page: Page,
):
    base = live_server.url
    nurse = Staff(world.nurse)
    session = walk_in(world, bay)
    sign_in(page, base, nurse)
    page.get_by_role("link", name="Today").click()
    expect(page.locator("#today")).to_contain_text("Waiting")
    page.get_by_role("link", name="Moreno, Alice").click()
    assert_no_inline_script(page)

    step = page.locator("#step-check-in")
    for label in (
        "Identity confirmed",
        "Escort home confirmed",
        "No food for ≥ 2 h",
        "No liquids for ≥ 30 min",
    ):
        step.get_by_label(label).check()
    step.get_by_label("Pre-session questionnaires done", exact=False).check()
    for radio in step.get_by_role("radio", name="no").all():
        radio.check()
    for label, value in (
        ("SBP", "128"),
        ("DBP", "82"),
        ("HR", "72"),
        ("SpO2", "98"),
        ("RR", "14"),
        ("Temp °C", "36.8"),
        ("Pre-dose MOAA/S", "5"),
    ):
        step.get_by_label(label, exact=True).fill(value)
    step.get_by_role("button", name="Check in").click()
    expect(page.locator("#state")).to_have_text("Checked in")

    dose = page.locator("#step-dose")
    dose.get_by_label("Your password or code (ledger signature)").fill(PASSWORD)
    dose.get_by_role("button", name="Prepare and draw").click()
    expect(page.locator("#dose-mg")).to_have_text("41.2 mg")
    expect(page.locator("#dose")).to_contain_text("4.12 mL drug added to a 100 mL bag")
    verify = page.locator("#verify")
    verify.get_by_label("Username").fill("nurse")  # the preparer cannot verify
    verify.get_by_label("Dose mg (re-enter)").fill("41.2")
    verify.get_by_label("Password or code").fill(PASSWORD)
    verify.get_by_role("button", name="Verify").click()
    expect(page.locator("#errors")).to_contain_text("someone other than who prepared it")
    verify = page.locator("#verify")
    verify.get_by_label("Username").fill("prescriber")
    verify.get_by_label("Dose mg (re-enter)").fill("41.2")
    verify.get_by_label("Password or code").fill(PASSWORD)
    verify.get_by_role("button", name="Verify").click()
    expect(page.locator("#dose")).to_contain_text("verified by prescriber")

    page.locator("#step-administration").get_by_role("button", name="Record").click()
    expect(page.locator("#state")).to_have_text("Dosing")
    clock.offset += timedelta(minutes=10)
    vitals = page.locator("#vitals-form")
    for label, value in (
        ("SBP", "184"),
        ("DBP", "100"),
        ("HR", "92"),
        ("SpO2", "97"),
        ("MOAA/S", "5"),
    ):
        vitals.get_by_label(label, exact=True).fill(value)
    vitals.get_by_role("button", name="Record reading").click()
    alert = page.get_by_role("alert").filter(has_text="Systolic 184 mmHg ≥ 180")
    expect(alert).to_contain_text("trial outlier criteria used as alert defaults")
    alert.get_by_label("Outcome").fill("Rechecked after 5 min; rate kept; prescriber informed")
    alert.get_by_role("button", name="Document").click()

    clock.offset += timedelta(minutes=30)
    admin = page.locator("#step-administration")
    admin.get_by_label("Event").select_option("stop")
    admin.get_by_role("button", name="Record").click()
    expect(page.locator("#state")).to_have_text("Monitoring")
    for minutes, sbp in ((61, "138"), (10, "132")):
        clock.offset += timedelta(minutes=minutes)
        vitals = page.locator("#vitals-form")
        for label, value in (("SBP", sbp), ("DBP", "84"), ("HR", "76"), ("MOAA/S", "5")):
            vitals.get_by_label(label, exact=True).fill(value)
        # Each reading is a form post answered by the session page: wait for it.
        with page.expect_navigation():
            vitals.get_by_role("button", name="Record reading").click()
    page.reload()
    expect(page.locator("#state")).to_have_text("Ready for discharge")
    discharge = page.locator("#step-discharge")
    for label in ("Alert and oriented", "Nausea controlled", "Escort present"):
        discharge.get_by_label(label).check()
    discharge.get_by_label("Walks steadily", exact=False).check()
    discharge.get_by_label("Written instructions given", exact=False).check()
    discharge.get_by_role("button", name="Discharge").click()
    expect(page.locator("#state")).to_have_text("Discharged")
    sign = page.locator("#step-sign")
    sign.get_by_label("Clinician's note").fill("Tolerated; transient BP rise.")
    sign.get_by_role("button", name="Sign the note").click()
    note = page.locator("#note")
    expect(note).to_contain_text("Dose 41.2 mg")
    expect(note).to_contain_text("Systolic 184 mmHg ≥ 180")
    expect(note).to_contain_text("locked; corrections are addenda")
    assert TreatmentSession.objects.get(pk=session.pk).state == "signed"
