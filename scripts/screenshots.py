"""Take the documentation screenshots from a throw-away demo.

Run as `.venv/bin/python scripts/screenshots.py` (or `make screenshots`). It starts
`ketamine-clinic demo` on a free local port with its own temporary data dir (so the demo data
is fresh and nothing of yours is touched), waits for /healthz, signs in as the demo users with
Playwright driving Debian's Chromium at 1280x900 (the patient's self-report page at a phone's
390x844, the consent signing page at a tablet's 820x1180), saves PNGs into docs/screenshots/,
and stops the server. The demo's patients are shuffled: the screenshots of screening and consent
find their patients in the demo's SQLite database.
"""

from __future__ import annotations

import ast
import math
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.browser.chromium import CHROMIUM_ARGS, find_chromium  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
TABLET = {
    "viewport": {"width": 820, "height": 1180},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
STOCK_HEIGHT = 1500  # the stock page down to the first latest entries
STARTUP_TIMEOUT = int(
    os.environ.get("SCREENSHOTS_STARTUP_TIMEOUT", "180")
)  # seconds: migrate, seed,
# collect static files, start gunicorn (longer on a busy shared machine)


def demo_password() -> str:
    """DEMO_PASSWORD from ketamine_clinic/web/demo_data.py, read without setting up Django."""
    source = (ROOT / "ketamine_clinic" / "web" / "demo_data.py").read_text()
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["DEMO_PASSWORD"]
            and isinstance(node.value, ast.Constant)
        ):
            return str(node.value.value)
    raise SystemExit("DEMO_PASSWORD not found in ketamine_clinic/web/demo_data.py")


DEMO_PASSWORD = demo_password()


def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        sys.exit("Chromium is needed at /usr/bin/chromium (run `make browser`).")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local http)
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextmanager
def demo_server() -> Iterator[tuple[str, Path]]:
    """Run the demo in a temporary data dir; yield its base URL and SQLite database; stop it
    and clean up."""
    data_dir = Path(tempfile.mkdtemp(prefix="kc-screenshots-"))
    port = free_port()
    env = dict(os.environ, KETAMINE_CLINIC_DATA_DIR=str(data_dir))
    env.pop("DATABASE_URL", None)  # the demo's own SQLite file in the temporary data dir
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log_path = data_dir / "server.log"
    log = log_path.open("w")
    command = [str(ROOT / ".venv" / "bin" / "ketamine-clinic"), "demo", "--port", str(port)]
    # Its own process group: gunicorn's workers go with it when it is stopped.
    server = subprocess.Popen(  # noqa: S603 (fixed argv)
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _healthy(f"{base}/healthz"):
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                sys.stderr.write(log_path.read_text())
                raise SystemExit(f"The demo did not come up on {base} (see the log above).")
            time.sleep(0.3)
        print(f"demo running at {base} (data dir {data_dir})")
        yield base, data_dir / "demo.sqlite3"
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)  # gunicorn's master stops its workers
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def shoot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Save the page (whole, or only the viewport's height when `full_page` is False)."""
    page.wait_for_load_state("networkidle")
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"  {path.relative_to(ROOT)}")


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(f"{base}/")


def sign_out(page: Page, base: str) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{base}/accounts/login/")


def new_context(browser: Browser, problems: list[str], **options: object) -> BrowserContext:
    """A fresh browser context whose console errors and HTTP failures go to `problems`."""
    context = browser.new_context(locale="en-US", timezone_id="UTC", **options)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    context.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}")
            if msg.type in ("error", "warning")
            else None
        ),
    )
    context.on(
        "response",
        lambda r: (
            problems.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 and r.status != 422
            else None
        ),
    )
    return context


