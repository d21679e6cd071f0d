"""A clinic admin's first day, in a real browser.

Signs in with a password, is made to enrol TOTP two-factor, sees the recovery codes, signs out,
signs in again with password and an authenticator code, registers a patient, finds them by
name, opens their chart and finds that chart view in the audit trail. Along the way every page
is checked for inline script (the Content-Security-Policy forbids it) and the chart response for
its Content-Security-Policy header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from playwright.sync_api import Page, Response, expect

from ketamine_clinic.accounts.models import Clinic, Membership, Organization, StaffMember
from ketamine_clinic.patients.models import Patient

pytestmark = pytest.mark.browser

USERNAME = "gadmin"
PASSWORD = "correct horse battery staple"
TOTP_PERIOD = 30
# Submit a code only when at least this many seconds of its 30-second window remain: the server
# accepts the current time step only (allauth's MFA_TOTP_TOLERANCE is 0).
TOTP_MARGIN = 4

GIVEN = "Rosalind"
FAMILY = "Quintanilla"


# --- RFC 6238 TOTP -------------------------------------------------------------------------


def totp(key: bytes, at: float, digits: int = 6, period: int = TOTP_PERIOD) -> str:
    """Return the RFC 6238 TOTP (HMAC-SHA-1) for raw `key` at Unix time `at`."""
    counter = int(at) // period
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


def totp_key(secret: str) -> bytes:
    """Decode an authenticator secret as shown to the user (base32, maybe spaced/unpadded)."""
    compact = re.sub(r"\s+", "", secret).upper()
    return base64.b32decode(compact + "=" * (-len(compact) % 8))


def test_totp_matches_the_rfc_6238_sha1_vectors():
    key = b"12345678901234567890"
    assert totp(key, 59, digits=8) == "94287082"
    assert totp(key, 59) == "287082"
    assert totp(key, 1111111109, digits=8) == "07081804"
    assert totp(key, 1234567890, digits=8) == "89005924"
    assert totp(key, 20000000000, digits=8) == "65353130"
    assert totp_key(base64.b32encode(key).decode().rstrip("=")) == key


def fresh_code(key: bytes, not_step: int | None = None) -> tuple[str, int]:
    """Return (code, time step) for a step other than `not_step`, waiting if need be.

    A code is accepted once only within its window, and only during its own window, so wait
    (the only sleep in this test) until a new window with enough time left to submit it.
    """
    while True:
        now = time.time()
        step = int(now) // TOTP_PERIOD
        left = (step + 1) * TOTP_PERIOD - now
        if step != not_step and left >= TOTP_MARGIN:
            return totp(key, now), step
        time.sleep(left + 0.2)


# --- page checks ---------------------------------------------------------------------------


def assert_no_inline_script(page: Page) -> None:
    """No executable <script> without src: only JSON data blocks may be inline."""
    inline = page.evaluate(
        """() => Array.from(document.querySelectorAll('script'))
            .filter(s => !s.hasAttribute('src'))
            .filter(s => (s.getAttribute('type') || '').trim().toLowerCase()
                         !== 'application/json')
            .map(s => s.outerHTML.slice(0, 200))"""
    )
    assert inline == [], f"inline script on {page.url}: {inline}"


def assert_csp(response: Response | None) -> None:
    assert response is not None
    assert response.status == 200, response.url
    csp = response.header_value("content-security-policy")
    assert csp, f"no Content-Security-Policy on {response.url}"
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp


@pytest.fixture
def admin(transactional_db: None) -> StaffMember:
    org = Organization.objects.create(name="Lakeside Health", mrn_prefix="LH")
    clinic = Clinic.objects.create(organization=org, name="Lakeside Central")
    staff = StaffMember.objects.create_user(
        username=USERNAME,
        password=PASSWORD,
        email="gadmin@example.org",
        first_name="Grace",
        last_name="Admin",
        organization=org,
    )
    Membership.objects.create(staff=staff, clinic=clinic, role="admin")
    return staff


def sign_in_with_password(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    assert_no_inline_script(page)
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


class PasswordConfirmation:
    """allauth's "Confirm Access" page, which guards two-factor settings with the password."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.asked = 0

    def pass_if_asked(self, then: str) -> None:
        """Wait for `then` (a path); type the password first if allauth asks for it."""
        page, target = self.page, f"{self.base}{then}"
        reauthenticate = f"{self.base}/accounts/reauthenticate/"
        page.wait_for_url(lambda url: url.startswith((target, reauthenticate)))
        if page.url.startswith(reauthenticate):
            self.asked += 1
            expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
            assert_no_inline_script(page)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Confirm").click()
        expect(page).to_have_url(target)


