"""A prescriber plans an IV induction and sees its six sessions on the chart and the schedule.

The patient (82.4 kg) is screened and consented for IV treatment through the services
(tests/plans/conftest.py `make_ready`). The prescriber signs in with a password and a TOTP code,
opens the chart's Plan tab, creates a draft plan of "IV racemic ketamine: induction" starting on
a Monday, and signs and activates it. The plan tab lists six sessions of 0.5 mg/kg × 82.4 kg =
41.2 mg (reference.md §1.3), two days apart or more, at most four, at most three a week
(reference.md §1.4). The Schedule's day view, walked day by day with "Next day →", shows each
session on its day in Chair 1 and nothing on the days between; the week view counts three
sessions in each of the two weeks. No page runs inline script or breaks the CSP.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ketamine_clinic.accounts.models import Clinic, Organization
from ketamine_clinic.patients import services as patient_services
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.plans import capacity as cap
from ketamine_clinic.plans.models import Chair, PlannedSession, Room, TreatmentPlan
from ketamine_clinic.plans.services import protocols_seed
from tests.browser.test_login_and_chart import assert_csp, assert_no_inline_script
from tests.browser.test_self_report_alert import ConsoleWatch, Staff, make_staff, sign_in
from tests.plans.conftest import make_ready

pytestmark = pytest.mark.browser

PROTOCOL = "IV racemic ketamine: induction v1"
# Hand-worked from a Monday start: Mon, Wed, Fri, Mon, Wed, Fri (gaps 2, 2, 3, 2, 2 days;
# three a week; the clinic is open Monday to Friday by default).
OFFSETS = [0, 2, 4, 7, 9, 11]
DOSE = "41.2 mg"  # 0.5 mg/kg × 82.4 kg, reference.md §1.3


class Cast:
    def __init__(self, prescriber: Staff, clinic: Clinic, patient: Patient) -> None:
        self.prescriber = prescriber
        self.clinic = clinic
        self.patient = patient


@pytest.fixture
def cast(product_consent_texts: None) -> Cast:
    org = Organization.objects.create(name="Birch Health", mrn_prefix="BH")
    clinic = Clinic.objects.create(organization=org, name="Birch Street")
    prescriber = make_staff(org, clinic, "drplan", "Petra", "prescriber")
    nurse = make_staff(org, clinic, "nplan", "Nils", "nurse")
    frontdesk = make_staff(org, clinic, "fplan", "Fiona", "front_desk")
    protocols_seed(clinic=clinic)
    cap.settings_for(clinic)
    room = Room.objects.create(clinic=clinic, name="Room A")
    Chair.objects.create(clinic=clinic, room=room, name="Chair 1")
    Chair.objects.create(clinic=clinic, room=room, name="Chair 2")
    patient = patient_services.patient_register(
        actor=frontdesk.member,
        clinic=clinic,
        details={
            "legal_given_name": "Lucia",
            "legal_family_name": "Moreno",
            "date_of_birth": date(1983, 5, 20),
            "sex": "female",
        },
        weight_kg=Decimal("82.4"),
        height_cm=Decimal("168.0"),
    )
    make_ready(SimpleNamespace(nurse=nurse.member, frontdesk=frontdesk.member), patient)
    return Cast(prescriber, clinic, patient)


def next_monday() -> date:
    today = timezone.localdate()
    return today + timedelta(days=7 - today.weekday())


def post(page: Page, button: str) -> None:
    """Press a form's button and check the page it lands on keeps the CSP."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=button).click()
    assert_csp(navigation.value)
    assert_no_inline_script(page)