def measures_screenshots(page: Page, base: str) -> None:
    """As the prescriber: a patient with an open safety alert, the worklist, the alert."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()
    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()
    alert_rows = page.locator("tr.critical-row")
    expect(alert_rows.first).to_be_visible()  # the demo opens two safety alerts this morning
    shoot(page, "12-worklist", full_page=False)

    alert_rows.first.get_by_role("link").first.click()  # the patient's name: the Measures tab
    expect(page.get_by_role("link", name="Measures")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("alert").filter(has_text="Open safety alert")).to_be_visible()
    expect(page.locator("img.score-chart").first).to_be_visible()
    shoot(page, "11-measures-tab")

    page.get_by_role("link", name="Review and acknowledge").first.click()
    expect(page.get_by_role("heading", name="Acknowledge")).to_be_visible()
    shoot(page, "14-alert")


def self_report_screenshot(page: Page, base: str, browser: Browser, problems: list[str]) -> None:
    """As the front desk: a new PHQ-9 link for a demo patient, opened on a phone."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_role("table").get_by_role("link").first.click()
    page.get_by_role("navigation", name="Chart sections").get_by_role(
        "link", name="Measures"
    ).click()
    page.get_by_role("link", name="Send a self-report link").click()
    page.get_by_role("checkbox", name="Patient Health Questionnaire (PHQ-9)").check()
    page.get_by_role("button", name="Make the link").click()
    url = page.get_by_label("Copy the link").input_value()

    phone = new_context(browser, problems, **PHONE)
    try:
        mobile = phone.new_page()
        mobile.goto(url)
        mobile.get_by_role("link", name="Start: PHQ-9").click()
        expect(mobile.get_by_role("heading", name="PHQ-9")).to_be_visible()
        # Two answers given, so that the page shows what a chosen option looks like.
        for number, choice in ((1, "Several days"), (2, "More than half the days")):
            group = mobile.get_by_role("group", name=re.compile(rf"^{number}\. "))
            group.locator("label", has_text=choice).tap()
        mobile.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
        shoot(mobile, "13-self-report-phone")
    finally:
        phone.close()


def demo_row(database: Path, sql: str, *params: object) -> tuple[object, ...]:
    """The first row of a query on the demo's database (read while the demo runs)."""
    with closing(sqlite3.connect(database)) as db:
        row = db.execute(sql, params).fetchone()
    if row is None:
        raise SystemExit(f"The demo has no row for: {' '.join(sql.split())}")
    return tuple(row)


def awaiting_review(database: Path) -> tuple[int, int]:
    """(screening id, patient id) of the demo's screening that awaits a prescriber's review."""
    screening_id, patient_id = demo_row(
        database,
        """SELECT s.id, s.patient_id FROM screening_screening s
           WHERE s.decision = 'needs_review'
             AND NOT EXISTS (SELECT 1 FROM screening_screeningreview r WHERE r.screening_id = s.id)
           ORDER BY s.id""",
    )
    return int(str(screening_id)), int(str(patient_id))


def consented_patient(database: Path) -> int:
    """A demo patient with a current IV consent whose screening a prescriber approved."""
    (patient_id,) = demo_row(
        database,
        """SELECT c.patient_id FROM screening_consent c
           JOIN screening_screening s ON s.patient_id = c.patient_id
           JOIN screening_screeningreview r ON r.screening_id = s.id AND r.outcome = 'approved'
           WHERE c.witnessed_at IS NOT NULL AND c.withdrawn_at IS NULL
           ORDER BY c.id""",
    )
    return int(str(patient_id))


def draw_signature(page: Page, canvas: Locator) -> None:
    """Write a looped, cursive-like scribble on the canvas with the pointer, then underline it."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    left, top, width, height = box["x"], box["y"], box["width"], box["height"]
    loops = 9
    points = [
        (
            left + width * (0.08 + 0.5 * t / 120) + 14 * math.cos(t / 120 * loops * 2 * math.pi),
            top + height * (0.5 - 0.2 * math.sin(t / 120 * loops * 2 * math.pi) - 0.1 * t / 120),
        )
        for t in range(121)
    ]
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x, y)
    page.mouse.up()
    page.mouse.move(left + width * 0.1, top + height * 0.78)
    page.mouse.down()
    page.mouse.move(left + width * 0.66, top + height * 0.72, steps=12)
    page.mouse.up()


def screening_screenshots(page: Page, base: str, database: Path) -> None:
    """As the prescriber: the demo's screening that awaits review (blood pressure 150/95)."""
    screening_id, patient_id = awaiting_review(database)
    page.goto(f"{base}/screening/patients/{patient_id}/")
    when = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}( [A-Z]+)?$")  # with the zone's abbreviation
    page.get_by_role("link", name=when).first.click()
    expect(page).to_have_url(f"{base}/screening/{screening_id}/")
    expect(page.locator(".big-decision")).to_have_text("Needs a prescriber's review")
    expect(page.get_by_role("button", name="Record my review")).to_be_visible()
    shoot(page, "15-screening-needs-review")


