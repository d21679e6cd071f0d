"""Eligibility screening, a prescriber's review and a consent signed on the clinic tablet.

A nurse screens two patients from their charts' "Screening & consent" tab: one with current
psychosis (not eligible, with the rule's plain-language reason) and one with a blood pressure of
150/95 (needs a prescriber's review; the nurse is shown no review form). The prescriber, in
another browser, lets the second patient proceed with written reasoning. On a tablet-sized
screen the patient types their name and draws a signature with the pointer on the canvas pad
(a first attempt without a drawing is refused); a staff witness countersigns, the PDF copy is
made and downloaded, and the chart then shows the patient ready for IV treatment.

Staff sign in through the real login pages with a password and a TOTP code (the authenticator
enrolled through the ORM, as in test_self_report_alert.py). The tablet shares the nurse's
session: the nurse opens the consent on it and hands it to the patient.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from ketamine_clinic.accounts.models import Clinic, Organization
from ketamine_clinic.clinical import eligibility
from ketamine_clinic.patients import services as patient_services
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.screening.models import Consent, Screening, ScreeningReview
from tests.browser.test_login_and_chart import assert_csp, assert_no_inline_script
from tests.browser.test_self_report_alert import ConsoleWatch, Staff, make_staff, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

DESK = {"viewport": {"width": 1280, "height": 900}, "locale": "en-US"}
TABLET = {
    "viewport": {"width": 820, "height": 1180},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "en-US",
}
PSYCHOSIS = eligibility.CONDITIONS["psychosis_current"]
IV_CONSENT = "Consent to IV ketamine treatment"
REASONING = "Repeat reading after ten minutes' rest was 138/86; proceed with BP every 10 minutes."
MISSING_SIGNATURE = "Sign in the box (the signature is missing)."
PNG_URI = "data:image/png;base64,"


class Cast:
    def __init__(self, nurse: Staff, prescriber: Staff, a: Patient, b: Patient) -> None:
        self.nurse = nurse
        self.prescriber = prescriber
        self.a = a
        self.b = b


def register(actor: Staff, clinic: Clinic, given: str, family: str, born: date) -> Patient:
    return patient_services.patient_register(
        actor=actor.member,
        clinic=clinic,
        details={
            "legal_given_name": given,
            "legal_family_name": family,
            "date_of_birth": born,
            "sex": "female",
        },
        weight_kg=Decimal("68.0"),
        height_cm=Decimal("166.0"),
    )


@pytest.fixture
def cast(product_consent_texts: None) -> Cast:
    org = Organization.objects.create(name="Cedar Health", mrn_prefix="CH")
    clinic = Clinic.objects.create(organization=org, name="Cedar Main")
    nurse = make_staff(org, clinic, "nnurse", "Nadia", "nurse")
    prescriber = make_staff(org, clinic, "pdoc", "Pavel", "prescriber")
    a = register(nurse, clinic, "Agnes", "Ferreira", date(1979, 2, 14))
    b = register(nurse, clinic, "Beatrix", "Lindgren", date(1986, 9, 3))
    return Cast(nurse, prescriber, a, b)


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Open browser contexts (closed after the test)."""
    opened: list[BrowserContext] = []

    def _open(**options: object) -> BrowserContext:
        context = browser.new_context(**options)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        opened.append(context)
        return context

    yield _open
    for context in opened:
        context.close()


def open_screening_tab(page: Page, base: str, patient: Patient) -> None:
    page.goto(f"{base}/patients/{patient.pk}/")
    page.get_by_role("navigation", name="Chart sections").get_by_role(
        "link", name="Screening & consent"
    ).click()
    expect(page).to_have_url(f"{base}/screening/patients/{patient.pk}/")


def readiness_row(page: Page, route_label: str) -> Locator:
    table = page.locator("h2:text-is('Ready for treatment?') + table")
    return table.get_by_role("row").filter(has_text=route_label)


