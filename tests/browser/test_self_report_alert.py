"""A self-report link from the front desk to a patient's phone, and the safety alert it opens.

The front desk makes a one-time PHQ-9 link from the patient's Measures tab and copies it. The
patient opens it on a phone-sized screen, sees only their first name, answers the nine items
(item 9, the suicidality item, "Several days") by tapping large option labels, sends, and is
shown the crisis resources. The prescriber sees the open alert on the dashboard and the
worklist, reviews it, acknowledges it with an action and a note, and the alert is gone from the
worklist and the chart header. The used link then answers the neutral "not valid" page.

Staff sign in through the real login pages with a password and a TOTP code; their authenticator
is enrolled through the ORM (as tests/conftest.py does) so that the test knows the secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from ketamine_clinic.accounts.models import Clinic, Membership, Organization, StaffMember
from ketamine_clinic.clinical.instruments.phq9 import PHQ9
from ketamine_clinic.measures.models import Assessment, SafetyAlert, SelfReportLink
from ketamine_clinic.patients import services as patient_services
from ketamine_clinic.patients.models import Patient
from tests.browser.test_login_and_chart import (
    assert_csp,
    assert_no_inline_script,
    fresh_code,
    totp_key,
)

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
GIVEN = "Marisol"
FAMILY = "Vandersloot"
BIRTH = date(1981, 6, 19)
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "locale": "en-US",
}
# Item number -> value for the PHQ-9 items 1-9; item 9 (thoughts of self-harm) = 1, "Several
# days", is a critical answer. Item 10 (difficulty, not scored, optional) is left unanswered.
ANSWERS = {1: 2, 2: 1, 3: 2, 4: 1, 5: 0, 6: 1, 7: 2, 8: 0, 9: 1}
TOTAL = sum(ANSWERS.values())  # 10: "moderate"
OPTION_LABELS = ("Not at all", "Several days", "More than half the days", "Nearly every day")
MIN_TARGET_PX = 44  # WCAG 2.5.5 target size, Apple HIG
ACK_ACTION = "Contacted by phone and assessed"
ACK_NOTE = "Called the patient: passive thoughts, no plan or intent. Safety plan reviewed."


class Staff:
    """A staff member with a TOTP authenticator whose secret the test knows."""

    def __init__(self, member: StaffMember) -> None:
        self.member = member
        secret = generate_totp_secret()
        TOTP.activate(member, secret)
        self.key = totp_key(secret)


def make_staff(org: Organization, clinic: Clinic, username: str, first: str, role: str) -> Staff:
    member = StaffMember.objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.org",
        first_name=first,
        last_name="Tester",
        organization=org,
    )
    Membership.objects.create(staff=member, clinic=clinic, role=role)
    return Staff(member)


class Cast:
    def __init__(self, frontdesk: Staff, prescriber: Staff, patient: Patient) -> None:
        self.frontdesk = frontdesk
        self.prescriber = prescriber
        self.patient = patient


@pytest.fixture
def cast(transactional_db: None) -> Cast:
    org = Organization.objects.create(name="Harbour Health", mrn_prefix="HH")
    clinic = Clinic.objects.create(organization=org, name="Harbour East")
    frontdesk = make_staff(org, clinic, "fdesk", "Farah", "front_desk")
    prescriber = make_staff(org, clinic, "drpres", "Priya", "prescriber")
    patient = patient_services.patient_register(
        actor=frontdesk.member,
        clinic=clinic,
        details={
            "legal_given_name": GIVEN,
            "legal_family_name": FAMILY,
            "date_of_birth": BIRTH,
            "sex": "female",
        },
        weight_kg=Decimal("70.0"),
        height_cm=Decimal("165.0"),
    )
    return Cast(frontdesk, prescriber, patient)


class ConsoleWatch:
    """Collects Content-Security-Policy violations and uncaught errors of a browser context."""

    def __init__(self, context: BrowserContext) -> None:
        self.csp: list[str] = []
        self.errors: list[str] = []
        context.on("console", self._console)
        context.on("weberror", lambda error: self.errors.append(str(error.error)))

    def _console(self, msg: ConsoleMessage) -> None:
        if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            self.csp.append(msg.text)


@pytest.fixture
def new_context(browser: Browser) -> Iterator[object]:
    """Open further browser contexts (closed after the test)."""
    opened: list[BrowserContext] = []

    def _open(**options: object) -> BrowserContext:
        context = browser.new_context(**options)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        opened.append(context)
        return context

    yield _open
    for context in opened:
        context.close()


def sign_in(page: Page, base: str, staff: Staff) -> None:
    """Password, then a TOTP code on the second page; lands on the dashboard."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(staff.member.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(f"{base}/accounts/2fa/authenticate/")
    code, _ = fresh_code(staff.key)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(f"{base}/")


def assert_nothing_identifying(page: Page, patient: Patient) -> None:
    """A self-report page names the patient by first name only: no family name, MRN or DOB."""
    html = page.content()
    for secret in (
        patient.legal_family_name,
        patient.mrn,
        patient.date_of_birth.isoformat(),
        patient.date_of_birth.strftime("%m/%d/%Y"),
    ):
        assert secret not in html, f"{secret!r} is on the patient page {page.url}"