def test_prescriber_plans_an_iv_induction_and_sees_it_on_the_schedule(
    live_server, cast: Cast, page: Page
) -> None:
    base = live_server.url
    watch = ConsoleWatch(page.context)
    patient = cast.patient
    start = next_monday()
    days = [start + timedelta(days=n) for n in OFFSETS]

    # 1. The chart's Plan tab: no plan yet; create a draft from the protocol.
    sign_in(page, base, cast.prescriber)
    page.goto(f"{base}/patients/{patient.pk}/")
    page.get_by_role("navigation", name="Chart sections").get_by_role("link", name="Plan").click()
    expect(page).to_have_url(f"{base}/plans/patients/{patient.pk}/")
    expect(page.get_by_text("No open plan.")).to_be_visible()
    assert_no_inline_script(page)
    page.get_by_label("Protocol").select_option(label=PROTOCOL)
    page.get_by_label("Start date").fill(f"{start:%Y-%m-%d}")
    post(page, "Create draft plan and propose its calendar")
    expect(page.get_by_role("status").first).to_contain_text("Draft plan with 6 sessions booked.")
    plan_box = page.get_by_role("region", name="Current plan")
    expect(plan_box).to_contain_text("Draft")
    expect(plan_box).to_contain_text("0.5 mg/kg × 82.4 kg (latest weight)")

    # 2. Sign and activate.
    post(page, "Sign and activate")
    expect(plan_box).to_contain_text("Active")
    expect(plan_box).to_contain_text("Petra Tester")
    plan = TreatmentPlan.objects.get(patient=patient)
    assert plan.status == "active" and plan.signed_by == cast.prescriber.member

    # 3. The calendar on the tab: six induction sessions on the hand-worked days, in Chair 1.
    rows = page.locator("#plan-sessions tbody tr")
    expect(rows).to_have_count(6)
    for n, day in enumerate(days):
        cells = rows.nth(n).locator("td")
        expect(cells.nth(0)).to_have_text(str(n + 1))
        expect(cells.nth(1)).to_have_text("induction")
        expect(cells.nth(2)).to_contain_text(f"{day:%a %Y-%m-%d}")
        expect(cells.nth(3)).to_have_text("Chair 1")
        expect(cells.nth(4)).to_have_text(DOSE)
        expect(cells.nth(5)).to_have_text("Booked")
    sessions = list(PlannedSession.objects.filter(plan=plan).order_by("sequence"))
    local_days = [cap.local(s.starts_at, cast.clinic).date() for s in sessions]
    assert local_days == days
    gaps = [(b - a).days for a, b in itertools.pairwise(local_days)]
    assert all(2 <= gap <= 4 for gap in gaps), gaps  # min_gap_days 2, max_gap_days 4
    weeks = [d.isocalendar()[1] for d in local_days]
    assert max(weeks.count(w) for w in set(weeks)) <= 3  # per_week 3
    assert {s.dose_mg for s in sessions} == {Decimal("41.20")}
    times = [rows.nth(n).locator("td").nth(2).inner_text() for n in range(6)]

    # 4. The day view, day by day from the first session to the last.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule").click()
    assert_no_inline_script(page)
    page.goto(f"{base}/plans/schedule/?clinic={cast.clinic.pk}&date={start:%Y-%m-%d}")
    assert_no_inline_script(page)
    day = start
    while day <= days[-1]:
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"{day:%A %Y-%m-%d}")
        chair1 = page.locator("#day-table tbody tr").filter(has_text="Chair 1")
        chair2 = page.locator("#day-table tbody tr").filter(has_text="Chair 2")
        if day in days:
            n = days.index(day)
            booking = chair1.locator(".booking")
            expect(booking).to_have_count(1)
            expect(booking).to_contain_text(patient.display_name)
            expect(booking).to_contain_text(f"induction #{n + 1}")
            start_time, end_time = re.findall(r"\d\d:\d\d", times[n])
            expect(booking.locator("strong")).to_have_text(f"{start_time}–{end_time}")
            expect(chair2).to_contain_text("free all day")
        elif day.weekday() < 5:
            expect(chair1).to_contain_text("free all day")
        else:
            expect(page.get_by_text("The clinic is closed on this day.")).to_be_visible()
        with page.expect_navigation() as navigation:
            page.get_by_role("link", name="Next day →").click()
        assert_csp(navigation.value)
        assert_no_inline_script(page)
        day += timedelta(days=1)

    # A booking links to the patient's plan.
    page.goto(f"{base}/plans/schedule/?clinic={cast.clinic.pk}&date={days[3]:%Y-%m-%d}")
    page.locator(".booking").get_by_role("link", name=patient.display_name).click()
    expect(page).to_have_url(f"{base}/plans/patients/{patient.pk}/")

    # 5. The week view: three sessions in each of the two weeks, on the right days.
    page.goto(f"{base}/plans/schedule/week/?clinic={cast.clinic.pk}&date={start:%Y-%m-%d}")
    assert_no_inline_script(page)
    for monday in (start, start + timedelta(days=7)):
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Week of {monday:%Y-%m-%d} — {cast.clinic.name}"
        )
        week_rows = page.locator("#week-table tbody tr")
        expect(week_rows).to_have_count(7)
        for i in range(7):
            this = monday + timedelta(days=i)
            cells = week_rows.nth(i).locator("td")
            expect(cells.nth(0)).to_have_text(f"{this:%a %Y-%m-%d}")
            expect(cells.nth(1)).to_have_text("1" if this in days else "0")
            if i >= 5:
                expect(cells.nth(2)).to_have_text("closed")
        with page.expect_navigation() as navigation:
            page.get_by_role("link", name="Next week →").click()
        assert_csp(navigation.value)

    assert watch.csp == []
    assert watch.errors == []
