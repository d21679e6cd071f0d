"""The console entry point and its commands."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from ketamine_clinic.accounts.models import ApiToken, Clinic, Membership, StaffMember
from ketamine_clinic.accounts.services import staff_for_api_token, token_hash
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.web import demo_data


def test_create_token_prints_a_working_token_alone_on_its_line(world):
    out = io.StringIO()
    call_command("create_token", "nurse", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    token = lines[0]
    assert token.startswith("kc_")
    assert len(token) >= 40  # 32 random bytes, URL-safe base64
    assert staff_for_api_token(token) == world.nurse
    stored = ApiToken.objects.get(staff=world.nurse)
    assert stored.token_hash == token_hash(token)
    assert token not in (stored.prefix, stored.name)
    assert AuditEvent.objects.get(action="api_token.create").channel == "cli"


def test_create_token_for_an_unknown_user_fails_clearly(db):
    with pytest.raises(CommandError, match="No staff member named 'ghost'"):
        call_command("create_token", "ghost")


def test_seed_demo_loads_the_demo_clinic(db):
    call_command("seed_demo", stdout=io.StringIO())
    assert Clinic.objects.count() == 2
    assert set(StaffMember.objects.values_list("username", flat=True)) == {
        "admin",
        "prescriber",
        "nurse",
        "frontdesk",
        "auditor",
        "nurse2",
    }
    nurse2 = Membership.objects.get(staff__username="nurse2")
    assert nurse2.clinic.name == demo_data.CLINIC_2
    assert 30 <= Patient.objects.count() <= 50
    assert Patient.objects.filter(clinic__name=demo_data.CLINIC_2).count() == 10
    # varied indications, and every patient has a weight and a primary indication
    codes = {i.icd10_code for p in Patient.objects.all() for i in p.indications.all()}
    assert len(codes) >= 6
    assert all(p.weights.exists() for p in Patient.objects.all())
    assert all(p.indications.filter(is_primary=True).count() == 1 for p in Patient.objects.all())
    with pytest.raises(CommandError, match="already has an organisation"):
        call_command("seed_demo", stdout=io.StringIO())


def test_console_entry_point_runs_django_commands_with_our_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ketamine_clinic.cli", "check", "--deploy", "--fail-level", "ERROR"],
        capture_output=True,
        text=True,
        env={"KETAMINE_CLINIC_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_demo_flag_runs_a_command_against_the_demo_database(tmp_path):
    """`ketamine-clinic --demo …` reaches var/demo.sqlite3, not the clinic's own database."""
    env = {"KETAMINE_CLINIC_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ketamine_clinic.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )

    assert run("--demo", "migrate", "--verbosity", "0").returncode == 0
    created = run(
        "--demo",
        "shell",
        "-c",
        "from ketamine_clinic.accounts.models import StaffMember; "
        "StaffMember.objects.create(username='nurse', is_active=True)",
    )
    assert created.returncode == 0, created.stderr

    demo = run("--demo", "create-token", "nurse")
    plain = run("create-token", "nurse")

    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.strip().startswith("kc_")
    assert (tmp_path / "demo.sqlite3").exists()
    assert plain.returncode != 0  # the clinic's own database knows no demo nurse
    assert "no such table" in plain.stderr or "No staff member" in plain.stderr
