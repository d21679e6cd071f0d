"""An escalating symptom during an IV session, in real browsers: the nurse ticks chest pain with
normal vitals; the emergency alert is on the page with an adverse event opened; the prescriber,
in another browser, is told on Today and documents the outcome; discharge is refused until
then and possible after. Set-up up to the start through the services; the clock is moved."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from ketamine_clinic.treatments.models import AdverseEvent, SessionAlert, TreatmentSession
from tests.browser.test_login_and_chart import assert_no_inline_script
from tests.browser.test_self_report_alert import Staff, new_context, sign_in  # noqa: F401
from tests.browser.test_session import clock  # noqa: F401 (the fixture)
from tests.treatments.conftest import bay  # noqa: F401 (the fixture)
from tests.treatments.test_session_flow import _dosed

pytestmark = pytest.mark.browser


def _discharge(page: Page) -> None:
    step = page.locator("#step-discharge")
    for label in ("Alert and oriented", "Nausea controlled", "Escort present"):
        step.get_by_label(label).check()
    step.get_by_label("Walks steadily", exact=False).check()
    step.get_by_label("Written instructions given", exact=False).check()
    step.get_by_role("button", name="Discharge").click()


def test_chest_pain_alerts_the_prescriber_and_holds_discharge(
    live_server,
    product_consent_texts,
    world,
    bay,  # noqa: F811
    clock,  # noqa: F811
    page: Page,
    new_context,  # noqa: F811
):
    from ketamine_clinic.treatments import flowsheet, services

    base = live_server.url
    session, _ = _dosed(world, bay, clock)
    services.administration_record(actor=world.nurse, session=session, kind="start")
    clock.offset += timedelta(minutes=15)
    nurse = Staff(world.nurse)
    sign_in(page, base, nurse)
    page.goto(f"{base}/sessions/{session.pk}/")
    assert_no_inline_script(page)
    vitals = page.locator("#vitals-form")
    for label, value in (("SBP", "132"), ("DBP", "84"), ("HR", "80"), ("SpO2", "98")):
        vitals.get_by_label(label, exact=True).fill(value)
    vitals.get_by_label("Chest pain").check()
    vitals.get_by_role("button", name="Record reading").click()
    emergency = page.locator(".alert-box.emergency")
    expect(emergency).to_contain_text("EMERGENCY")
    expect(emergency).to_contain_text("Chest pain")
    expect(emergency).to_contain_text("Refer for emergency care now")
    expect(emergency.get_by_label("Outcome")).to_have_count(0)  # the nurse cannot close it
    expect(page.locator("#adverse-events")).to_contain_text("open")
    assert AdverseEvent.objects.get(session=session).serious

    clock.offset += timedelta(minutes=25)
    admin = page.locator("#step-administration")
    admin.get_by_label("Event").select_option("stop")
    admin.get_by_role("button", name="Record").click()
    expect(page.locator("#state")).to_have_text("Monitoring")
    for minutes in (61, 10):  # two readings after the stop: BP falling and stable
        clock.offset += timedelta(minutes=minutes)
        flowsheet.vitals_record(
            actor=world.nurse,
            session=session,
            values={"sbp": Decimal(128), "dbp": Decimal(82), "hr": Decimal(74)},
            moaas=5,
        )
    page.reload()
    _discharge(page)
    expect(page.locator("#errors li")).to_have_count(1)
    expect(page.locator("#errors")).to_contain_text("symptoms_cleared")
    expect(page.locator("#errors")).to_contain_text("Chest pain")
    assert TreatmentSession.objects.get(pk=session.pk).state == "monitoring"

    desk = new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    doctor = desk.new_page()
    sign_in(doctor, base, Staff(world.prescriber))
    doctor.get_by_role("navigation", name="Main").get_by_role("link", name="Today").click()
    banner = doctor.locator("#prescriber-needed")
    expect(banner).to_contain_text("Prescriber needed now")
    expect(banner).to_contain_text("Moreno, Alice")
    banner.get_by_role("link", name="Moreno, Alice").click()
    alert = doctor.locator(".alert-box.emergency")
    alert.get_by_label("Outcome").fill("ECG normal, troponin sent; pain settled; cleared to go")
    alert.get_by_role("button", name="Document").click()
    expect(doctor.locator(".alert-box.emergency")).to_have_count(0)
    assert SessionAlert.objects.get(session=session, level="emergency").outcome_by == (
        world.prescriber
    )
    doctor.get_by_role("navigation", name="Main").get_by_role("link", name="Today").click()
    expect(doctor.locator("#prescriber-needed")).to_have_count(0)

    page.reload()
    _discharge(page)
    expect(page.locator("#state")).to_have_text("Discharged")