def screen(page: Page, base: str, patient: Patient, bp: tuple[int, int], *conditions: str) -> int:
    """From the chart tab, fill in and submit the intake form; return the new screening's id."""
    open_screening_tab(page, base, patient)
    page.get_by_role("link", name="Screen the patient").click()
    expect(page).to_have_url(f"{base}/screening/patients/{patient.pk}/new/")
    expect(page.get_by_role("heading", name="Eligibility screening")).to_be_visible()
    assert_no_inline_script(page)
    # Weight and height come from the chart.
    expect(page.get_by_label("Weight (kg)")).to_have_value("68.0")
    page.get_by_label("Planned route").select_option("iv")
    page.get_by_label("Blood pressure, systolic (mm Hg)").fill(str(bp[0]))
    page.get_by_label("Blood pressure, diastolic (mm Hg)").fill(str(bp[1]))
    page.get_by_label("Heart rate (/min)").fill("70")
    for label in conditions:
        page.get_by_role("checkbox", name=label, exact=True).check()
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Screen", exact=True).click()
    assert_csp(navigation.value)
    match = re.fullmatch(rf"{re.escape(base)}/screening/(\d+)/", page.url)
    assert match, f"the intake form did not lead to the screening: {page.url}"
    assert_no_inline_script(page)
    return int(match.group(1))