def test_admin_enrols_totp_signs_in_registers_and_audits_a_patient(live_server, admin, page):
    base = live_server.url
    csp_violations: list[str] = []
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url.removeprefix(base)))
    page.on(
        "console",
        lambda msg: (
            csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )

    # 1. Password sign-in sends a staff member without two-factor to the TOTP enrolment page.
    #    allauth may ask for the password once more on the way (it guards two-factor settings
    #    with a recent "reauthentication"); a real user types it and goes on.
    confirmation = PasswordConfirmation(page, base)
    sign_in_with_password(page, base)
    page.wait_for_url(lambda url: not url.startswith(f"{base}/accounts/login/"))
    assert not page.url.startswith("chrome-error:"), (
        f"sign-in did not reach a page ({page.title()!r}); last requests: {requested[-6:]}"
    )
    confirmation.pass_if_asked(then="/accounts/2fa/totp/activate/")
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    assert_no_inline_script(page)
    # Anything else is refused until enrolment is done.
    page.goto(f"{base}/patients/")
    expect(page).to_have_url(f"{base}/accounts/2fa/totp/activate/")

    # 2. Read the secret shown on the page and activate with the current code.
    secret_field = page.get_by_label("Authenticator secret")
    expect(secret_field).to_be_disabled()
    secret = secret_field.input_value()
    key = totp_key(secret)
    assert len(key) >= 16
    expect(page.get_by_role("img", name=secret)).to_be_visible()  # the QR code
    code, activation_step = fresh_code(key)
    page.get_by_label("Authenticator code").fill(code)
    page.get_by_role("button", name="Activate").click()

    # 3. allauth then shows the freshly generated recovery codes. Enrolment asks for the
    #    password again at most once.
    confirmation.pass_if_asked(then="/accounts/2fa/recovery-codes/")
    assert confirmation.asked <= 1, "the password was asked for twice during enrolment"
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    expect(page.get_by_text("There are 10 out of 10 recovery codes available.")).to_be_visible()
    codes = page.get_by_label("Unused codes").input_value().split()
    assert len(codes) == 10
    assert all(re.fullmatch(r"[0-9a-f]{8}", c) for c in codes), codes
    expect(page.get_by_role("link", name="Download codes")).to_be_visible()
    assert_no_inline_script(page)

    # 4. Sign out.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{base}/accounts/login/")
    page.goto(f"{base}/patients/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/patients/$"))

    # 5. Sign in again: password, then the authenticator code on a second page. The
    #    activation code may not be used again, so take a code of a later time step.
    sign_in_with_password(page, base)
    expect(page).to_have_url(f"{base}/accounts/2fa/authenticate/")
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    assert_no_inline_script(page)
    code, _ = fresh_code(key, not_step=activation_step)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(f"{base}/")
    assert_no_inline_script(page)
    main_nav = page.get_by_role("navigation", name="Main")

    # 6. Register a patient through the form.
    main_nav.get_by_role("link", name="Patients").click()
    expect(page.get_by_role("heading", name="Patients", exact=True)).to_be_visible()
    page.get_by_role("link", name="Register a patient").click()
    expect(page).to_have_url(f"{base}/patients/new/")
    expect(page.get_by_role("heading", name="Register a patient")).to_be_visible()
    assert_no_inline_script(page)
    expect(page.get_by_label("Clinic")).to_have_value(str(admin.memberships.get().clinic_id))
    page.get_by_label("Legal given name").fill(GIVEN)
    page.get_by_label("Legal family name").fill(FAMILY)
    page.get_by_label("Date of birth").fill("1979-08-23")
    page.get_by_label("Sex").select_option(label="Female")
    page.get_by_label("Weight (kg)").fill("82.4")
    page.get_by_label("Height (cm)").fill("170")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Register").click()

    # 7. The chart: MRN, latest weight and BMI; served with the CSP header.
    assert_csp(navigation.value)
    patient = Patient.objects.get(legal_family_name=FAMILY)
    chart_url = f"{base}/patients/{patient.pk}/"
    expect(page).to_have_url(chart_url)
    assert patient.mrn == "LH000001"
    expect(page.get_by_role("status")).to_contain_text(
        f"Registered {FAMILY}, {GIVEN}, MRN {patient.mrn}."
    )
    summary = page.get_by_role("region", name="Patient summary")
    expect(summary.get_by_role("heading", name=f"{FAMILY}, {GIVEN}")).to_be_visible()
    expect(summary).to_contain_text(f"MRN {patient.mrn}")
    # The weight is recorded, but a clinic admin needs no clinical view and is not shown it
    # (minimum necessary, issue #14).
    assert [str(w.weight_kg) for w in patient.weights.all()] == ["82.4"]
    expect(summary.locator("dt", has_text="Latest weight")).to_have_count(0)
    assert_no_inline_script(page)

    # 8. Find the patient by family name and open the chart from the result.
    main_nav.get_by_role("link", name="Patients").click()
    search = page.get_by_role("search")
    search.get_by_role("searchbox", name="Search").fill(FAMILY)
    search.get_by_role("button", name="Search").click()
    expect(page).to_have_url(f"{base}/patients/?q={FAMILY}")
    expect(page.get_by_text(f"1 patient matching “{FAMILY}”.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=patient.mrn)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("1979-08-23")
    assert_no_inline_script(page)
    with page.expect_navigation() as navigation:
        row.get_by_role("link", name=f"{FAMILY}, {GIVEN}").click()
    assert_csp(navigation.value)
    expect(page).to_have_url(chart_url)
    expect(page.get_by_role("heading", name=f"{FAMILY}, {GIVEN}")).to_be_visible()

    # 9. The audit trail, filtered for this patient, shows the chart views.
    main_nav.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    page.get_by_label("Patient (MRN or id)").fill(str(patient.pk))
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(rf"/audit/\?patient={patient.pk}(&|$)"))
    views = page.get_by_role("row").filter(has=page.locator("code", has_text="chart.view"))
    expect(views).to_have_count(2)  # after registering, and from the search result
    expect(views.first).to_contain_text(USERNAME)
    expect(views.first).to_contain_text("admin")
    expect(views.first.get_by_role("link", name=patient.mrn)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="patient.create")).to_have_count(1)
    assert_no_inline_script(page)

    assert csp_violations == []
