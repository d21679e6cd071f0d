"""The permission matrix, enforced in views and queries; other clinics' patients are 404."""

from __future__ import annotations

import re

import pytest

from ketamine_clinic.accounts.access import can, clinics_where
from ketamine_clinic.accounts.permissions import MATRIX, PERM_LABELS, Perm, Role, role_allows
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.patients.selectors import patient_search


def test_the_matrix():
    assert MATRIX[Role.FRONT_DESK] == {
        Perm.CHART_VIEW,
        Perm.PATIENT_REGISTER,
        Perm.SELF_REPORT_SEND,
        Perm.CONSENT_COLLECT,
        Perm.SCHEDULE_VIEW,  # the front desk books sessions (issue #10), sees no dose
        Perm.SCHEDULE_BOOK,
    }
    assert (
        Perm.PLAN_MANAGE in MATRIX[Role.PRESCRIBER] and Perm.PLAN_MANAGE not in MATRIX[Role.NURSE]
    )
    assert MATRIX[Role.AUDITOR] == {Perm.AUDIT_VIEW, Perm.INVENTORY_VIEW}
    assert Perm.CHART_CLINICAL_EDIT in MATRIX[Role.NURSE]
    assert Perm.CHART_CLINICAL_EDIT in MATRIX[Role.PRESCRIBER]
    assert Perm.CHART_CLINICAL_EDIT not in MATRIX[Role.ADMIN]
    assert Perm.STAFF_MANAGE in MATRIX[Role.ADMIN]
    assert not role_allows("janitor", Perm.CHART_VIEW)


def test_the_readme_shows_the_matrix_as_it_is():
    """The README's role table has one row per permission, with the matrix's ticks."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    columns = [Role.ADMIN, Role.PRESCRIBER, Role.NURSE, Role.FRONT_DESK, Role.AUDITOR]
    rows = {}
    for line in readme.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 6 and set(cells[1:]) <= {"✔", "—"}:
            rows[cells[0]] = [cell == "✔" for cell in cells[1:]]
    assert rows == {PERM_LABELS[perm]: [perm in MATRIX[role] for role in columns] for perm in Perm}


def test_roles_hold_only_at_their_clinic(world):
    assert can(world.nurse, Perm.CHART_VIEW, world.clinic1)
    assert not can(world.nurse, Perm.CHART_VIEW, world.clinic2)
    assert list(clinics_where(world.nurse2, Perm.CHART_VIEW)) == [world.clinic2]
    assert not clinics_where(world.auditor, Perm.CHART_VIEW).exists()


def test_search_never_returns_another_clinics_patient(world):
    assert list(patient_search(world.nurse, "")) == [world.patient1]
    assert list(patient_search(world.nurse2, "")) == [world.patient2]
    assert not patient_search(world.nurse, "Keller").exists()
    assert not patient_search(world.auditor, "").exists()


def _without_csrf(body: bytes) -> bytes:
    """The page, less the per-response CSRF token of the sign-out form."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", body)


@pytest.mark.parametrize(
    "path",
    [
        "/patients/{id}/",
        "/patients/{id}/weights/",
        "/patients/{id}/details/",
        "/patients/{id}/edit/",
    ],
)
def test_another_clinics_chart_is_404_like_a_missing_one(world, login, path):
    client = login(world.nurse)
    foreign = client.get(path.format(id=world.patient2.pk))
    missing = client.get(path.format(id=999999))
    assert foreign.status_code == missing.status_code == 404
    assert _without_csrf(foreign.content) == _without_csrf(missing.content)
    assert not AuditEvent.objects.filter(action="chart.view", patient=world.patient2).exists()
    # The guess is on the record, for the other clinic's auditors to see.
    attempt = AuditEvent.objects.get(action="access.denied", actor=world.nurse)
    assert attempt.patient == world.patient2
    assert attempt.clinic == world.clinic2
    assert attempt.detail == {"reason": "patient outside the actor's clinics"}


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/patients/{id}/weights/new/", {"weight_kg": "70"}),
        ("/patients/{id}/indications/new/", {"icd10_code": "F33.2"}),
        ("/patients/{id}/medications/new/", {"name": "X", "ketamine_interaction_class": "none"}),
    ],
)
def test_writes_to_another_clinics_chart_are_404_and_write_nothing(world, login, path, data):
    client = login(world.prescriber)
    before = AuditEvent.objects.exclude(action="access.denied").count()
    assert client.post(path.format(id=world.patient2.pk), data).status_code == 404
    assert AuditEvent.objects.exclude(action="access.denied").count() == before
    assert AuditEvent.objects.filter(action="access.denied", patient=world.patient2).count() == 1
    assert world.patient2.weights.count() == 0
    assert world.patient2.indications.count() == 0


@pytest.mark.parametrize(
    ("username", "patients", "staff", "audit"),
    [
        ("admin", 200, 200, 200),
        ("prescriber", 200, 403, 403),
        ("nurse", 200, 403, 403),
        ("frontdesk", 200, 403, 403),
        ("auditor", 200, 403, 200),
    ],
)
def test_pages_by_role(world, login, username, patients, staff, audit):
    client = login(getattr(world, username))
    assert client.get("/patients/").status_code == patients
    assert client.get("/staff/").status_code == staff
    assert client.get("/audit/").status_code == audit


def test_auditor_lists_no_patients_and_cannot_open_a_chart(world, login):
    client = login(world.auditor)
    assert "0 patients" in client.get("/patients/").content.decode()
    assert client.get(f"/patients/{world.patient1.pk}/").status_code == 404


def test_front_desk_registers_but_cannot_edit_clinical_facts(world, login):
    client = login(world.frontdesk)
    chart = client.get(f"/patients/{world.patient1.pk}/").content.decode()
    assert "Add an indication" not in chart
    form = client.get(f"/patients/{world.patient1.pk}/edit/").content.decode()
    assert 'name="allergies"' not in form
    assert (
        client.post(
            f"/patients/{world.patient1.pk}/indications/new/", {"icd10_code": "F33.2"}
        ).status_code
        == 403
    )


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(f"/patients/{world.patient1.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
