"""Each organisation's auditors see their own organisation's events, never another's.

Failed sign-ins are recorded with no actor (the password was wrong): the organisation of the
account the username names owns the event; a made-up username, or an unknown self-report
token, belongs to no organisation and is for the operator only (the command line).
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import call_command

from ketamine_clinic.accounts.models import Clinic, Organization
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.audit.reads import record_list_read
from ketamine_clinic.audit.selectors import AuditFilter, audit_events
from tests.conftest import make_staff


@pytest.fixture
def other(world):
    """A second organisation with its own clinic, auditor and nurse."""
    org = Organization.objects.create(name="Elsewhere Health", mrn_prefix="EH")
    clinic = Clinic.objects.create(organization=org, name="Harbour")
    return {
        "org": org,
        "clinic": clinic,
        "auditor": make_staff(org, "auditor_eh", clinic, "auditor"),
        "nurse": make_staff(org, "nurse_eh", clinic, "nurse"),
    }


def _failed(auditor) -> set[str]:
    return {
        e.actor_username for e in audit_events(auditor, AuditFilter(action=Action.LOGIN_FAILED))
    }


def test_a_failed_sign_in_belongs_to_the_organisation_of_the_account_it_names(world, other, client):
    client.post("/accounts/login/", {"login": "nurse", "password": "wrong"})
    client.post("/accounts/login/", {"login": "NURSE_EH", "password": "wrong"})
    client.post("/accounts/login/", {"login": "nurse2@example.org", "password": "wrong"})
    client.post("/accounts/login/", {"login": "nobody-here", "password": "wrong"})
    by_name = {e.actor_username: e for e in AuditEvent.objects.filter(action="auth.login_failed")}
    assert by_name["nurse"].organization == world.org
    assert by_name["NURSE_EH"].organization == other["org"]
    assert by_name["nurse2@example.org"].organization == world.org
    assert by_name["nobody-here"].organization is None
    assert all(e.actor is None and e.ip == "127.0.0.1" for e in by_name.values())

    assert _failed(world.auditor) == {"nurse", "nurse2@example.org"}
    assert _failed(other["auditor"]) == {"NURSE_EH"}


def test_the_dashboard_counts_only_the_organisations_own_failed_sign_ins(
    world, other, client, login
):
    for typed in ("nurse", "nurse_eh", "nurse_eh", "made-up", "also-made-up"):
        client.post("/accounts/login/", {"login": typed, "password": "wrong"})
    assert login(world.auditor).get("/").context["failed_logins"] == 1
    client.logout()
    assert login(other["auditor"]).get("/").context["failed_logins"] == 2


def test_the_audit_page_and_api_show_no_other_organisations_usernames_or_addresses(
    world, other, client, login, token_for
):
    client.post("/accounts/login/", {"login": "nurse_eh", "password": "wrong"})
    client.post("/accounts/login/", {"login": "typed-at-harbour", "password": "wrong"})
    body = login(world.auditor).get("/audit/", {"action": "auth.login_failed"}).content.decode()
    assert "nurse_eh" not in body and "typed-at-harbour" not in body
    assert "0 events" in body
    csv_body = b"".join(client.get("/audit/export.csv").streaming_content).decode()
    assert "nurse_eh" not in csv_body and "typed-at-harbour" not in csv_body
    api = client.get("/api/v1/audit-events?action=auth.login_failed", **token_for(world.auditor))
    assert api.json()["count"] == 0
    theirs = client.get(
        "/api/v1/audit-events?action=auth.login_failed", **token_for(other["auditor"])
    )
    assert [e["actor_username"] for e in theirs.json()["items"]] == ["nurse_eh"]


def test_unknown_self_report_tokens_are_for_the_operator_only(world, other, client):
    assert client.get("/r/" + "x" * 43 + "/").status_code == 404
    visit = AuditEvent.objects.get(action=Action.SELF_REPORT_INVALID)
    assert (visit.organization, visit.clinic, visit.patient) == (None, None, None)
    for auditor in (world.auditor, other["auditor"]):
        assert not audit_events(auditor, AuditFilter(action=Action.SELF_REPORT_INVALID)).exists()


def test_an_expired_link_visit_belongs_to_its_patients_clinic(world, other, client):
    from ketamine_clinic.measures import services

    issued = services.self_report_link_create(
        actor=world.nurse, patient=world.patient1, instrument_ids=["phq9"], email_to=""
    )
    services.self_report_link_revoke(actor=world.nurse, link=issued.link)
    assert client.get(f"/r/{issued.token}/").status_code == 404
    visit = AuditEvent.objects.get(action=Action.SELF_REPORT_INVALID)
    assert (visit.patient, visit.organization) == (world.patient1, world.org)
    seen = audit_events(world.auditor, AuditFilter(action=Action.SELF_REPORT_INVALID))
    assert list(seen) == [visit]
    assert not audit_events(
        other["auditor"], AuditFilter(action=Action.SELF_REPORT_INVALID)
    ).exists()


def test_the_operator_lists_the_events_of_no_organisation(world, other, client, capsys):
    client.post("/accounts/login/", {"login": "typed-by-someone", "password": "wrong"})
    client.post("/accounts/login/", {"login": "nurse", "password": "wrong"})
    call_command("audit", "list", "--no-organisation", "--json")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["action"], r["username"], r["ip"]) for r in lines] == [
        ("auth.login_failed", "typed-by-someone", "127.0.0.1")
    ]
    # The operator's reading is itself recorded (for the operator).
    search = AuditEvent.objects.get(action=Action.AUDIT_SEARCH)
    assert search.organization is None and search.detail["rows"] == 1


def test_the_patient_filter_finds_the_list_reads_that_named_the_patient(world, login, token_for):
    record_list_read(world.nurse, [world.patient1], action=Action.PATIENT_SEARCH)
    from ketamine_clinic.patients.services import patient_register

    third = patient_register(
        actor=world.nurse,
        clinic=world.clinic1,
        details={
            "legal_given_name": "Cara",
            "legal_family_name": "Diaz",
            "date_of_birth": date(1990, 1, 1),
            "sex": "female",
        },
    )
    record_list_read(world.nurse, [third, world.patient1], action=Action.PATIENT_SEARCH)
    record_list_read(world.nurse, [third], action=Action.PATIENT_SEARCH)
    mine = audit_events(world.auditor, AuditFilter(patient_id=world.patient1.pk))
    assert [e.detail.get("patients") for e in mine if e.action == "patient.search"] == [
        [world.patient1.pk, third.pk],
        [world.patient1.pk],
    ]
    assert {e.action for e in mine} == {"patient.search", "patient.create", "weight.record"}
    client = login(world.auditor)
    page = client.get("/audit/", {"patient": world.patient1.mrn}).content.decode()
    assert "4 events" in page
    api = client.get(
        f"/api/v1/audit-events?patient={world.patient1.pk}", **token_for(world.auditor)
    )
    assert api.json()["count"] == 5  # and the auditor's reading of the page, which showed them
    assert api.json()["items"][0]["action"] == "audit.search"