def consent_screenshots(
    page: Page, base: str, browser: Browser, problems: list[str], database: Path
) -> None:
    """As the nurse: the IV consent on the clinic tablet, signed but not yet sent; then a
    chart's Screening & consent tab with a current consent."""
    _, patient_id = awaiting_review(database)  # screened, no consent yet
    given, family = demo_row(
        database,
        "SELECT legal_given_name, legal_family_name FROM patients_patient WHERE id = ?",
        patient_id,
    )
    tablet = new_context(browser, problems, **TABLET)
    try:
        pad = tablet.new_page()
        sign_in(pad, base, "nurse")
        pad.goto(f"{base}/screening/patients/{patient_id}/")
        pad.get_by_role("link", name=re.compile(r"^Consent to IV ketamine treatment")).click()
        expect(pad).to_have_url(re.compile(r"/consent/\d+/sign/$"))
        pad.get_by_label("Your full name").fill(f"{given} {family}")
        draw_signature(pad, pad.locator("[data-signature-pad] canvas"))
        if not pad.locator("input[name=signature]").input_value().startswith("data:image/png"):
            problems.append("the signature pad did not fill the signature field")
        pad.get_by_role("checkbox", name=re.compile(r"^I have read this document")).check()
        pad.evaluate("() => document.activeElement.blur()")
        # The end of the document, the name, the drawn signature and the Sign button.
        pad.get_by_role("button", name="Sign", exact=True).scroll_into_view_if_needed()
        shoot(pad, "16-consent-sign", full_page=False)
    finally:
        tablet.close()

    page.goto(f"{base}/screening/patients/{consented_patient(database)}/")
    expect(page.get_by_role("row").filter(has_text="Consent to IV ketamine").first).to_contain_text(
        "current"
    )
    shoot(page, "17-screening-tab")


def ledger_screenshots(page: Page, base: str, problems: list[str]) -> None:
    """As the prescriber: the controlled-substance stock page (intact ledger, last night's open
    discrepancy, the vials on hand, the latest entries), the first vial's history and the
    witnessed-waste form for the latest dose drawn.

    The stock page is taller than 900 px: it is taken in a viewport 1280 px high, so that the
    first of the latest entries are on it too."""
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Controlled substances"
    ).click()
    expect(page).to_have_url(f"{base}/inventory/")
    expect(page.locator("article.card .good").first).to_have_text("Ledger intact")
    expect(page.get_by_role("heading", name="Open discrepancies")).to_be_visible()
    expect(page.locator("tr.critical-row")).to_have_count(1)  # the demo's evening count
    on_hand = page.locator("table").filter(has=page.get_by_role("columnheader", name="Lot"))
    expect(on_hand.get_by_role("link", name="K-0001")).to_be_visible()
    latest = page.locator("table.audit")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": STOCK_HEIGHT})
    try:
        expect(latest.locator("tbody tr").nth(2)).to_be_in_viewport()
        shoot(page, "18-ledger-stock", full_page=False)
    finally:
        page.set_viewport_size(VIEWPORT)

    on_hand.get_by_role("link", name="K-0001").click()
    expect(page.get_by_role("heading", name="Container K-0001")).to_be_visible()
    expect(page.locator("table.audit tbody tr").first).to_contain_text("Receipt")
    shoot(page, "19-ledger-container")

    # The newest dose drawn: the first "Record waste" of the stock page's latest entries
    # (newest first).
    page.goto(f"{base}/inventory/")
    latest.get_by_role("link", name="Record waste").first.click()
    expect(page).to_have_url(re.compile(r"/inventory/entries/\d+/waste/$"))
    expect(
        page.get_by_role("heading", name=re.compile(r"^Record waste of the dose"))
    ).to_be_visible()
    expect(page.get_by_label("Witness's signature:", exact=True)).to_be_visible()
    lead = page.locator("main h1 + p").inner_text()
    if re.search(r"\dE[-+]?\d", lead):
        problems.append(f"the waste form shows a quantity in exponent notation: {lead!r}")
    shoot(page, "20-ledger-waste")

    page.goto(f"{base}/inventory/")
    page.get_by_role("link", name="Products & suppliers").click()
    expect(page).to_have_url(f"{base}/inventory/settings/")
    expect(page.get_by_role("cell", name="50458-028-02")).to_be_visible()
    shoot(page, "23-ledger-products")


