"""Playwright fixtures for the browser tests: Debian's Chromium, driven headless.

Browser downloads are not possible here, so Playwright launches the system Chromium
(/usr/bin/chromium, or CHROMIUM_PATH).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.browser.chromium import CHROMIUM_ARGS, find_chromium


def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip("Chromium is not installed (run `make browser`)")
    return path


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """One Chromium for the browser tests, stopped after them (not kept for the session)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    path = chromium_path()
    # Playwright's sync API keeps an asyncio loop running in the test thread; Django's ORM
    # calls from that thread (fixtures, assertions) would otherwise be refused as "async
    # unsafe". Only while Playwright runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=path, headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def product_consent_texts(transactional_db: None) -> None:
    """Put back the product's consent texts: a data migration makes them, and an earlier
    transactional test's flush removes them."""
    from ketamine_clinic.screening.consent_texts import TEXTS
    from ketamine_clinic.screening.models import ConsentTemplate

    for kind, (title, body) in TEXTS.items():
        ConsentTemplate.objects.get_or_create(
            clinic=None, kind=kind, version=1, defaults={"title": title, "body": body}
        )


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
