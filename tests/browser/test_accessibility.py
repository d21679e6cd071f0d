"""Zero axe-core findings on every page a person can reach (issue #16, "Accessibility").

Loads the demo clinic, signs in through the login page as each demo role, and crawls: from the
dashboard it follows every same-origin link (GET only; never sign-out, downloads or the API),
one page per URL shape (numbers in the path replaced by a placeholder, query values ignored),
and runs axe-core on each page. Then the patient's own pages (self-report, consent signing,
intake, their "done" and "not valid" pages) on a 390 px phone. Any violation of any impact
fails the test, listed by rule, page and element. New pages are covered as soon as a link
reaches them.

axe-core comes from npm, pinned in tests/browser/axe/package-lock.json (`make browser`
installs it). The product's Content-Security-Policy forbids injected script, so only this
test's browser contexts bypass it (`bypass_csp=True`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError

from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.measures import services as measures_services
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.screening import services as screening_services
from ketamine_clinic.web import demo_data

pytestmark = pytest.mark.browser

AXE_JS = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ROLES = ("admin", "prescriber", "nurse", "frontdesk", "auditor")
MAX_PAGES_PER_ROLE = 100
# Links that are not pages to check: signing out, files, the JSON/FHIR APIs.
NOT_A_PAGE = re.compile(
    r"/accounts/logout/|/api/|/fhir/|/static/|/download/|\.(csv|pdf|ics|json|svg|png)$"
    r"|[?&]format=(csv|pdf|json)"
)
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "en-US",
}
RUN_AXE = """async () => {
    const result = await axe.run(document, {resultTypes: ["violations"]});
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        targets: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
    }));
}"""


def url_shape(url: str) -> str:
    """Return the URL's shape: its path with every number a placeholder, and its query's keys."""
    parts = urlsplit(url)
    path = re.sub(r"\d+", "<n>", parts.path)
    keys = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
    return path + ("?" + "&".join(keys) if keys else "")


def test_url_shape_replaces_numbers_and_query_values():
    assert url_shape("http://x/patients/16/weights/?page=2") == "/patients/<n>/weights/?page"
    assert url_shape("http://x/patients/3/weights/?page=9") == "/patients/<n>/weights/?page"
    assert url_shape("http://x/sessions/4/vitals/") == "/sessions/<n>/vitals/"
    assert url_shape("http://x/audit/?b=1&a=2") == "/audit/?a&b"
    assert url_shape("http://x/") == "/"


class Findings:
    """axe violations and broken pages, by rule id."""

    def __init__(self) -> None:
        self.by_rule: dict[str, list[str]] = defaultdict(list)
        self.pages = 0

    def check(self, page: Page, who: str) -> None:
        """Run axe-core on the page as it is and keep what it finds."""
        if not page.evaluate("() => typeof axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE_JS))
        self.pages += 1
        for violation in page.evaluate(RUN_AXE):
            self.by_rule[f"{violation['id']} ({violation['impact']})"].append(
                f"{who} {urlsplit(page.url).path}: {violation['help']} — "
                + "; ".join(violation["targets"])
            )

    def broken(self, who: str, url: str, status: int) -> None:
        self.by_rule[f"HTTP {status}"].append(f"{who} {url}")

    def report(self) -> str:
        lines = [f"{len(self.by_rule)} kinds of finding on {self.pages} pages:"]
        for rule, where in sorted(self.by_rule.items()):
            lines.append(f"- {rule}: {len(where)} page(s)")
            lines.extend(f"    {w}" for w in where[:6])
        return "\n".join(lines)


@pytest.fixture
def demo(transactional_db: None, settings) -> None:
    """The demo clinic, with staff signing in by password only (as in the demo)."""
    if not AXE_JS.exists():
        pytest.fail("axe-core is not installed: run `make browser` (npm ci in tests/browser/axe)")
    settings.KETAMINE_CLINIC_REQUIRE_MFA = False
    settings.KETAMINE_CLINIC_DEMO = True  # the demo banner is on every page, as in the demo
    demo_data.seed()


@pytest.fixture
def context_factory(browser: Browser) -> Iterator[object]:
    contexts: list[BrowserContext] = []

    def make(**options: object) -> BrowserContext:
        context = browser.new_context(bypass_csp=True, **options)  # type: ignore[arg-type]
        context.set_default_timeout(15_000)
        # In every page before its own scripts (faster than a script tag per page).
        context.add_init_script(path=str(AXE_JS))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo_data.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(f"{base}/")


def same_origin_links(page: Page, base: str) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    links = []
    for href in hrefs:
        url = urldefrag(urljoin(page.url, href)).url
        if url.startswith(base + "/") and not NOT_A_PAGE.search(url.removeprefix(base)):
            links.append(url)
    return links


def crawl(page: Page, base: str, who: str, findings: Findings) -> set[str]:
    """Visit one page of each URL shape reachable from the dashboard; return the shapes."""
    queue = [f"{base}/"]
    seen = {url_shape(queue[0])}
    visited = 0
    while queue:
        url = queue.pop(0)
        if visited == MAX_PAGES_PER_ROLE:  # raise the cap rather than leave pages unchecked
            findings.by_rule["crawl cap reached"].append(f"{who}: {len(queue) + 1} not visited")
            break
        visited += 1
        try:
            response = page.goto(url)
        except PlaywrightError as error:  # a file, not a page
            if "Download is starting" in error.message:
                continue
            raise
        assert response is not None
        if response.status >= 500 or response.status == 405:
            findings.broken(who, url, response.status)
            continue
        if "text/html" not in (response.header_value("content-type") or ""):
            continue
        findings.check(page, who)
        for link in same_origin_links(page, base):
            if url_shape(link) not in seen:
                seen.add(url_shape(link))
                queue.append(link)
    return seen


def test_every_page_of_every_role_has_no_axe_findings(live_server, demo, context_factory):
    base = live_server.url
    findings = Findings()

    anonymous = context_factory(viewport={"width": 1280, "height": 900}, locale="en-US")
    login = anonymous.new_page()
    login.goto(f"{base}/accounts/login/")
    findings.check(login, "anonymous")
    username_focused = login.evaluate("() => document.activeElement.name") == "login"
    login.get_by_label("Username").fill("nobody")
    login.get_by_label("Password").fill("not the password")
    login.get_by_role("button", name="Sign In").click()
    expect(login.get_by_role("alert")).to_be_visible()
    findings.check(login, "anonymous, refused")

    shapes: dict[str, set[str]] = {}
    for username in ROLES:
        context = context_factory(viewport={"width": 1280, "height": 900}, locale="en-US")
        page = context.new_page()
        sign_in(page, base, username)
        findings.check(page, username)  # the dashboard with its "signed in" message
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        shapes[username] = crawl(page, base, username, findings)

    phone = context_factory(**PHONE).new_page()
    for url in patient_pages(base):
        response = phone.goto(url)
        assert response is not None and response.status in (200, 404), url
        findings.check(phone, "patient (phone)")

    # The crawl reached the pages each role works on (a crawl that found nothing proves nothing).
    assert "/patients/<n>/" in shapes["prescriber"]
    assert "/sessions/<n>/" in shapes["nurse"]
    assert "/inventory/containers/<n>/" in shapes["auditor"]
    assert "/audit/" in shapes["auditor"]
    assert "/staff/" in shapes["admin"]
    assert findings.pages > 60
    assert not findings.by_rule, findings.report()
    assert username_focused, "the login page starts with the cursor in Username"


def patient_pages(base: str) -> list[str]:
    """The pages a patient opens on their phone, from links the front desk makes."""
    frontdesk = StaffMember.objects.get(username="frontdesk")
    prescriber = StaffMember.objects.get(username="prescriber")
    patient = Patient.objects.filter(clinic__name=demo_data.CLINIC_1).order_by("pk").first()
    assert patient is not None
    report = measures_services.self_report_link_create(
        actor=frontdesk, patient=patient, instrument_ids=["phq9"]
    ).token
    intake = screening_services.intake_link_create(actor=frontdesk, patient=patient).token
    template = screening_services.current_templates(patient.clinic)[0]
    consent = screening_services.consent_link_create(
        actor=prescriber, patient=patient, template=template
    ).token
    return [
        f"{base}/r/{report}/",
        f"{base}/r/{report}/phq9/",
        f"{base}/r/done/",
        f"{base}/r/not-a-valid-link/",
        f"{base}/c/{consent}/",
        f"{base}/c/done/",
        f"{base}/i/{intake}/",
        f"{base}/i/done/",
    ]
