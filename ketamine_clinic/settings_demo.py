"""Demo settings: the product with its demo data, served over plain HTTP on this machine.

The demo, and only the demo, lets staff log in without two-factor enrolment; every page then
shows a "demo" banner so that nobody mistakes it for a real clinic.
"""

from __future__ import annotations

import os

from .settings import *  # noqa: F403
from .settings import DATA_DIR, DATABASES

KETAMINE_CLINIC_DEMO = True
KETAMINE_CLINIC_REQUIRE_MFA = False
# The demo is served at http://127.0.0.1: cookies cannot be HTTPS-only there.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
SECURE_SSL_REDIRECT = False
if not os.environ.get("DATABASE_URL"):
    # Its own SQLite file (same WAL options as settings.py), apart from a real clinic's.
    # A new dict: settings.py's stays as it is for any other settings module that imports it.
    DATABASES = {"default": {**DATABASES["default"], "NAME": str(DATA_DIR / "demo.sqlite3")}}
