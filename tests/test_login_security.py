"""Two-factor for every staff role, rate limits, Argon2, idle timeout, cookies, CSP."""

from __future__ import annotations

import importlib
import time
from datetime import timedelta

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.contrib.sessions.models import Session
from django.test import override_settings
from django.utils import timezone

from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.audit.models import AuditEvent
from tests.conftest import PASSWORD, enrol_totp


def test_staff_without_totp_are_sent_to_enrolment_first(world, client):
    client.post("/accounts/login/", {"login": "nurse", "password": PASSWORD})
    response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    enrolment = client.get("/accounts/2fa/totp/activate/")
    assert enrolment.status_code == 200
    assert 'id="authenticator_secret"' in enrolment.content.decode()


def test_after_enrolment_the_pages_open(world, client):
    client.force_login(world.nurse)
    assert client.get("/patients/")["Location"] == "/accounts/2fa/totp/activate/"  # not yet
    enrol_totp(world.nurse)
    response = client.get("/patients/")
    assert response.status_code == 200
    assert response.templates[0].name == "patients/patient_list.html"
    assert "TH000001" in response.content.decode()  # her clinic's patient, listed


def test_password_alone_does_not_sign_in_an_enrolled_user(world, client):
    enrol_totp(world.nurse)
    response = client.post("/accounts/login/", {"login": "nurse", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/patients/").status_code == 302  # not signed in yet


def _signed_in_just_now(client, staff: StaffMember) -> None:
    """Sign `staff` in as if they had just confirmed their password.

    allauth guards two-factor settings with a recent confirmation ("reauthentication");
    without this record a deactivation would only be sent to the password page, and a test of
    the refusal could not fail.
    """
    client.force_login(staff)
    session = client.session
    session["account_authentication_methods"] = [
        {
            "method": "password",
            "at": time.time(),
            "username": staff.username,
            "reauthenticated": True,
        }
    ]
    session["account_authentication_methods_user"] = str(staff.pk)
    session.save()


def test_totp_cannot_be_switched_off(world, client):
    enrol_totp(world.nurse)
    _signed_in_just_now(client, world.nurse)
    response = client.post("/accounts/2fa/totp/deactivate/", {})
    assert response.status_code == 200  # the form again, with the refusal
    assert "You cannot deactivate two-factor authentication." in response.content.decode()
    assert Authenticator.objects.filter(user=world.nurse, type="totp").exists()


@override_settings(KETAMINE_CLINIC_REQUIRE_MFA=False, KETAMINE_CLINIC_DEMO=True)
def test_only_the_demo_lets_its_owner_switch_totp_off(world, client):
    """The same request as above does switch it off where two-factor is not required."""
    enrol_totp(world.nurse)
    _signed_in_just_now(client, world.nurse)
    response = client.post("/accounts/2fa/totp/deactivate/", {})
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=world.nurse, type="totp").exists()


def test_a_wrong_second_factor_code_is_recorded_as_a_failed_login(world, client):
    enrol_totp(world.nurse)
    response = client.post("/accounts/login/", {"login": "nurse", "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    response = client.post("/accounts/2fa/authenticate/", {"code": "000000x"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.actor == world.nurse  # the password was right: this account is at risk
    assert failed.detail == {"step": "two_factor", "type": "totp", "reauthentication": False}
    assert failed.ip == "127.0.0.1"
    assert not AuditEvent.objects.filter(action="auth.login").exists()


@override_settings(KETAMINE_CLINIC_REQUIRE_MFA=False, KETAMINE_CLINIC_DEMO=True)
def test_demo_settings_relax_two_factor_and_show_a_banner(world, client):
    client.force_login(world.nurse)
    response = client.get("/patients/")
    assert response.status_code == 200
    assert "DEMO" in response.content.decode()


def test_demo_settings_module():
    demo = importlib.import_module("ketamine_clinic.settings_demo")
    production = importlib.import_module("ketamine_clinic.settings")
    assert demo.KETAMINE_CLINIC_REQUIRE_MFA is False
    assert production.KETAMINE_CLINIC_REQUIRE_MFA is True
    assert production.KETAMINE_CLINIC_DEMO is False


def test_failed_logins_are_rate_limited(world, client):
    statuses = [
        client.post("/accounts/login/", {"login": "nurse", "password": f"wrong{i}"}).status_code
        for i in range(7)
    ]
    assert statuses == [200] * 7  # the form is shown again each time
    # After five failures for this username within 5 minutes, even the right password is
    # refused while the limit holds (allauth no longer even tries it).
    response = client.post("/accounts/login/", {"login": "nurse", "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 5
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_production_hashes_passwords_with_argon2(world):
    production = importlib.import_module("ketamine_clinic.settings")
    assert production.PASSWORD_HASHERS[0].endswith("Argon2idOwaspHasher")
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        staff = StaffMember.objects.get(username="nurse")
        staff.set_password("a fresh pass phrase")
        staff.save()
        assert identify_hasher(staff.password).algorithm == "argon2"
        # OWASP's Argon2id minimum: 19 MiB, 2 iterations, 1 lane (accounts/hashers.py).
        assert staff.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_idle_timeout_and_cookie_flags():
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.CSRF_COOKIE_SECURE is True


def test_idle_sessions_expire_after_15_minutes(world, login):
    client = login(world.nurse)
    response = client.get("/patients/")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"
    session = Session.objects.get(session_key=cookie.value)
    remaining = (session.expire_date - timezone.now()).total_seconds()
    assert 890 < remaining <= 900  # renewed by this request
    # 15 minutes without a request: the server no longer knows the session.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_security_headers_on_every_page(world, client):
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_forms_require_csrf(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/accounts/login/", {"login": "nurse", "password": PASSWORD})
    assert response.status_code == 403


def test_no_self_signup(client, db):
    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    assert "Sign Up Closed" in page.content.decode()
    assert 'name="password1"' not in page.content.decode()  # no form to fill in
    attempt = client.post(
        "/accounts/signup/",
        {
            "username": "walkin",
            "email": "w@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert "Sign Up Closed" in attempt.content.decode()
    assert not StaffMember.objects.filter(username="walkin").exists()


def test_health_answers_200_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


def test_health_answers_503_when_the_database_does_not(client, db, monkeypatch):
    from django.db import OperationalError, connection

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", broken_cursor)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"
