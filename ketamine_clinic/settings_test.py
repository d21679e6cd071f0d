"""Test settings: production settings, with a throw-away data dir and fast static files."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("KETAMINE_CLINIC_DATA_DIR", tempfile.mkdtemp(prefix="kc-test-"))

from .settings import *  # noqa: F403

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Only the test suite may empty the database (between browser tests).
KETAMINE_CLINIC_ALLOW_FLUSH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
WHITENOISE_USE_FINDERS = True
# Argon2 is the production hasher (tested in tests/test_login.py with the real settings);
# most tests create staff by the dozen, so they hash with a fast one.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
# The test client speaks plain HTTP; the production value is checked by tests/test_deploy.py.
SECURE_SSL_REDIRECT = False