def draw_signature(page: Page, canvas: Locator) -> None:
    """Draw a zig-zag scribble across the canvas with the pointer (mouse down, moves, up)."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 60, box
    left, top, width, height = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(left + width * 0.08, top + height * 0.6)
    page.mouse.down()
    for step in range(1, 19):
        x = left + width * (0.08 + 0.045 * step)
        y = top + height * (0.3 if step % 2 else 0.7)
        page.mouse.move(x, y, steps=3)
    page.mouse.up()


def assert_fits(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px on the tablet"


def ink_pixels(data_uri: str) -> int:
    """How many clearly dark pixels the signature PNG holds."""
    raw = base64.b64decode(data_uri.removeprefix(PNG_URI))
    histogram = Image.open(io.BytesIO(raw)).convert("L").histogram()
    return sum(histogram[:128])


def test_screen_review_and_sign_consent_on_a_tablet(
    live_server, cast: Cast, page: Page, new_context
) -> None:
    base = live_server.url
    a, b = cast.a, cast.b
    nurse_watch = ConsoleWatch(page.context)

    # 1. The nurse screens patient A, who has current psychosis: not eligible, and why.
    sign_in(page, base, cast.nurse)
    open_screening_tab(page, base, a)
    expect(readiness_row(page, "IV racemic ketamine")).to_contain_text("not ready")
    expect(readiness_row(page, "IV racemic ketamine")).to_contain_text(
        "No eligibility screening for this route"
    )
    assert_no_inline_script(page)
    screening_a = screen(page, base, a, (120, 80), PSYCHOSIS)
    expect(page.locator(".big-decision")).to_have_text("Not eligible")
    expect(page.locator(".decision-box")).to_contain_text("now: ineligible")
    psychosis_rule = next(
        r for r in eligibility.DEFAULT_RULESET.rules if r.id == "psychosis_current"
    )
    finding = page.locator("li.finding").filter(has_text=psychosis_rule.statement)
    expect(finding).to_have_count(1)
    expect(finding).to_contain_text(f"Recorded: {PSYCHOSIS}.")
    expect(finding).to_contain_text("contraindicated")
    expect(finding).to_contain_text("Rule psychosis_current")
    saved = Screening.objects.get(pk=screening_a)
    assert saved.patient == a
    assert saved.decision == Screening.Decision.INELIGIBLE
    assert saved.intake["conditions"] == ["psychosis_current"]
    assert (saved.intake["systolic_bp"], saved.intake["diastolic_bp"]) == (120, 80)
    assert saved.intake["heart_rate"] == 70

    # 2. Patient B, blood pressure 150/95: needs a prescriber's review; no form for a nurse.
    screening_b = screen(page, base, b, (150, 95))
    expect(page.locator(".big-decision")).to_have_text("Needs a prescriber's review")
    expect(page.locator(".decision-box")).to_contain_text("now: awaiting review")
    bp_finding = page.locator("li.finding").filter(has_text="150/95")
    expect(bp_finding).to_have_count(1)
    expect(bp_finding).to_contain_text("Your blood pressure today, 150/95 mm Hg, is above 140/90")
    expect(page.get_by_text("No review.")).to_be_visible()
    expect(page.get_by_role("radio")).to_have_count(0)
    expect(page.get_by_role("button", name="Record my review")).to_have_count(0)
    expect(page.locator("form textarea[name=reasoning]")).to_have_count(0)
    open_screening_tab(page, base, b)
    expect(readiness_row(page, "IV racemic ketamine")).to_contain_text(
        "The screening is awaiting review: a prescriber must review it."
    )

    # 3. The prescriber, in another browser, opens that screening and lets B proceed.
    desk = new_context(**DESK)
    prescriber_watch = ConsoleWatch(desk)
    doctor = desk.new_page()
    sign_in(doctor, base, cast.prescriber)
    open_screening_tab(doctor, base, b)
    screenings_table = doctor.locator("h2:text-is('Eligibility screenings')").locator(
        "xpath=../following-sibling::table[1]"
    )
    row = screenings_table.get_by_role("row").filter(has_text="Needs a prescriber's review")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("awaiting review")
    row.get_by_role("link").click()
    expect(doctor).to_have_url(f"{base}/screening/{screening_b}/")
    assert_no_inline_script(doctor)
    doctor.get_by_role("radio", name="May proceed").check()
    doctor.get_by_role("textbox", name="Reasoning").fill(REASONING)
    with doctor.expect_navigation() as navigation:
        doctor.get_by_role("button", name="Record my review").click()
    assert_csp(navigation.value)
    expect(doctor).to_have_url(f"{base}/screening/{screening_b}/")
    expect(doctor.get_by_role("status")).to_contain_text("Review recorded.")
    expect(doctor.locator(".decision-box strong")).to_have_text("approved")
    review_card = doctor.locator(".card").filter(has_text="May proceed")
    expect(review_card).to_have_count(1)
    expect(review_card).to_contain_text("Pavel Tester")
    expect(review_card).to_contain_text(REASONING)
    expect(doctor.get_by_role("button", name="Record my review")).to_have_count(0)
    review = ScreeningReview.objects.get(screening_id=screening_b)
    assert review.reviewer == cast.prescriber.member
    assert review.outcome == ScreeningReview.Outcome.APPROVED
    assert review.reasoning == REASONING

    # 4. The nurse opens the IV consent on the clinic tablet (same session) for patient B.
    page.reload()
    iv_row = readiness_row(page, "IV racemic ketamine")
    expect(iv_row).to_contain_text("not ready")
    expect(iv_row).to_contain_text("No signed consent for this route")
    tablet = new_context(storage_state=page.context.storage_state(), **TABLET)
    tablet_watch = ConsoleWatch(tablet)
    pad = tablet.new_page()
    open_screening_tab(pad, base, b)
    pad.get_by_role("link", name=f"{IV_CONSENT} (v1)").click()
    sign_url = pad.url
    assert re.fullmatch(rf"{re.escape(base)}/screening/patients/{b.pk}/consent/\d+/sign/", sign_url)
    expect(pad.get_by_role("heading", name=IV_CONSENT)).to_be_visible()
    assert_no_inline_script(pad)
    assert_fits(pad)
    canvas = pad.get_by_role("img", name="Your signature")
    # The patient holds the tablet: no staff menu on the signing page.
    expect(pad.get_by_role("link", name="Patients")).to_have_count(0)
    expect(canvas).to_be_visible()
    signature = pad.locator("input[type=hidden][name=signature]")
    full_name = pad.get_by_label("Your full name")
    understood = pad.get_by_role("checkbox", name=re.compile(r"^I have read this document"))

    # A first attempt without drawing is refused, and the patient stays on the page.
    full_name.fill(f"{b.legal_given_name} {b.legal_family_name}")
    understood.check()
    assert signature.input_value() == ""
    with pad.expect_navigation() as navigation:
        pad.get_by_role("button", name="Sign", exact=True).click()
    assert navigation.value is not None and navigation.value.status == 200
    expect(pad).to_have_url(sign_url)
    expect(pad.get_by_role("alert")).to_contain_text(MISSING_SIGNATURE)
    assert not Consent.objects.filter(patient=b).exists()
    assert_no_inline_script(pad)

    # Now type, draw and sign.
    full_name.fill(f"{b.legal_given_name} {b.legal_family_name}")
    draw_signature(pad, canvas)
    drawn = signature.input_value()
    assert drawn.startswith(PNG_URI), f"the signature field holds {drawn[:40]!r}"
    understood.check()
    with pad.expect_navigation() as navigation:
        pad.get_by_role("button", name="Sign", exact=True).click()
    assert_csp(navigation.value)
    consent = Consent.objects.get(patient=b)
    consent_url = f"{base}/screening/consents/{consent.pk}/"
    # The patient sees a thank-you and hands the tablet back; staff go on only with a password.
    expect(pad.get_by_role("status")).to_contain_text("Please hand the tablet back")
    expect(pad.get_by_role("link", name="Patients")).to_have_count(0)
    pad.get_by_role("link", name="Staff: continue (password needed)").click()
    pad.locator("input[type=password]").fill(PASSWORD)
    pad.get_by_role("button", name="Confirm").click()
    expect(pad).to_have_url(consent_url)
    expect(pad.locator("main")).to_contain_text("Status: awaiting witness")
    stored = pad.get_by_role("img", name=f"Signature of {b.legal_given_name} {b.legal_family_name}")
    expect(stored).to_be_visible()
    assert stored.evaluate("img => img.complete && img.naturalWidth > 0")
    assert consent.signature_png == drawn
    assert ink_pixels(consent.signature_png) > 200, "the stored signature is blank"
    assert consent.template.kind == "iv"
    assert consent.presented_by == cast.nurse.member
    assert consent.witnessed_at is None

    # The nurse, back at the desk, countersigns; the PDF copy is made and can be downloaded.
    page.goto(consent_url)
    expect(page.locator("main")).to_contain_text("Status: awaiting witness")
    expect(page.get_by_role("link", name="Download the PDF copy")).to_have_count(0)
    page.get_by_role("button", name="Countersign as witness").click()
    expect(page).to_have_url(consent_url)
    expect(page.get_by_role("status")).to_contain_text("Witnessed.")
    expect(page.locator("main")).to_contain_text("Status: current")
    expect(page.get_by_role("button", name="Countersign as witness")).to_have_count(0)
    expect(page.locator(".signatures")).to_contain_text("Nadia Tester")
    pdf_link = page.get_by_role("link", name="Download the PDF copy")
    expect(pdf_link).to_be_visible()
    href = pdf_link.get_attribute("href")
    assert href == f"/screening/consents/{consent.pk}/pdf/"
    response = page.request.get(f"{base}{href}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    assert_no_inline_script(page)

    # 5. The chart: IV ready for treatment, the consent current.
    open_screening_tab(page, base, b)
    iv_row = readiness_row(page, "IV racemic ketamine")
    expect(iv_row.locator("td").nth(1)).to_have_text("ready")
    expect(iv_row).to_contain_text("Screening and consent are current.")
    expect(readiness_row(page, "IM racemic ketamine")).to_contain_text("not ready")
    consent_row = page.get_by_role("row").filter(has_text=f"{IV_CONSENT} v1")
    expect(consent_row).to_contain_text("current")
    expect(consent_row).to_contain_text("Nadia Tester")
    assert_no_inline_script(page)

    assert tablet_watch.csp == []
    assert tablet_watch.errors == []
    assert nurse_watch.csp == []
    assert nurse_watch.errors == []
    assert prescriber_watch.csp == []