def assert_fits_the_phone(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px on a phone"


def test_front_desk_link_patient_phone_answer_and_prescriber_acknowledges(
    live_server, cast: Cast, page: Page, new_context
) -> None:
    base = live_server.url
    patient = cast.patient
    staff_watch = ConsoleWatch(page.context)

    # 1. The front desk makes a PHQ-9 link from the patient's Measures tab.
    sign_in(page, base, cast.frontdesk)
    page.goto(f"{base}/patients/{patient.pk}/")
    page.get_by_role("navigation", name="Chart sections").get_by_role(
        "link", name="Measures"
    ).click()
    expect(page).to_have_url(f"{base}/measures/patients/{patient.pk}/")
    expect(page.get_by_text("visible to clinicians only")).to_be_visible()
    page.get_by_role("link", name="Send a self-report link").click()
    expect(page).to_have_url(f"{base}/measures/patients/{patient.pk}/send/")
    assert_no_inline_script(page)
    page.get_by_role("checkbox", name="Patient Health Questionnaire (PHQ-9)").check()
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Make the link").click()
    assert_csp(navigation.value)
    expect(page.get_by_role("heading", name="Link ready")).to_be_visible()
    link_url = page.get_by_label("Copy the link").input_value()
    assert re.fullmatch(rf"{re.escape(base)}/r/[A-Za-z0-9_-]{{40,}}/", link_url), link_url
    qr = page.get_by_role("img", name="QR code of the self-report link")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR image is broken"
    assert_no_inline_script(page)
    link = SelfReportLink.objects.get(patient=patient)
    assert link.instruments == ["phq9"]
    assert link.created_by == cast.frontdesk.member

    # 2. The patient opens the link on a phone, in a browser that has never seen the clinic.
    phone = new_context(**PHONE)
    patient_watch = ConsoleWatch(phone)
    mobile = phone.new_page()
    response = mobile.goto(link_url)
    assert_csp(response)
    expect(mobile.get_by_role("heading", name=f"Hello {GIVEN}", exact=True)).to_be_visible()
    assert_nothing_identifying(mobile, patient)
    assert_no_inline_script(mobile)
    assert_fits_the_phone(mobile)
    expect(mobile.get_by_role("listitem")).to_have_text([f"{PHQ9.title} — not started"])
    mobile.get_by_role("link", name="Start: PHQ-9").click()
    expect(mobile).to_have_url(re.compile(r"/r/[A-Za-z0-9_-]+/phq9/$"))
    expect(mobile.get_by_role("heading", name=PHQ9.title)).to_be_visible()
    assert_nothing_identifying(mobile, patient)
    assert_no_inline_script(mobile)
    assert_fits_the_phone(mobile)

    # Every item is a group named by its legend, with large option labels to tap.
    for item in PHQ9.items:
        legend = f"{item.number}. {item.text}" + ("" if item.required else " (optional)")
        group = mobile.get_by_role("group", name=legend, exact=True)
        expect(group).to_have_count(1)
        expect(group.get_by_role("radio")).to_have_count(len(item.options))
        labels = group.locator("label")
        expect(labels).to_have_count(len(item.options))
        for index in range(len(item.options)):
            label = labels.nth(index)
            label.scroll_into_view_if_needed()
            box = label.bounding_box()
            assert box is not None
            assert box["height"] >= MIN_TARGET_PX, (item.number, index, box)
            assert box["width"] >= MIN_TARGET_PX, (item.number, index, box)
        if item.number in ANSWERS:
            choice = OPTION_LABELS[ANSWERS[item.number]]
            group.locator("label", has_text=choice).tap()
            expect(group.get_by_role("radio", name=choice, exact=True)).to_be_checked()
    expect(mobile.get_by_role("radio", checked=True)).to_have_count(len(ANSWERS))
    assert patient_watch.csp == []
    send = mobile.get_by_role("button", name="Send my answers")
    send_box = send.bounding_box()
    assert send_box is not None
    assert send_box["height"] >= MIN_TARGET_PX, send_box
    with (
        mobile.expect_response(lambda r: r.request.method == "POST") as posted,
        mobile.expect_navigation() as navigation,
    ):
        send.tap()
    sent = posted.value
    assert sent.status == 302, (
        f"sending the answers was refused: HTTP {sent.status} from {sent.url} "
        f"(the browser sent Origin: {sent.request.header_value('origin')!r})"
    )
    assert_csp(navigation.value)

    # The thank-you page, with the crisis resources (the default text: the 988 Lifeline).
    expect(mobile).to_have_url(f"{base}/r/done/")
    expect(mobile.get_by_role("heading", name=f"Thank you, {GIVEN}", exact=True)).to_be_visible()
    expect(mobile.get_by_role("status")).to_contain_text("Your answers have been sent")
    crisis = mobile.get_by_role("alert")
    expect(crisis).to_have_count(1)  # one crisis box, not the same box twice
    expect(crisis).to_contain_text("If you need help now")
    expect(crisis).to_contain_text("call or text 988")
    expect(crisis).to_contain_text("911")
    assert_nothing_identifying(mobile, patient)
    assert_no_inline_script(mobile)
    assert_fits_the_phone(mobile)

    assessment = Assessment.objects.get(self_report_link=link)
    assert assessment.status == Assessment.Status.COMPLETE
    assert assessment.total == TOTAL
    assert assessment.severity == "moderate"
    assert assessment.critical
    alert = SafetyAlert.objects.get(patient=patient)
    assert alert.is_open

    # 3. The prescriber, in another browser, sees the alert on the dashboard and the worklist.
    desk = new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    prescriber_watch = ConsoleWatch(desk)
    doctor = desk.new_page()
    sign_in(doctor, base, cast.prescriber)
    alerts_card = doctor.locator("article.card").filter(
        has=doctor.get_by_role("heading", name="Open safety alerts")
    )
    expect(alerts_card.locator(".big")).to_have_text("1")
    alerts_card.get_by_role("link", name="Review them on the worklist").click()
    expect(doctor).to_have_url(f"{base}/measures/worklist/")
    assert_no_inline_script(doctor)
    expect(doctor.get_by_role("heading", name="Open safety alerts")).to_contain_text("1")
    row = doctor.get_by_role("row").filter(has_text=patient.mrn)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"{FAMILY}, {GIVEN}")
    expect(row).to_contain_text("PHQ-9: critical answer on item 9")

    # The chart shows it too: in the header and on the Measures tab.
    row.get_by_role("link", name=f"{FAMILY}, {GIVEN}").click()
    expect(doctor).to_have_url(f"{base}/measures/patients/{patient.pk}/")
    summary = doctor.get_by_role("region", name="Patient summary")
    expect(summary).to_contain_text("Safety alert: PHQ-9: critical answer on item 9")
    expect(doctor.get_by_role("alert").filter(has_text="Open safety alert")).to_have_count(1)
    response_row = doctor.locator("tr.critical-row")
    expect(response_row).to_contain_text(str(TOTAL))
    expect(response_row).to_contain_text("moderate")
    expect(response_row).to_contain_text("9:1")
    expect(response_row).to_contain_text("patient")
    doctor.go_back()
    expect(doctor).to_have_url(f"{base}/measures/worklist/")

    # 4. Review and acknowledge with an action and a note.
    row.get_by_role("link", name="Review").click()
    expect(doctor).to_have_url(f"{base}/measures/alerts/{alert.pk}/")
    expect(doctor.get_by_role("heading", name="Safety alert")).to_contain_text(patient.mrn)
    expect(doctor.get_by_text("PHQ-9: critical answer on item 9")).to_be_visible()
    expect(doctor.locator("main")).to_contain_text(f"PHQ-9 total {TOTAL} (moderate)")
    assert_no_inline_script(doctor)
    doctor.get_by_role("radio", name=ACK_ACTION).check()
    doctor.get_by_role("textbox", name="Note").fill(ACK_NOTE)
    doctor.get_by_role("button", name="Acknowledge").click()
    expect(doctor).to_have_url(f"{base}/measures/worklist/")
    expect(doctor.get_by_role("status")).to_contain_text("Safety alert acknowledged.")
    expect(doctor.get_by_text("No open safety alert.")).to_be_visible()
    expect(doctor.get_by_role("heading", name="Open safety alerts")).to_contain_text("0")

    alert.refresh_from_db()
    assert not alert.is_open
    assert alert.acknowledged_by == cast.prescriber.member
    assert alert.action == SafetyAlert.Action.CONTACTED_BY_PHONE
    assert alert.note == ACK_NOTE

    # The chart header no longer shows the safety alert, nor does the Measures tab.
    doctor.goto(f"{base}/patients/{patient.pk}/")
    summary = doctor.get_by_role("region", name="Patient summary")
    expect(summary.get_by_role("heading", name=f"{FAMILY}, {GIVEN}")).to_be_visible()
    expect(summary).not_to_contain_text("Safety alert")
    doctor.goto(f"{base}/measures/patients/{patient.pk}/")
    expect(doctor.locator("tr.critical-row")).to_have_count(1)
    expect(doctor.get_by_text("Open safety alert")).to_have_count(0)
    doctor.goto(f"{base}/")
    expect(alerts_card.locator(".big")).to_have_text("0")

    # 5. The used link now answers the neutral page, on the patient's phone.
    response = mobile.goto(link_url)
    assert response is not None
    assert response.status == 404
    expect(mobile.get_by_role("heading", name="This link is not valid")).to_be_visible()
    expect(mobile.get_by_text(GIVEN)).to_have_count(0)
    assert_nothing_identifying(mobile, patient)
    assert_no_inline_script(mobile)

    assert patient_watch.csp == []
    assert patient_watch.errors == []
    assert staff_watch.csp == []
    assert prescriber_watch.csp == []
