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
    # Minimum necessary (issue #14 §5): who treats no patient does not see why they are treated.
    assert {r for r in Role if Perm.CHART_CLINICAL_VIEW in MATRIX[r]} == {
        Role.PRESCRIBER,
        Role.NURSE,
    }
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
    assert patient_search(world.nurse, "Keller") == []
    assert patient_search(world.auditor, "") == []


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
    assert attempt.detail == {
        "reason": "record outside the actor's clinics",
        "permission": "chart.view",
        "object_type": "patient",
    }


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


def _front_desk_world(world):
    """Patient 1 with an indication, a medication, an allergy and an ineligible IV screening."""
    from ketamine_clinic.patients import services as patient_services
    from ketamine_clinic.screening import services as screening_services

    p1 = world.patient1
    patient_services.indication_add(actor=world.nurse, patient=p1, icd10_code="F33.2")
    patient_services.medication_add(
        actor=world.nurse,
        patient=p1,
        name="Lamotrigine 100 mg",
        ketamine_interaction_class="lamotrigine",
    )
    patient_services.patient_update(
        actor=world.nurse,
        patient=p1,
        changes={"allergies": "Penicillin (hives)", "escort_name": "Sam Moreno"},
    )
    screening_services.screening_record(
        actor=world.nurse,
        patient=p1,
        intake={
            "route": "iv",
            "age_years": 42,
            "systolic_bp": 124,
            "diastolic_bp": 78,
            "substance_use": "none",
            "failed_antidepressant_trials": 3,
            "depressive_indication": True,
            "conditions": ["psychosis_current"],
        },
    )
    return p1


INELIGIBLE = "The latest screening is ineligible: the patient may not be treated by this route."


def test_front_desk_sees_no_diagnosis_medication_allergy_or_screening_reason(
    world, login, client, token_for
):
    from ketamine_clinic.screening.services import NOT_CLEARED

    p1 = _front_desk_world(world)
    desk = token_for(world.frontdesk)
    chart = client.get(f"/api/v1/patients/{p1.pk}", **desk).json()
    assert chart["escort_name"] == "Sam Moreno" and chart["mrn"] == p1.mrn and chart["age"] >= 40
    assert {
        k: chart[k]
        for k in (
            "allergies",
            "no_known_drug_allergies",
            "latest_weight",
            "bmi",
            "indications",
            "medications",
        )
    } == dict.fromkeys(
        (
            "allergies",
            "no_known_drug_allergies",
            "latest_weight",
            "bmi",
            "indications",
            "medications",
        )
    )
    readiness = client.get(f"/api/v1/patients/{p1.pk}/readiness", **desk).json()
    iv = next(r for r in readiness if r["route"] == "iv")
    assert iv["ready"] is False
    assert iv["problems"] == [
        NOT_CLEARED,
        "No signed consent for this route: have the patient sign one.",
    ]

    nurse = token_for(world.nurse)
    chart = client.get(f"/api/v1/patients/{p1.pk}", **nurse).json()
    assert chart["allergies"] == "Penicillin (hives)"
    assert [i["icd10_code"] for i in chart["indications"]] == ["F33.2"]
    assert chart["latest_weight"]["weight_kg"] == "82.4"
    readiness = client.get(f"/api/v1/patients/{p1.pk}/readiness", **nurse).json()
    assert next(r for r in readiness if r["route"] == "iv")["problems"][0] == INELIGIBLE

    pages = login(world.frontdesk)
    for path in (f"/patients/{p1.pk}/", f"/screening/patients/{p1.pk}/"):
        body = pages.get(path).content.decode()
        for secret in ("F33.2", "Lamotrigine", "Penicillin", "82.4", "ineligible", "psychosis"):
            assert secret not in body, (path, secret)
    assert NOT_CLEARED in pages.get(f"/screening/patients/{p1.pk}/").content.decode()
    assert pages.get(f"/patients/{p1.pk}/weights/").status_code == 403
    assert "Sam Moreno" in pages.get(f"/patients/{p1.pk}/details/").content.decode()


def test_a_nurse_still_sees_the_clinical_chart(world, login):
    p1 = _front_desk_world(world)
    pages = login(world.nurse)
    chart = pages.get(f"/patients/{p1.pk}/").content.decode()
    for fact in ("F33.2", "Lamotrigine", "Penicillin", "82.4"):
        assert fact in chart, fact
    assert INELIGIBLE in pages.get(f"/screening/patients/{p1.pk}/").content.decode()
    assert pages.get(f"/patients/{p1.pk}/weights/").status_code == 200
