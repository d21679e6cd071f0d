"""Deployment behind a TLS proxy, and the small holes of issue #14 §4–5.

- Trusted proxies: X-Forwarded-For decides the client address (audit rows, sign-in and link
  rate limits) only when the peer is a configured proxy; from anyone else it is dropped.
- `Cache-Control: no-store` on every authenticated page, API answer and export.
- A fresh data directory, its database and its WAL are readable by their owner only.
- `check --deploy` with the production settings has nothing to say.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory, override_settings

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.common.http import client_ip
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from ketamine_clinic.cli import main; main()"]
PROXY = "10.0.0.5"


def _ip(remote: str, forwarded: str | None = None) -> str | None:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


def test_with_no_trusted_proxy_the_forwarded_header_is_ignored() -> None:
    assert _ip("203.0.113.9", "198.51.100.1") == "203.0.113.9"


@override_settings(TRUSTED_PROXIES=[PROXY, "192.168.0.0/24"])
def test_behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() -> None:
    assert _ip(PROXY, "198.51.100.1") == "198.51.100.1"
    # A client can put anything on the left; the proxies append on the right.
    assert _ip(PROXY, "1.2.3.4, 198.51.100.1") == "198.51.100.1"
    assert _ip(PROXY, "198.51.100.1, 192.168.0.7") == "198.51.100.1"
    assert _ip(PROXY, "garbage") == PROXY
    assert _ip(PROXY) == PROXY
    # Not from a proxy: the header is the client's own claim.
    assert _ip("203.0.113.9", "198.51.100.1") == "203.0.113.9"


@override_settings(TRUSTED_PROXIES=[PROXY])
def test_audit_rows_record_the_forwarded_address_only_from_a_trusted_proxy(world) -> None:
    cache.clear()
    trusted = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1")
    trusted.post("/accounts/login/", {"login": "nurse", "password": "wrong"})
    forged = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.2")
    forged.post("/accounts/login/", {"login": "nurse", "password": "wrong"})
    rows = AuditEvent.objects.filter(action="auth.login_failed").order_by("id")
    assert [r.ip for r in rows] == ["198.51.100.1", "203.0.113.9"]


@override_settings(TRUSTED_PROXIES=[PROXY])
def test_behind_a_proxy_one_clients_failures_do_not_lock_out_another(world) -> None:
    cache.clear()
    attacker = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.66")
    for i in range(12):
        attacker.post("/accounts/login/", {"login": f"nobody{i}", "password": "wrong"})
    locked = attacker.post("/accounts/login/", {"login": "admin", "password": PASSWORD})
    assert "Too many failed login attempts" in locked.content.decode()
    colleague = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    answer = colleague.post("/accounts/login/", {"login": "admin", "password": PASSWORD})
    assert "Too many failed login attempts" not in answer.content.decode()
    assert answer.status_code == 302


def test_forwarded_proto_from_an_untrusted_peer_does_not_make_a_request_secure(world) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https")
    response = client.get("/healthz")
    assert response.wsgi_request.is_secure() is False
    with override_settings(TRUSTED_PROXIES=["203.0.113.9"]):
        response = client.get("/healthz")
        assert response.wsgi_request.is_secure() is True


def test_pages_api_answers_and_exports_are_not_stored(world, login, token_for) -> None:
    client = login(world.auditor)
    for url in ("/", "/audit/", "/audit/export.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-store", url
    api = Client().get(f"/api/v1/patients/{world.patient1.pk}", **token_for(world.nurse))
    assert api.status_code == 200
    assert api["Cache-Control"] == "no-store"
    assert Client().get("/healthz").get("Cache-Control") != "no-store"


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=300
    )


def _production_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        KETAMINE_CLINIC_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="ketamine_clinic.settings",
        ALLOWED_HOSTS="clinic.example.org",
    )
    return env


def test_a_fresh_data_dir_and_its_database_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    done = _cli(_production_env(data_dir), "migrate", "--no-input", "-v", "0")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for path in data_dir.glob("ketamine-clinic.sqlite3*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((data_dir / "secret_key").stat().st_mode) == 0o600


@pytest.mark.parametrize("switched_off", [False, True])
def test_check_deploy_is_clean_with_the_production_settings(
    tmp_path: Path, switched_off: bool
) -> None:
    env = _production_env(tmp_path / "data")
    if switched_off:
        for name in ("SSL_REDIRECT", "HSTS_SUBDOMAINS", "HSTS_PRELOAD"):
            env[f"KETAMINE_CLINIC_{name}"] = "0"
    done = _cli(env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_the_production_settings_redirect_to_https_and_send_hsts(tmp_path: Path) -> None:
    env = _production_env(tmp_path / "data")
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " s.SECURE_HSTS_PRELOAD, s.TRUSTED_PROXIES)"
    )
    done = _cli(env, "shell", "-c", code)
    assert done.stdout.strip().splitlines()[-1] == "True 31536000 True True []"