def pk_screenshots(page: Page, base: str) -> None:
    """The PK explorer from a chart (ketamine, prefilled), then esketamine 56 vs 84 mg."""
    page.get_by_role("navigation", name="Chart sections").get_by_role(
        "link", name="Weight & height"
    ).click()
    page.get_by_role("link", name="PK explorer").click()
    expect(page.get_by_role("img", name="Predicted concentration curves")).to_be_visible()
    shoot(page, "21-pk-explorer")
    page.get_by_label("Route").select_option("intranasal")
    page.get_by_role("button", name="Predict").click()
    expect(page.get_by_role("cell", name="esketamine 84 mg")).to_be_visible()
    shoot(page, "22-pk-esketamine")


def busiest_day(database: Path) -> str:
    """The date (YYYY-MM-DD) with the most booked sessions in the demo's schedule."""
    (day,) = demo_row(
        database,
        """SELECT date(starts_at) AS day FROM plans_plannedsession WHERE status = 'booked'
           GROUP BY day ORDER BY count(*) DESC, day LIMIT 1""",
    )
    return str(day)


def review_due_patient(database: Path) -> int:
    """The demo patient whose active IV induction began first (six held: review due)."""
    (patient_id,) = demo_row(
        database,
        """SELECT p.patient_id FROM plans_treatmentplan p
           JOIN plans_protocol r ON r.id = p.protocol_id
           WHERE p.status = 'active' AND r.slug = 'iv-ketamine-induction'
           ORDER BY p.start_date""",
    )
    return int(str(patient_id))


def plans_screenshots(page: Page, base: str, database: Path) -> None:
    """As the prescriber: a Plan tab whose induction awaits its review, the busiest day of the
    schedule and its week, the protocols with the IV induction's sources, the schedule
    settings."""
    patient_id = review_due_patient(database)
    page.goto(f"{base}/patients/{patient_id}/")
    page.get_by_role("navigation", name="Chart sections").get_by_role("link", name="Plan").click()
    expect(page.get_by_role("region", name="Current plan")).to_be_visible()
    expect(page.locator("#plan-sessions tbody tr")).to_have_count(6)
    shoot(page, "24-plan-tab")

    day = busiest_day(database)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule").click()
    page.goto(f"{page.url.split('?')[0]}?date={day}")
    expect(page.locator("#day-table .booking").first).to_be_visible()
    shoot(page, "25-schedule-day")
    page.get_by_role("link", name="Week view").click()
    expect(page.locator("#week-table")).to_be_visible()
    shoot(page, "26-schedule-week")

    page.get_by_role("link", name="Day view").click()
    page.get_by_role("link", name="Protocols").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Protocols"))).to_be_visible()
    shoot(page, "27-protocols")
    page.get_by_role("link", name="IV racemic ketamine: induction").click()
    expect(
        page.get_by_role("heading", name=re.compile(r"^IV racemic ketamine: induction"))
    ).to_be_visible()
    shoot(page, "28-protocol-detail")

    page.goto(f"{base}/plans/protocols/")
    page.get_by_role("link", name="Schedule settings").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Schedule settings"))).to_be_visible()
    shoot(page, "29-schedule-settings")


SESSION_IN = {
    None: "SELECT s.id FROM treatments_treatmentsession s WHERE s.state = ? ORDER BY s.id",
    True: """SELECT s.id FROM treatments_treatmentsession s WHERE s.state = ? AND EXISTS
             (SELECT 1 FROM treatments_sessionalert a WHERE a.session_id = s.id
              AND a.outcome = '') ORDER BY s.id""",
    False: """SELECT s.id FROM treatments_treatmentsession s WHERE s.state = ? AND NOT EXISTS
              (SELECT 1 FROM treatments_sessionalert a WHERE a.session_id = s.id
               AND a.outcome = '') ORDER BY s.id""",
}


def session_in(database: Path, state: str, *, with_alert: bool | None = None) -> int:
    """A demo session of today in `state` (monitoring: with or without an open alert)."""
    (session_id,) = demo_row(database, SESSION_IN[with_alert], state)
    return int(str(session_id))


def sessions_screenshots(page: Page, base: str, database: Path) -> None:
    """As the nurse: Today, and a session at each step (the demo's day has every state)."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Today").click()
    expect(page.locator("#today tbody tr").first).to_be_visible()
    shoot(page, "30-today")
    for name, state, alert, ready in (
        ("31-session-check-in", "waiting", None, "#step-check-in"),
        ("32-session-dose", "dosing", None, "#dose"),
        ("33-session-flowsheet-alert", "monitoring", True, "#readings"),
        ("34-session-discharge", "monitoring", False, "#step-discharge"),
        ("35-session-signed-note", "signed", None, "#note"),
    ):
        page.goto(f"{base}/sessions/{session_in(database, state, with_alert=alert)}/")
        expect(page.locator(ready)).to_be_visible()
        shoot(page, name)
    page.goto(f"{base}/sessions/rems-forms/")
    shoot(page, "36-rems-worklist")


def take_screenshots(
    page: Page, base: str, browser: Browser, problems: list[str], database: Path
) -> None:
    nav = page.get_by_role("navigation", name="Main")

    page.goto(f"{base}/accounts/login/")
    shoot(page, "01-login")

    sign_in(page, base, "prescriber")
    shoot(page, "02-dashboard-prescriber")

    nav.get_by_role("link", name="Patients").click()
    expect(page.get_by_role("heading", name="Patients", exact=True)).to_be_visible()
    shoot(page, "03-patient-list")

    page.get_by_role("table").get_by_role("link").first.click()
    expect(page.get_by_role("region", name="Patient summary")).to_be_visible()
    for table_heading in ("Indications", "Current and past medications"):
        expect(page.get_by_role("heading", name=table_heading)).to_be_visible()
    expect(page.locator("table").first.locator("tbody code").first).to_be_visible()
    shoot(page, "04-chart-overview")

    page.get_by_role("navigation", name="Chart sections").get_by_role(
        "link", name="Weight & height"
    ).click()
    expect(page.get_by_role("link", name="Weight & height")).to_have_attribute(
        "aria-current", "page"
    )
    shoot(page, "05-chart-weights")
    weights_tab = page.url
    # A weight far from the last one is asked to be confirmed (not confirmed here: the demo's
    # weights stay as they are).
    latest = page.locator("table tbody tr").first.locator("td").nth(1).inner_text()
    page.get_by_label("Weight (kg)").fill(f"{float(latest) * 2.2046:.1f}")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_label("Yes, this weight is right: record it")).to_be_visible()
    shoot(page, "30-weight-confirm")
    page.goto(weights_tab)
    pk_screenshots(page, base)

    page.goto(f"{base}/patients/new/")
    page.get_by_label("Legal given name").fill("Imogen")
    page.get_by_label("Legal family name").fill("Fairweather")
    next_year = time.localtime().tm_year + 1
    page.get_by_label("Date of birth").fill(f"{next_year}-01-15")
    page.get_by_label("Sex").select_option(label="Female")
    page.get_by_label("Weight (kg)").fill("400")
    page.get_by_role("button", name="Register").click()
    expect(page.locator(".field-errors").first).to_be_visible()
    shoot(page, "06-register-validation-errors")
    measures_screenshots(page, base)
    screening_screenshots(page, base, database)
    ledger_screenshots(page, base, problems)
    plans_screenshots(page, base, database)
    sign_out(page, base)

    sign_in(page, base, "nurse")
    consent_screenshots(page, base, browser, problems, database)
    sessions_screenshots(page, base, database)
    sign_out(page, base)

    sign_in(page, base, "frontdesk")
    self_report_screenshot(page, base, browser, problems)
    sign_out(page, base)

    sign_in(page, base, "admin")
    nav.get_by_role("link", name="Staff").click()
    shoot(page, "07-staff-admin")
    page.goto(f"{base}/staff/roles/")
    shoot(page, "08-role-matrix")
    sign_out(page, base)

    sign_in(page, base, "auditor")
    nav.get_by_role("link", name="Audit trail").click()
    shoot(page, "09-audit-trail-auditor", full_page=False)
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("Monthly audit export")
    page.get_by_role("button", name="Create a token").click()
    expect(page.get_by_text("Your new token:")).to_be_visible()
    shoot(page, "10-api-tokens")
    sign_out(page, base)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with demo_server() as (base, database), sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        context = new_context(browser, problems, viewport=VIEWPORT)
        page = context.new_page()
        try:
            if "--sessions" in sys.argv:  # only the session pages
                sign_in(page, base, "nurse")
                sessions_screenshots(page, base, database)
            else:
                take_screenshots(page, base, browser, problems, database)
        finally:
            context.close()
            browser.close()
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    print(f"screenshots in {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
