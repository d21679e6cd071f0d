"""The JSON API at /api/v1/: tokens, scoping to the caller's clinics, validation and auditing.

Every request goes through Django's test client with a real bearer token; every write is
checked in the database and in the audit trail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Max
from django.forms.models import model_to_dict
from django.test import Client
from django.utils import timezone

from ketamine_clinic.accounts.models import ApiToken, Clinic, Membership, StaffMember
from ketamine_clinic.accounts.services import (
    api_token_create,
    api_token_revoke,
    staff_deactivate,
)
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.patients import selectors as patient_selectors
from ketamine_clinic.patients import services as patient_services
from ketamine_clinic.patients.models import Indication, Patient, WeightMeasurement

API = "/api/v1"
F332_TITLE = "Major depressive disorder, recurrent severe without psychotic features"


# --- helpers ---------------------------------------------------------------------------------


@dataclass
class Api:
    """The test client, with one bearer token per staff member of the world."""

    client: Client
    headers: dict[str, dict[str, str]]

    def get(self, staff: StaffMember, path: str, **params: Any):
        return self.client.get(API + path, params, **self.headers[staff.username])

    def post(self, staff: StaffMember, path: str, data: Any):
        return self.client.post(
            API + path, data, content_type="application/json", **self.headers[staff.username]
        )

    def patch(self, staff: StaffMember, path: str, data: Any):
        return self.client.patch(
            API + path, data, content_type="application/json", **self.headers[staff.username]
        )


@pytest.fixture
def api(world, token_for, client) -> Api:
    """Issue a token to each of the six staff members up front.

    That writes six `api_token.create` audit events (no clinic), all visible to the clinic-1
    auditor, before any test request; the audit counts below include them.
    """
    staff = [world.admin, world.prescriber, world.nurse, world.frontdesk, world.auditor]
    headers = {s.username: token_for(s) for s in [*staff, world.nurse2]}
    return Api(client=client, headers=headers)


def error_fields(response) -> list[str]:
    """Return the `field` of each error of a 422 body, checking the shape of every error."""
    errors = response.json()["errors"]
    assert isinstance(errors, list)
    for error in errors:
        assert set(error) == {"field", "message"}
        assert error["message"]
    return [error["field"] for error in errors]


@dataclass(frozen=True)
class Snapshot:
    patients: int
    weights: int
    indications: int
    audit_events: int
    next_mrn_number: int
    last_event_id: int


def snapshot(world) -> Snapshot:
    world.org.refresh_from_db()
    return Snapshot(
        patients=Patient.objects.count(),
        weights=WeightMeasurement.objects.count(),
        indications=Indication.objects.count(),
        audit_events=AuditEvent.objects.count(),
        next_mrn_number=world.org.next_mrn_number,
        last_event_id=AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0,
    )


def assert_nothing_stored_since(world, before: Snapshot) -> None:
    """No chart row was written; an audit row recording a refusal (access.denied) may be."""
    after = snapshot(world)
    assert replace(after, audit_events=0, last_event_id=0) == replace(
        before, audit_events=0, last_event_id=0
    )
    new_actions = AuditEvent.objects.filter(pk__gt=before.last_event_id).values_list(
        "action", flat=True
    )
    assert set(new_actions) <= {"access.denied"}


def patient_row(patient: Patient) -> dict[str, Any]:
    """The stored patient row, minus the timestamp that every save touches."""
    row = model_to_dict(Patient.objects.get(pk=patient.pk))
    row.pop("updated_at", None)
    return row


def today() -> date:
    return timezone.localdate()


def years_ago(years: int) -> date:
    day = today()
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def tomorrow_iso() -> str:
    return (today() + timedelta(days=1)).isoformat()


def born_121_years_ago_iso() -> str:
    return years_ago(121).isoformat()


def in_an_hour_iso() -> str:
    return (timezone.now() + timedelta(hours=1)).isoformat()


def resolve(overrides: dict[str, Any]) -> dict[str, Any]:
    """Evaluate the date-relative values of a parametrized case when the test runs."""
    return {k: v() if callable(v) else v for k, v in overrides.items()}


def new_patient(world, **overrides: Any) -> dict[str, Any]:
    return {
        "clinic_id": world.clinic1.pk,
        "legal_given_name": "Carmen",
        "legal_family_name": "Ortiz",
        "date_of_birth": "1990-05-17",
        "sex": "female",
        **overrides,
    }


def register(world, family_name: str) -> Patient:
    """Register another clinic-1 patient directly through the service."""
    return patient_services.patient_register(
        actor=world.nurse,
        clinic=world.clinic1,
        details={
            "legal_given_name": "Test",
            "legal_family_name": family_name,
            "date_of_birth": date(1970, 1, 1),
            "sex": "unknown",
        },
    )


def events(action: str, **filters: Any):
    return AuditEvent.objects.filter(action=action, **filters)


# --- authentication --------------------------------------------------------------------------

ENDPOINTS: list[tuple[str, str]] = [
    ("get", "/me"),
    ("get", "/patients"),
    ("post", "/patients"),
    ("get", "/patients/{id}"),
    ("patch", "/patients/{id}"),
    ("post", "/patients/{id}/weights"),
    ("post", "/patients/{id}/indications"),
    ("get", "/audit-events"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_answers_401_without_an_authorization_header(world, client, method, path):
    before = snapshot(world)
    url = API + path.format(id=world.patient1.pk)
    if method == "get":
        response = client.get(url)
    else:
        response = getattr(client, method)(url, {}, content_type="application/json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}
    assert snapshot(world) == before


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer kc_this-token-was-never-issued",
        "Bearer ",
        "Token kc_this-token-was-never-issued",
        "Basic bnVyc2U6Y29ycmVjdCBob3JzZQ==",
    ],
)
def test_an_unknown_token_or_other_scheme_is_401(world, client, authorization):
    response = client.get(f"{API}/me", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_a_token_differing_in_one_character_is_401(world, client):
    issued = api_token_create(staff=world.nurse, name="laptop")
    tampered = issued.token[:-1] + ("A" if issued.token[-1] != "A" else "B")
    assert client.get(f"{API}/me", HTTP_AUTHORIZATION=f"Bearer {issued.token}").status_code == 200
    assert client.get(f"{API}/me", HTTP_AUTHORIZATION=f"Bearer {tampered}").status_code == 401


def test_a_revoked_token_is_401(world, client):
    issued = api_token_create(staff=world.nurse, name="laptop")
    header = {"HTTP_AUTHORIZATION": f"Bearer {issued.token}"}
    assert client.get(f"{API}/me", **header).status_code == 200

    api_token_revoke(actor=world.nurse, api_token=issued.api_token)

    response = client.get(f"{API}/me", **header)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}
    assert client.get(f"{API}/patients", **header).status_code == 401
    revoke = events("api_token.revoke").get()
    assert revoke.actor == world.nurse
    assert revoke.object_id == str(issued.api_token.pk)


def test_a_token_of_a_deactivated_account_is_401_even_if_the_token_was_not_revoked(world, client):
    issued = api_token_create(staff=world.nurse, name="laptop")
    header = {"HTTP_AUTHORIZATION": f"Bearer {issued.token}"}
    assert client.get(f"{API}/me", **header).status_code == 200

    StaffMember.objects.filter(pk=world.nurse.pk).update(is_active=False)

    assert ApiToken.objects.get(pk=issued.api_token.pk).revoked_at is None
    response = client.get(f"{API}/patients", **header)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_deactivating_the_last_role_closes_the_account_and_its_token_is_401(world, client):
    issued = api_token_create(staff=world.nurse, name="laptop")
    header = {"HTTP_AUTHORIZATION": f"Bearer {issued.token}"}
    membership = Membership.objects.get(staff=world.nurse, clinic=world.clinic1)

    staff_deactivate(actor=world.admin, membership=membership)

    assert client.get(f"{API}/me", **header).status_code == 401
    assert client.get(f"{API}/patients/{world.patient1.pk}", **header).status_code == 401
    assert ApiToken.objects.get(pk=issued.api_token.pk).revoked_at is not None
    assert not StaffMember.objects.get(pk=world.nurse.pk).is_active


def test_a_token_is_stored_only_as_its_sha256(world):
    issued = api_token_create(staff=world.nurse, name="laptop")
    row = ApiToken.objects.get(pk=issued.api_token.pk)

    assert row.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert row.prefix == issued.token[:10]
    assert len(issued.token) > 40
    for field in ApiToken._meta.concrete_fields:
        assert issued.token not in str(getattr(row, field.attname)), field.name


def test_using_a_token_stamps_last_used_at(world, client):
    issued = api_token_create(staff=world.nurse, name="laptop")
    assert ApiToken.objects.get(pk=issued.api_token.pk).last_used_at is None

    client.get(f"{API}/me", HTTP_AUTHORIZATION=f"Bearer {issued.token}")

    last_used = ApiToken.objects.get(pk=issued.api_token.pk).last_used_at
    assert last_used is not None
    assert timezone.now() - last_used < timedelta(minutes=1)


# --- /me -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "role", "permissions"),
    [
        (
            "admin",
            "admin",
            [
                "audit.view",
                "chart.view",
                "inventory.adjust",
                "inventory.record",
                "inventory.settings",
                "inventory.view",
                "measures.schedule",
                "patient.register",
                "plans.protocols",
                "plans.schedule_view",
                "screening.rules",
                "staff.manage",
            ],
        ),
        (
            "prescriber",
            "prescriber",
            [
                "alerts.acknowledge",
                "chart.clinical_edit",
                "chart.clinical_view",
                "chart.view",
                "consent.collect",
                "inventory.adjust",
                "inventory.record",
                "inventory.settings",
                "inventory.view",
                "measures.enter",
                "measures.schedule",
                "measures.send",
                "measures.view",
                "patient.register",
                "plans.book",
                "plans.manage",
                "plans.protocols",
                "plans.schedule_view",
                "plans.view",
                "screening.enter",
                "screening.review",
                "screening.rules",
                "screening.view",
                "session.override",
                "session.readiness",
                "session.record",
                "session.view",
            ],
        ),
        (
            "nurse",
            "nurse",
            [
                "chart.clinical_edit",
                "chart.clinical_view",
                "chart.view",
                "consent.collect",
                "inventory.record",
                "inventory.view",
                "measures.enter",
                "measures.send",
                "measures.view",
                "patient.register",
                "plans.book",
                "plans.schedule_view",
                "plans.view",
                "screening.enter",
                "screening.view",
                "session.readiness",
                "session.record",
                "session.view",
            ],
        ),
        (
            "frontdesk",
            "front_desk",
            [
                "chart.view",
                "consent.collect",
                "measures.send",
                "patient.register",
                "plans.book",
                "plans.schedule_view",
            ],
        ),
        (
            "auditor",
            "auditor",
            [
                "audit.view",
                "inventory.view",
            ],
        ),
    ],
)
def test_me_names_the_token_owner_with_role_and_permissions_from_the_matrix(
    world, api, username, role, permissions
):
    staff = getattr(world, username)
    response = api.get(staff, "/me")
    assert response.status_code == 200
    assert response.json() == {
        "username": username,
        "name": f"{username.capitalize()} Tester",
        "email": f"{username}@example.org",
        "memberships": [
            {
                "clinic_id": world.clinic1.pk,
                "clinic": "North",
                "role": role,
                "permissions": permissions,
            }
        ],
    }


def test_me_lists_every_active_membership_and_leaves_out_ended_ones(world, api):
    Membership.objects.create(staff=world.nurse, clinic=world.clinic2, role="front_desk")
    east = Clinic.objects.create(organization=world.org, name="East")
    Membership.objects.create(staff=world.nurse, clinic=east, role="nurse", is_active=False)

    memberships = api.get(world.nurse, "/me").json()["memberships"]

    assert sorted((m["clinic"], m["clinic_id"], m["role"]) for m in memberships) == [
        ("North", world.clinic1.pk, "nurse"),
        ("South", world.clinic2.pk, "front_desk"),
    ]


# --- GET /patients ---------------------------------------------------------------------------


def test_patient_list_holds_only_the_callers_clinics(world, api):
    nurse_page = api.get(world.nurse, "/patients").json()
    nurse2_page = api.get(world.nurse2, "/patients").json()

    assert nurse_page["count"] == 1
    assert [p["mrn"] for p in nurse_page["items"]] == ["TH000001"]
    assert nurse_page["items"][0] == {
        "id": world.patient1.pk,
        "clinic_id": world.clinic1.pk,
        "mrn": "TH000001",
        "legal_given_name": "Alice",
        "legal_family_name": "Moreno",
        "preferred_name": "",
        "date_of_birth": "1984-03-07",
        "sex": "female",
    }
    assert nurse2_page["count"] == 1
    assert [p["mrn"] for p in nurse2_page["items"]] == ["TH000002"]


def test_an_auditor_sees_no_patients(world, api):
    response = api.get(world.auditor, "/patients", q="Moreno")
    assert response.status_code == 200
    assert response.json() == {"count": 0, "limit": 50, "offset": 0, "items": []}


@pytest.mark.parametrize(
    "query",
    ["Moreno", "moreno", "Alice Moreno", "TH000001", "th000001", "1984-03-07", "03/07/1984"],
)
def test_search_finds_by_name_mrn_or_date_of_birth(world, api, query):
    register(world, "Morales")  # another clinic-1 patient the searches must not match
    page = api.get(world.nurse, "/patients", q=query).json()
    assert page["count"] == 1
    assert [p["id"] for p in page["items"]] == [world.patient1.pk]


@pytest.mark.parametrize("query", ["Keller", "TH000002", "1975-11-30"])
def test_search_never_reaches_into_another_clinic(world, api, query):
    page = api.get(world.nurse, "/patients", q=query).json()
    assert page == {"count": 0, "limit": 50, "offset": 0, "items": []}
    # ...while the clinic-2 nurse finds the same patient with the same words
    page2 = api.get(world.nurse2, "/patients", q=query).json()
    assert [p["id"] for p in page2["items"]] == [world.patient2.pk]


def test_patient_list_pages_with_limit_and_offset(world, api):
    extra = [register(world, name) for name in ("Baker", "Chen", "Diaz", "Evans")]
    ids = [world.patient1.pk, *[p.pk for p in extra]]  # listed in id order

    first = api.get(world.nurse, "/patients", limit=2).json()
    last = api.get(world.nurse, "/patients", limit=2, offset=4).json()
    beyond = api.get(world.nurse, "/patients", limit=2, offset=10).json()

    assert (first["count"], first["limit"], first["offset"]) == (5, 2, 0)
    assert [p["id"] for p in first["items"]] == ids[:2]
    assert (last["count"], last["offset"]) == (5, 4)
    assert [p["id"] for p in last["items"]] == ids[4:]
    assert beyond["count"] == 5
    assert beyond["items"] == []


def test_patient_list_pages_hold_1_to_200_from_offset_0(world, api):
    register(world, "Baker")
    tiny = api.get(world.nurse, "/patients", limit=1, offset=0).json()
    widest = api.get(world.nurse, "/patients", limit=200).json()
    assert (tiny["limit"], tiny["offset"], len(tiny["items"])) == (1, 0, 1)
    assert (widest["limit"], len(widest["items"])) == (200, 2)
    refused = api.get(world.nurse, "/patients", limit=0, offset=-1)
    assert refused.status_code == 422
    assert sorted(error_fields(refused)) == ["limit", "offset"]
    assert error_fields(api.get(world.nurse, "/patients", limit=201)) == ["limit"]


def test_a_non_integer_limit_is_422_naming_limit(world, api):
    response = api.get(world.nurse, "/patients", limit="all")
    assert response.status_code == 422
    assert error_fields(response) == ["limit"]


def test_a_search_writes_one_patient_search_audit_event(world, api):
    api.get(world.nurse, "/patients", q="Moreno")

    event = events("patient.search").get()
    assert event.actor == world.nurse
    assert event.actor_username == "nurse"
    assert event.role == "nurse"
    assert event.detail == {"query": "Moreno", "patients": [world.patient1.pk]}
    assert event.channel == "api"
    assert event.ip == "127.0.0.1"
    assert event.patient is None


def test_listing_without_a_query_is_audited_too(world, api):
    """A list is a read of names, MRNs and birth dates: a stolen token paging through it
    leaves a trace."""
    api.get(world.nurse, "/patients")
    api.get(world.nurse, "/patients", q="   ")
    listed = events("patient.search").order_by("pk")
    assert [(e.actor, e.clinic, e.detail, e.channel) for e in listed] == [
        (world.nurse, world.clinic1, {"query": "", "patients": [world.patient1.pk]}, "api"),
        (world.nurse, world.clinic1, {"query": "", "patients": [world.patient1.pk]}, "api"),
    ]
    assert not api.get(world.auditor, "/patients").json()["items"]
    assert not events("patient.search", actor=world.auditor).exists()  # no clinic to list


# --- POST /patients --------------------------------------------------------------------------


def test_registering_issues_the_next_mrn_and_returns_the_chart_with_bmi(world, api):
    response = api.post(
        world.nurse, "/patients", new_patient(world, weight_kg=70.0, height_cm=175.0)
    )

    assert response.status_code == 201
    body = response.json()
    patient = Patient.objects.get(pk=body["id"])
    assert body["mrn"] == patient.mrn == "TH000003"
    assert body["clinic_id"] == patient.clinic_id == world.clinic1.pk
    assert (patient.legal_given_name, patient.legal_family_name) == ("Carmen", "Ortiz")
    assert patient.date_of_birth == date(1990, 5, 17)
    assert patient.sex == "female"
    assert patient.created_by == world.nurse
    assert body["latest_weight"]["weight_kg"] == "70.0"
    assert body["latest_weight"]["height_cm"] == "175.0"
    assert body["bmi"] == "22.9"  # 70 / 1.75² = 22.86
    weight = WeightMeasurement.objects.get(patient=patient)
    assert (weight.weight_kg, weight.height_cm) == (Decimal("70.0"), Decimal("175.0"))
    assert weight.recorded_by == world.nurse
    world.org.refresh_from_db()
    assert world.org.next_mrn_number == 4


def test_registering_writes_patient_create_and_weight_record_events(world, api):
    body = api.post(
        world.nurse, "/patients", new_patient(world, weight_kg=70.0, height_cm=175.0)
    ).json()

    create = events("patient.create", patient_id=body["id"]).get()
    assert create.actor == world.nurse
    assert create.role == "nurse"
    assert create.clinic == world.clinic1
    assert create.channel == "api"
    assert (create.object_type, create.object_id) == ("patient", str(body["id"]))
    assert create.changes == {
        "mrn": [None, "TH000003"],
        "legal_given_name": [None, "Carmen"],
        "legal_family_name": [None, "Ortiz"],
        "date_of_birth": [None, "1990-05-17"],
        "sex": [None, "female"],
    }
    weight = events("weight.record", patient_id=body["id"]).get()
    assert weight.actor == world.nurse
    assert weight.channel == "api"
    assert weight.changes == {"weight_kg": [None, "70.0"], "height_cm": [None, "175.0"]}


def test_registering_without_a_weight_leaves_weight_and_bmi_empty(world, api):
    body = api.post(world.nurse, "/patients", new_patient(world)).json()
    assert body["latest_weight"] is None
    assert body["bmi"] is None
    assert not events("weight.record", patient_id=body["id"]).exists()


@pytest.mark.parametrize("username", ["admin", "prescriber", "nurse", "frontdesk"])
def test_every_role_that_registers_patients_may_create_one(world, api, username):
    response = api.post(getattr(world, username), "/patients", new_patient(world))
    assert response.status_code == 201
    assert Patient.objects.get(pk=response.json()["id"]).created_by.username == username


def test_front_desk_may_not_register_allergies(world, api):
    before = snapshot(world)
    response = api.post(
        world.frontdesk, "/patients", new_patient(world, allergies="Penicillin (rash)")
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "Your role does not allow this (chart.clinical_edit)."
    denied = events("access.denied").get()
    assert denied.actor == world.frontdesk
    assert denied.clinic == world.clinic1
    assert denied.detail == {"permission": "chart.clinical_edit"}
    after = snapshot(world)
    assert after.patients == before.patients
    assert after.audit_events == before.audit_events + 1  # only the refusal


def test_an_auditor_cannot_register_a_patient_422_on_clinic_id(world, api):
    before = snapshot(world)
    response = api.post(world.auditor, "/patients", new_patient(world))
    assert response.status_code == 422
    assert error_fields(response) == ["clinic_id"]
    assert response.json()["errors"][0]["message"] == "No such clinic among yours."
    assert snapshot(world) == before


def test_a_clinic1_nurse_cannot_register_at_clinic2(world, api):
    before = snapshot(world)
    response = api.post(world.nurse, "/patients", new_patient(world, clinic_id=world.clinic2.pk))
    assert response.status_code == 422
    assert error_fields(response) == ["clinic_id"]
    assert snapshot(world) == before
    assert not Patient.objects.filter(legal_family_name="Ortiz").exists()


def test_a_supplied_mrn_is_normalised_and_the_sequence_skips_it(world, api):
    imported = api.post(world.nurse, "/patients", new_patient(world, mrn=" th000003 ")).json()
    issued = api.post(world.nurse, "/patients", new_patient(world)).json()
    assert imported["mrn"] == "TH000003"
    assert issued["mrn"] == "TH000004"


def test_a_refused_registration_does_not_use_up_an_mrn(world, api):
    refused = api.post(world.nurse, "/patients", new_patient(world, email="not-an-email"))
    accepted = api.post(world.nurse, "/patients", new_patient(world))
    assert refused.status_code == 422
    assert accepted.json()["mrn"] == "TH000003"


@pytest.mark.parametrize(
    ("weight_kg", "height_cm"), [(25, None), (350, None), (70, 100), (70, 250), (25.0, 250.0)]
)
def test_measurements_on_the_edges_of_the_plausible_range_are_accepted(
    world, api, weight_kg, height_cm
):
    payload = new_patient(world, weight_kg=weight_kg)
    if height_cm is not None:
        payload["height_cm"] = height_cm
    response = api.post(world.nurse, "/patients", payload)
    assert response.status_code == 201
    stored = WeightMeasurement.objects.get(patient_id=response.json()["id"])
    assert stored.weight_kg == Decimal(str(weight_kg))
    assert stored.height_cm == (None if height_cm is None else Decimal(str(height_cm)))


def test_a_date_of_birth_exactly_120_years_ago_is_accepted(world, api):
    response = api.post(
        world.nurse, "/patients", new_patient(world, date_of_birth=years_ago(120).isoformat())
    )
    assert response.status_code == 201
    assert response.json()["age"] == 120


BAD_REGISTRATIONS = [
    pytest.param({"date_of_birth": tomorrow_iso}, "date_of_birth", id="born-tomorrow"),
    pytest.param({"date_of_birth": born_121_years_ago_iso}, "date_of_birth", id="born-121y-ago"),
    pytest.param({"weight_kg": 24.9}, "weight_kg", id="weight-24.9"),
    pytest.param({"weight_kg": 350.1}, "weight_kg", id="weight-350.1"),
    pytest.param({"weight_kg": 70.25}, "weight_kg", id="weight-two-decimals"),
    pytest.param({"weight_kg": 70, "height_cm": 99}, "height_cm", id="height-99"),
    pytest.param({"weight_kg": 70, "height_cm": 251}, "height_cm", id="height-251"),
    pytest.param({"height_cm": 170}, "weight_kg", id="height-without-weight"),
    pytest.param({"favourite_colour": "teal"}, "favourite_colour", id="unknown-field"),
    pytest.param({"date_of_birth": "yesterday"}, "date_of_birth", id="date-of-birth-as-word"),
    pytest.param({"weight_kg": "heavy"}, "weight_kg", id="weight-as-word"),
    pytest.param({"clinic_id": "North"}, "clinic_id", id="clinic-as-name"),
    pytest.param({"legal_family_name": "x" * 101}, "legal_family_name", id="name-101-chars"),
    pytest.param({"legal_family_name": ""}, "legal_family_name", id="name-empty"),
    pytest.param({"sex": "f"}, "sex", id="sex-not-in-value-set"),
    pytest.param({"mrn": "TH000001"}, "mrn", id="duplicate-mrn"),
    pytest.param({"mrn": "th000002"}, "mrn", id="mrn-of-other-clinic-same-org"),
    pytest.param({"email": "alice-at-example"}, "email", id="invalid-email"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_REGISTRATIONS)
def test_bad_registration_is_422_naming_the_field_and_writes_nothing(world, api, overrides, field):
    before = snapshot(world)
    response = api.post(world.nurse, "/patients", new_patient(world, **resolve(overrides)))
    assert response.status_code == 422
    assert response.json()["detail"] in {"Invalid request.", "Invalid data."}
    assert error_fields(response) == [field]
    assert snapshot(world) == before


def test_a_registration_missing_required_fields_names_each_of_them(world, api):
    before = snapshot(world)
    response = api.post(world.nurse, "/patients", {"clinic_id": world.clinic1.pk})
    assert response.status_code == 422
    assert sorted(error_fields(response)) == [
        "date_of_birth",
        "legal_family_name",
        "legal_given_name",
        "sex",
    ]
    assert snapshot(world) == before


# --- GET /patients/{id} ----------------------------------------------------------------------


def test_chart_detail_of_an_own_clinic_patient(world, api):
    p1 = world.patient1
    patient_services.indication_add(
        actor=world.nurse, patient=p1, icd10_code="F33.2", treatment_resistant=True
    )
    medication = patient_services.medication_add(
        actor=world.nurse,
        patient=p1,
        name="Lorazepam",
        ketamine_interaction_class="benzodiazepine",
        dose_and_frequency="1 mg at night",
        started_on=date(2024, 1, 15),
    )
    patient_services.care_team_add(
        actor=world.nurse, patient=p1, staff=world.prescriber, responsibility="treating prescriber"
    )

    response = api.get(world.nurse, f"/patients/{p1.pk}")

    assert response.status_code == 200
    body = response.json()
    now = today()
    expected_age = now.year - 1984 - ((now.month, now.day) < (3, 7))
    assert set(body) == {
        "id",
        "clinic_id",
        "mrn",
        "legal_given_name",
        "legal_family_name",
        "preferred_name",
        "date_of_birth",
        "sex",
        "age",
        "phone",
        "email",
        "address",
        "emergency_contact_name",
        "emergency_contact_relationship",
        "emergency_contact_phone",
        "escort_name",
        "escort_phone",
        "allergies",
        "no_known_drug_allergies",
        "latest_weight",
        "bmi",
        "indications",
        "medications",
        "care_team",
    }
    assert body["id"] == p1.pk
    assert body["mrn"] == "TH000001"
    assert body["date_of_birth"] == "1984-03-07"
    assert body["age"] == expected_age
    assert body["latest_weight"]["weight_kg"] == "82.4"
    assert body["latest_weight"]["height_cm"] == "170.0"
    assert body["bmi"] == "28.5"  # 82.4 / 1.70² = 28.51
    indication = Indication.objects.get(patient=p1)
    assert body["indications"] == [
        {
            "id": indication.pk,
            "icd10_code": "F33.2",
            "description": F332_TITLE,
            "treatment_resistant": True,
            "is_primary": False,
            "noted_on": today().isoformat(),
        }
    ]
    assert body["medications"] == [
        {
            "id": medication.pk,
            "name": "Lorazepam",
            "dose_and_frequency": "1 mg at night",
            "ketamine_interaction_class": "benzodiazepine",
            "started_on": "2024-01-15",
            "stopped_on": None,
        }
    ]
    assert body["care_team"] == [
        {
            "staff_username": "prescriber",
            "staff_name": "Prescriber Tester",
            "responsibility": "treating prescriber",
        }
    ]


def test_opening_a_chart_writes_a_chart_view_event_on_the_api_channel(world, api):
    api.get(world.nurse, f"/patients/{world.patient1.pk}")

    event = events("chart.view").get()
    assert event.actor == world.nurse
    assert event.role == "nurse"
    assert event.clinic == world.clinic1
    assert event.patient == world.patient1
    assert (event.object_type, event.object_id) == ("patient", str(world.patient1.pk))
    assert event.channel == "api"
    assert event.ip == "127.0.0.1"


def test_another_clinics_patient_and_a_missing_one_are_the_same_404(world, api):
    missing_id = Patient.objects.order_by("-pk").first().pk + 1000

    other_clinic = api.get(world.nurse, f"/patients/{world.patient2.pk}")
    missing = api.get(world.nurse, f"/patients/{missing_id}")

    assert other_clinic.status_code == missing.status_code == 404
    assert other_clinic.json() == missing.json() == {"detail": "Not found."}
    assert other_clinic.content == missing.content
    assert not events("chart.view").exists()


@pytest.mark.parametrize("patient_id", ["-1", "0", "99999999999999999999"])
def test_out_of_range_patient_ids_are_404(world, api, patient_id):
    response = api.get(world.nurse, f"/patients/{patient_id}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_reaching_for_another_clinics_patient_keeps_its_refusal_row(world, api):
    """The chart read is one transaction that a 404 rolls back; the refusal is written apart."""
    response = api.get(world.nurse, f"/patients/{world.patient2.pk}")

    assert response.status_code == 404
    refusal = events("access.denied").get()
    assert (refusal.actor, refusal.patient, refusal.clinic) == (
        world.nurse,
        world.patient2,
        world.clinic2,
    )
    assert refusal.channel == "api"


def test_a_chart_answer_that_fails_leaves_no_chart_view_row(world, api, monkeypatch):
    """The audit row commits with the answer: no answer, no row."""

    def broken(*args, **kwargs):
        raise RuntimeError("the answer could not be built")

    monkeypatch.setattr(patient_selectors, "chart_summary", broken)
    api.client.raise_request_exception = False

    response = api.get(world.nurse, f"/patients/{world.patient1.pk}")

    assert response.status_code == 500
    assert not events("chart.view").exists()


def test_reading_a_chart_takes_a_fixed_number_of_queries(world, api, django_assert_max_num_queries):
    """Token, patient, role, audit row, the role's clinical view (minimum necessary), weight,
    indications, medications, care team.

    The budget does not grow with the size of the chart (no query per row); a savepoint pair
    stands for the transaction here, as each test runs inside one.
    """
    p1 = world.patient1
    for code in ("F33.2", "F43.10"):
        patient_services.indication_add(actor=world.nurse, patient=p1, icd10_code=code)
    for name in ("Lamotrigine 100 mg", "Lamotrigine 25 mg"):
        patient_services.medication_add(
            actor=world.nurse, patient=p1, name=name, ketamine_interaction_class="lamotrigine"
        )
    for member in (world.prescriber, world.nurse):
        patient_services.care_team_add(
            actor=world.nurse, patient=p1, staff=member, responsibility="care"
        )
    api.get(world.nurse, f"/patients/{p1.pk}")  # the token's first use records its time

    with django_assert_max_num_queries(11):
        response = api.get(world.nurse, f"/patients/{p1.pk}")

    assert response.status_code == 200
    assert len(response.json()["care_team"]) == 2
    assert len(response.json()["medications"]) == 2


def test_an_auditor_cannot_open_charts(world, api):
    response = api.get(world.auditor, f"/patients/{world.patient1.pk}")
    assert response.status_code == 404
    assert not events("chart.view").exists()


# --- PATCH /patients/{id} --------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent(world, api):
    before = patient_row(world.patient1)

    response = api.patch(
        world.nurse,
        f"/patients/{world.patient1.pk}",
        {"preferred_name": "Ali", "phone": "+1 555 0100"},
    )

    assert response.status_code == 200
    assert response.json()["preferred_name"] == "Ali"
    assert response.json()["phone"] == "+1 555 0100"
    after = patient_row(world.patient1)
    assert {k for k in after if after[k] != before[k]} == {"preferred_name", "phone"}
    assert (after["preferred_name"], after["phone"]) == ("Ali", "+1 555 0100")


def test_patch_audit_event_holds_old_and_new_values(world, api):
    api.patch(
        world.nurse,
        f"/patients/{world.patient1.pk}",
        {
            "legal_family_name": "Moreno-Vidal",
            "date_of_birth": "1984-03-08",
            "allergies": "Latex",
            "no_known_drug_allergies": False,  # unchanged: left out of `changes`
        },
    )

    event = events("patient.update").get()
    assert event.actor == world.nurse
    assert event.role == "nurse"
    assert event.patient == world.patient1
    assert event.clinic == world.clinic1
    assert event.channel == "api"
    assert event.changes == {
        "legal_family_name": ["Moreno", "Moreno-Vidal"],
        "date_of_birth": ["1984-03-07", "1984-03-08"],
        "allergies": ["", "Latex"],
    }


def test_a_patch_that_changes_nothing_writes_no_update_event(world, api):
    response = api.patch(
        world.nurse, f"/patients/{world.patient1.pk}", {"legal_family_name": "Moreno"}
    )
    empty = api.patch(world.nurse, f"/patients/{world.patient1.pk}", {})
    assert response.status_code == empty.status_code == 200
    assert not events("patient.update").exists()
    # Each answer is the whole chart: each is recorded as a chart view.
    assert events("chart.view", actor=world.nurse, patient=world.patient1).count() == 2
    assert empty.json()["legal_family_name"] == "Moreno"


def test_a_patch_answer_is_recorded_as_a_chart_view_after_the_update(world, api):
    api.patch(world.nurse, f"/patients/{world.patient1.pk}", {"phone": "555-0142"})
    update, view = list(AuditEvent.objects.filter(patient=world.patient1).order_by("pk"))[-2:]
    assert (update.action, view.action) == ("patient.update", "chart.view")
    assert update.correlation_id == view.correlation_id  # one request
    assert view.channel == "api"


def test_front_desk_may_patch_contact_details(world, api):
    response = api.patch(
        world.frontdesk, f"/patients/{world.patient1.pk}", {"escort_name": "Ben Moreno"}
    )
    assert response.status_code == 200
    assert Patient.objects.get(pk=world.patient1.pk).escort_name == "Ben Moreno"
    assert events("patient.update").get().changes == {"escort_name": ["", "Ben Moreno"]}


@pytest.mark.parametrize(
    "changes",
    [
        {"allergies": "Penicillin"},
        {"no_known_drug_allergies": True},
        {"phone": "+1 555 0100", "allergies": "Penicillin"},
    ],
)
def test_front_desk_may_not_patch_allergies(world, api, changes):
    before = patient_row(world.patient1)

    response = api.patch(world.frontdesk, f"/patients/{world.patient1.pk}", changes)

    assert response.status_code == 403
    assert response.json()["detail"] == "Your role does not allow this (chart.clinical_edit)."
    assert patient_row(world.patient1) == before
    assert not events("patient.update").exists()
    denied = events("access.denied").get()
    assert denied.actor == world.frontdesk
    assert denied.role == "front_desk"
    assert denied.patient == world.patient1
    assert denied.clinic == world.clinic1
    assert denied.detail == {"permission": "chart.clinical_edit"}
    assert denied.channel == "api"


def test_patching_another_clinics_patient_is_404_and_changes_nothing(world, api):
    row_before = patient_row(world.patient2)
    before = snapshot(world)

    response = api.patch(world.nurse, f"/patients/{world.patient2.pk}", {"phone": "0"})

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert patient_row(world.patient2) == row_before
    assert_nothing_stored_since(world, before)


def test_an_auditor_cannot_patch_a_patient(world, api):
    row_before = patient_row(world.patient1)
    before = snapshot(world)
    response = api.patch(world.auditor, f"/patients/{world.patient1.pk}", {"phone": "0"})
    assert response.status_code == 404
    assert patient_row(world.patient1) == row_before
    assert_nothing_stored_since(world, before)


BAD_PATCHES = [
    pytest.param({"date_of_birth": tomorrow_iso}, "date_of_birth", id="born-tomorrow"),
    pytest.param({"date_of_birth": born_121_years_ago_iso}, "date_of_birth", id="born-121y-ago"),
    pytest.param({"favourite_colour": "teal"}, "favourite_colour", id="unknown-field"),
    pytest.param({"mrn": "TH000099"}, "mrn", id="mrn-is-not-editable"),
    pytest.param({"clinic_id": 2}, "clinic_id", id="clinic-is-not-editable"),
    pytest.param({"weight_kg": 70}, "weight_kg", id="weight-has-its-own-endpoint"),
    pytest.param({"date_of_birth": "yesterday"}, "date_of_birth", id="date-of-birth-as-word"),
    pytest.param({"no_known_drug_allergies": "maybe"}, "no_known_drug_allergies", id="bool-word"),
    pytest.param({"legal_family_name": "x" * 101}, "legal_family_name", id="name-101-chars"),
    pytest.param({"legal_family_name": ""}, "legal_family_name", id="name-empty"),
    pytest.param({"legal_family_name": None}, "legal_family_name", id="name-null"),
    pytest.param({"sex": "F"}, "sex", id="sex-not-in-value-set"),
    pytest.param({"email": "alice@"}, "email", id="invalid-email"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_PATCHES)
def test_bad_patch_is_422_naming_the_field_and_changes_nothing(world, api, changes, field):
    row_before = patient_row(world.patient1)
    before = snapshot(world)

    response = api.patch(world.nurse, f"/patients/{world.patient1.pk}", resolve(changes))

    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert patient_row(world.patient1) == row_before
    assert snapshot(world) == before


def test_a_patch_with_one_bad_field_changes_none_of_the_others(world, api):
    row_before = patient_row(world.patient1)
    response = api.patch(
        world.nurse,
        f"/patients/{world.patient1.pk}",
        {"phone": "+1 555 0100", "email": "not-an-email"},
    )
    assert response.status_code == 422
    assert error_fields(response) == ["email"]
    assert patient_row(world.patient1) == row_before


# The API must hold a patient to the same rules as the web form: JSON null for a text field
# (a NOT NULL column), a name of spaces, and "no known drug allergies" next to a listed allergy
# are each refused by name.


@pytest.mark.parametrize("field", ["phone", "allergies", "preferred_name"])
def test_null_for_a_text_field_is_422_not_a_server_error(world, api, client, field):
    """The column is NOT NULL; the model check skips None for blank=True fields."""
    client.raise_request_exception = False
    row_before = patient_row(world.patient1)
    before = snapshot(world)

    response = api.patch(world.nurse, f"/patients/{world.patient1.pk}", {field: None})

    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert patient_row(world.patient1) == row_before
    assert snapshot(world) == before


def test_null_for_a_text_field_on_registration_is_422_not_a_server_error(world, api, client):
    client.raise_request_exception = False
    before = snapshot(world)

    response = api.post(world.nurse, "/patients", new_patient(world, email=None))

    assert response.status_code == 422
    assert error_fields(response) == ["email"]
    assert snapshot(world) == before


def test_a_whitespace_only_family_name_is_refused_like_an_empty_one(world, api):
    """The web form strips it to "" and refuses it; so does the API."""
    before = snapshot(world)
    response = api.post(world.nurse, "/patients", new_patient(world, legal_family_name="   "))
    assert response.status_code == 422
    assert error_fields(response) == ["legal_family_name"]
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("stored_allergies", "changes"),
    [
        ("", {"allergies": "Penicillin (rash)", "no_known_drug_allergies": True}),
        ("Penicillin (rash)", {"no_known_drug_allergies": True}),
    ],
)
def test_no_known_drug_allergies_cannot_be_set_while_allergies_are_listed(
    world, api, stored_allergies, changes
):
    """Patient.clean refuses NKDA with allergies listed, on every path."""
    Patient.objects.filter(pk=world.patient1.pk).update(allergies=stored_allergies)
    row_before = patient_row(world.patient1)

    response = api.patch(world.nurse, f"/patients/{world.patient1.pk}", changes)

    assert response.status_code == 422
    assert "no_known_drug_allergies" in error_fields(response)
    assert patient_row(world.patient1) == row_before
    assert not events("patient.update").exists()


# --- POST /patients/{id}/weights -------------------------------------------------------------


def test_recording_a_weight_with_height_updates_the_chart(world, api):
    response = api.post(
        world.nurse,
        f"/patients/{world.patient1.pk}/weights",
        {"weight_kg": 80.0, "height_cm": 171.0},
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"measured_at", "weight_kg", "height_cm"}
    assert (body["weight_kg"], body["height_cm"]) == ("80.0", "171.0")
    row = WeightMeasurement.objects.filter(patient=world.patient1).order_by("-id").first()
    assert row is not None
    assert (row.weight_kg, row.height_cm, row.recorded_by) == (
        Decimal("80.0"),
        Decimal("171.0"),
        world.nurse,
    )
    assert timezone.now() - row.measured_at < timedelta(minutes=1)
    event = events("weight.record", object_id=str(row.pk)).get()
    assert event.actor == world.nurse
    assert event.patient == world.patient1
    assert event.channel == "api"
    assert event.changes == {"weight_kg": [None, "80.0"], "height_cm": [None, "171.0"]}
    chart = api.get(world.nurse, f"/patients/{world.patient1.pk}").json()
    assert chart["latest_weight"]["weight_kg"] == "80.0"
    assert chart["bmi"] == "27.4"  # 80 / 1.71² = 27.36


def test_a_weight_without_height_uses_the_last_known_height_for_bmi(world, api):
    response = api.post(world.nurse, f"/patients/{world.patient1.pk}/weights", {"weight_kg": 85.0})
    assert response.status_code == 201
    assert response.json()["height_cm"] is None
    chart = api.get(world.nurse, f"/patients/{world.patient1.pk}").json()
    assert chart["latest_weight"]["weight_kg"] == "85.0"
    assert chart["bmi"] == "29.4"  # 85 / 1.70² = 29.41


def test_an_older_measurement_does_not_replace_the_latest_weight(world, api):
    last_month = (timezone.now() - timedelta(days=30)).isoformat()
    response = api.post(
        world.nurse,
        f"/patients/{world.patient1.pk}/weights",
        {"weight_kg": 90.0, "measured_at": last_month},
    )
    assert response.status_code == 201
    chart = api.get(world.nurse, f"/patients/{world.patient1.pk}").json()
    assert chart["latest_weight"]["weight_kg"] == "82.4"
    assert chart["bmi"] == "28.5"


@pytest.mark.parametrize(
    "payload",
    [
        {"weight_kg": 25},
        {"weight_kg": 350},
        {"weight_kg": 70, "height_cm": 100},
        {"weight_kg": 70, "height_cm": 250},
    ],
)
def test_weights_and_heights_on_the_range_edges_are_recorded(world, api, payload):
    # Far from the patient's 82.4 kg: confirmed (tests/test_weight_confirmation.py).
    payload = {**payload, "confirm_jump": True}
    response = api.post(world.nurse, f"/patients/{world.patient1.pk}/weights", payload)
    assert response.status_code == 201
    row = WeightMeasurement.objects.filter(patient=world.patient1).order_by("-id").first()
    assert row is not None
    assert row.weight_kg == Decimal(payload["weight_kg"])
    assert row.height_cm == (Decimal(payload["height_cm"]) if "height_cm" in payload else None)


BAD_WEIGHTS = [
    pytest.param({"weight_kg": 24.9}, "weight_kg", id="weight-24.9"),
    pytest.param({"weight_kg": 350.1}, "weight_kg", id="weight-350.1"),
    pytest.param({"weight_kg": 70, "height_cm": 99}, "height_cm", id="height-99"),
    pytest.param({"weight_kg": 70, "height_cm": 251}, "height_cm", id="height-251"),
    pytest.param({"weight_kg": "heavy"}, "weight_kg", id="weight-as-word"),
    pytest.param({"height_cm": 170}, "weight_kg", id="no-weight"),
    pytest.param({"weight_kg": 70, "bmi": 24}, "bmi", id="unknown-field"),
    pytest.param({"weight_kg": 70, "measured_at": in_an_hour_iso}, "measured_at", id="future"),
]


@pytest.mark.parametrize(("payload", "field"), BAD_WEIGHTS)
def test_a_bad_weight_is_422_naming_the_field_and_writes_nothing(world, api, payload, field):
    before = snapshot(world)
    response = api.post(world.nurse, f"/patients/{world.patient1.pk}/weights", resolve(payload))
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert snapshot(world) == before


def test_a_measurement_time_without_utc_offset_is_refused_by_name(world, api, client):
    """A time without its offset is ambiguous: refused, not guessed (nor a server error)."""
    client.raise_request_exception = False
    before = snapshot(world)
    response = api.post(
        world.nurse,
        f"/patients/{world.patient1.pk}/weights",
        {"weight_kg": 80.0, "measured_at": "2024-01-01T10:00:00"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "measured_at",
            "message": "Give the time with its UTC offset, e.g. 2026-11-26T09:30:00Z.",
        }
    ]
    assert snapshot(world) == before


@pytest.mark.parametrize("username", ["frontdesk", "admin"])
def test_roles_without_clinical_edit_cannot_record_a_weight(world, api, username):
    staff = getattr(world, username)
    before = snapshot(world)

    response = api.post(staff, f"/patients/{world.patient1.pk}/weights", {"weight_kg": 80.0})

    assert response.status_code == 403
    assert response.json()["detail"] == "Your role does not allow this (chart.clinical_edit)."
    denied = events("access.denied").get()
    assert denied.actor == staff
    assert denied.patient == world.patient1
    assert denied.detail == {"permission": "chart.clinical_edit"}
    after = snapshot(world)
    assert after.weights == before.weights
    assert after.audit_events == before.audit_events + 1


def test_recording_a_weight_for_another_clinics_patient_is_404(world, api):
    before = snapshot(world)
    response = api.post(world.nurse, f"/patients/{world.patient2.pk}/weights", {"weight_kg": 80})
    assert response.status_code == 404
    assert_nothing_stored_since(world, before)


# --- POST /patients/{id}/indications ---------------------------------------------------------


def test_an_indication_code_is_normalised_and_described_from_the_catalogue(world, api):
    response = api.post(
        world.nurse, f"/patients/{world.patient1.pk}/indications", {"icd10_code": "f332"}
    )

    assert response.status_code == 201
    body = response.json()
    indication = Indication.objects.get(patient=world.patient1)
    assert body == {
        "id": indication.pk,
        "icd10_code": "F33.2",
        "description": F332_TITLE,
        "treatment_resistant": False,
        "is_primary": False,
        "noted_on": today().isoformat(),
    }
    assert indication.icd10_code == "F33.2"
    assert indication.description == F332_TITLE
    assert indication.recorded_by == world.nurse
    assert indication.clinic == world.clinic1
    event = events("indication.add").get()
    assert event.actor == world.nurse
    assert event.patient == world.patient1
    assert (event.object_type, event.object_id) == ("indication", str(indication.pk))
    assert event.channel == "api"
    assert event.changes == {
        "icd10_code": [None, "F33.2"],
        "description": [None, F332_TITLE],
        "treatment_resistant": [None, "False"],
        "is_primary": [None, "False"],
    }


def test_a_new_primary_indication_demotes_the_previous_one(world, api):
    url = f"/patients/{world.patient1.pk}/indications"
    api.post(world.nurse, url, {"icd10_code": "F33.2", "is_primary": True})
    api.post(world.nurse, url, {"icd10_code": "F43.12", "is_primary": True})

    chart = api.get(world.nurse, f"/patients/{world.patient1.pk}").json()
    assert [(i["icd10_code"], i["is_primary"]) for i in chart["indications"]] == [
        ("F43.12", True),
        ("F33.2", False),
    ]


def test_treatment_resistance_is_accepted_for_a_depressive_disorder(world, api):
    response = api.post(
        world.nurse,
        f"/patients/{world.patient1.pk}/indications",
        {"icd10_code": "F33.2", "treatment_resistant": True},
    )
    assert response.status_code == 201
    assert Indication.objects.get(patient=world.patient1).treatment_resistant is True


def test_an_uncatalogued_code_is_accepted_with_a_description(world, api):
    response = api.post(
        world.nurse,
        f"/patients/{world.patient1.pk}/indications",
        {"icd10_code": "f4001", "description": "Agoraphobia with panic disorder"},
    )
    assert response.status_code == 201
    assert response.json()["icd10_code"] == "F40.01"
    assert response.json()["description"] == "Agoraphobia with panic disorder"


BAD_INDICATIONS = [
    pytest.param({"icd10_code": "ABC"}, "icd10_code", id="malformed-code"),
    pytest.param({"icd10_code": ""}, "icd10_code", id="empty-code"),
    pytest.param({"icd10_code": "F4001"}, "description", id="uncatalogued-without-description"),
    pytest.param(
        {"icd10_code": "F41.1", "treatment_resistant": True},
        "treatment_resistant",
        id="resistant-anxiety",
    ),
    pytest.param({"icd10_code": "F33.2", "noted_on": tomorrow_iso}, "noted_on", id="noted-future"),
    pytest.param({"icd10_code": "F33.2", "severity": "high"}, "severity", id="unknown-field"),
    pytest.param({"description": "Depression"}, "icd10_code", id="no-code"),
]


@pytest.mark.parametrize(("payload", "field"), BAD_INDICATIONS)
def test_a_bad_indication_is_422_naming_the_field_and_writes_nothing(world, api, payload, field):
    before = snapshot(world)
    response = api.post(world.nurse, f"/patients/{world.patient1.pk}/indications", resolve(payload))
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert snapshot(world) == before


def test_the_same_code_twice_is_422_naming_icd10_code(world, api):
    url = f"/patients/{world.patient1.pk}/indications"
    assert api.post(world.nurse, url, {"icd10_code": "F33.2"}).status_code == 201
    before = snapshot(world)

    response = api.post(world.nurse, url, {"icd10_code": "f33.2"})

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "icd10_code", "message": "F33.2 is already on the chart."}
    ]
    assert snapshot(world) == before


def test_front_desk_cannot_add_an_indication(world, api):
    before = snapshot(world)
    response = api.post(
        world.frontdesk, f"/patients/{world.patient1.pk}/indications", {"icd10_code": "F33.2"}
    )
    assert response.status_code == 403
    assert events("access.denied").get().detail == {"permission": "chart.clinical_edit"}
    assert snapshot(world).indications == before.indications


def test_adding_an_indication_for_another_clinics_patient_is_404(world, api):
    before = snapshot(world)
    response = api.post(
        world.nurse, f"/patients/{world.patient2.pk}/indications", {"icd10_code": "F33.2"}
    )
    assert response.status_code == 404
    assert_nothing_stored_since(world, before)


# --- GET /audit-events -----------------------------------------------------------------------


@pytest.mark.parametrize("username", ["auditor", "admin"])
def test_auditors_and_admins_may_read_the_audit_trail(world, api, username):
    response = api.get(getattr(world, username), "/audit-events")
    assert response.status_code == 200
    assert set(response.json()) == {"count", "limit", "offset", "items"}


@pytest.mark.parametrize("username", ["nurse", "prescriber", "frontdesk", "nurse2"])
def test_clinical_roles_may_not_read_the_audit_trail(world, api, username):
    staff = getattr(world, username)
    response = api.get(staff, "/audit-events")
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role does not allow this (audit.view)."}
    denied = events("access.denied").get()
    assert denied.actor == staff
    assert denied.detail == {"permission": "audit.view"}
    assert denied.channel == "api"


def test_an_audit_event_is_served_with_all_its_fields(world, api):
    api.get(world.nurse, f"/patients/{world.patient1.pk}")
    stored = events("chart.view").get()

    items = api.get(world.auditor, "/audit-events", action="chart.view").json()["items"]

    assert len(items) == 1
    item = items[0]
    # JSON carries milliseconds
    to_ms = stored.occurred_at.replace(microsecond=stored.occurred_at.microsecond // 1000 * 1000)
    assert datetime.fromisoformat(item.pop("occurred_at")) == to_ms
    assert item == {
        "id": stored.pk,
        "actor_username": "nurse",
        "role": "nurse",
        "clinic_id": world.clinic1.pk,
        "patient_id": world.patient1.pk,
        "action": "chart.view",
        "object_type": "patient",
        "object_id": str(world.patient1.pk),
        "ip": "127.0.0.1",
        "channel": "api",
        "changes": {},
        "detail": {},
    }


@pytest.fixture
def trail(world, api):
    """A known audit trail, as the clinic-1 auditor sees it.

    From the world: patient.create and weight.record for patient1 (frontdesk, clinic 1),
    patient.create for patient2 (nurse2, clinic 2: not visible), six api_token.create (no
    clinic, visible). Added here: the nurse searches and opens patient1, nurse2 opens patient2
    (clinic 2: not visible), and four back-dated chart.view events by the prescriber on
    2020-01-01 12:00, 2020-01-02 00:00:00, 2020-01-02 23:59:59 and 2020-01-03 00:00:00 UTC.
    Visible in all: 2 + 6 + 2 + 4 = 14.
    """
    api.get(world.nurse, "/patients", q="Moreno")
    api.get(world.nurse, f"/patients/{world.patient1.pk}")
    api.get(world.nurse2, f"/patients/{world.patient2.pk}")
    for moment in (
        datetime(2020, 1, 1, 12, 0, tzinfo=UTC),
        datetime(2020, 1, 2, 0, 0, 0, tzinfo=UTC),
        datetime(2020, 1, 2, 23, 59, 59, tzinfo=UTC),
        datetime(2020, 1, 3, 0, 0, 0, tzinfo=UTC),
    ):
        AuditEvent.objects.create(
            occurred_at=moment,
            actor=world.prescriber,
            actor_username="prescriber",
            role="prescriber",
            clinic=world.clinic1,
            patient=world.patient1,
            action="chart.view",
            object_type="patient",
            object_id=str(world.patient1.pk),
            channel="web",
        )


def audit_page(api, world, **params: Any) -> dict[str, Any]:
    response = api.get(world.auditor, "/audit-events", **params)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({}, 14),
        # create, weight, the nurse's search that showed them, her view, 4 back-dated views
        ({"patient": "patient1"}, 8),
        ({"patient": "patient2"}, 0),  # clinic 2
        ({"user": "nurse"}, 3),  # token, search, view
        ({"user": "NURSE"}, 3),  # case-insensitive
        ({"user": "frontdesk"}, 3),  # token, create, weight
        ({"user": "nobody"}, 0),
        ({"action": "chart.view"}, 5),  # nurse's + 4 back-dated (nurse2's is clinic 2)
        ({"action": "patient.create"}, 1),  # patient2's is clinic 2
        ({"action": "api_token.create"}, 6),
        ({"since": "2020-01-02"}, 13),  # all but 2020-01-01 12:00
        ({"until": "2020-01-02"}, 3),  # until is inclusive: the whole day
        ({"since": "2020-01-02", "until": "2020-01-02"}, 2),
        ({"since": "2020-01-03", "until": "2020-01-03"}, 1),
        ({"since": "2020-01-04", "until": "2020-01-04"}, 0),
        ({"user": "prescriber", "action": "chart.view", "since": "2020-01-02"}, 3),
        ({"patient": "patient1", "user": "nurse"}, 2),  # her search that showed them, her view
    ],
)
def test_audit_filters_narrow_the_trail(world, api, trail, params, count):
    params = {k: getattr(world, v).pk if k == "patient" else v for k, v in params.items()}
    page = audit_page(api, world, **params)
    assert page["count"] == count
    assert len(page["items"]) == count
    if "user" in params:
        assert {i["actor_username"] for i in page["items"]} <= {params["user"].lower()}
    if "action" in params:
        assert {i["action"] for i in page["items"]} <= {params["action"]}


def test_audit_events_come_newest_first_and_page_with_limit_and_offset(world, api, trail):
    everything = audit_page(api, world, limit=200)["items"]
    moments = [datetime.fromisoformat(i["occurred_at"]) for i in everything]
    assert moments == sorted(moments, reverse=True)
    assert moments[-1] == datetime(2020, 1, 1, 12, 0, tzinfo=UTC)

    page = audit_page(api, world, limit=3, offset=2)

    # 14, and the first reading of the trail (it showed patient 1's events).
    assert (page["count"], page["limit"], page["offset"]) == (15, 3, 2)
    assert [i["id"] for i in page["items"]] == [i["id"] for i in everything[1:4]]


def test_an_admin_sees_the_same_trail_as_the_auditor_of_the_clinic(world, api, trail):
    by_admin = api.get(world.admin, "/audit-events", limit=200).json()
    by_auditor = audit_page(api, world, limit=200)
    # The auditor's answer also holds the admin's reading of the trail, just made.
    assert by_auditor["items"][0]["actor_username"] == "admin"
    assert by_auditor["items"][0]["action"] == "audit.search"
    assert by_admin["items"] == by_auditor["items"][1:]
    assert by_admin["count"] + 1 == by_auditor["count"]


def test_clinic2_chart_events_are_not_visible_to_the_clinic1_auditor(world, api, trail):
    items = audit_page(api, world, limit=200)["items"]

    assert all(i["clinic_id"] != world.clinic2.pk for i in items)
    assert all(i["patient_id"] != world.patient2.pk for i in items)
    assert audit_page(api, world, patient=world.patient2.pk)["count"] == 0
    assert AuditEvent.objects.filter(clinic=world.clinic2).count() == 2  # they do exist


def test_a_clinic2_nurses_patient_search_is_not_visible_to_the_clinic1_auditor(world, api):
    """The search names a clinic-2 patient; clinic 1's auditor must not read it.

    A search is recorded once per clinic searched, so it is not one of the clinic-less events
    of the organisation's staff that every auditor of the organisation sees.
    """
    api.get(world.nurse2, "/patients", q="Keller")
    assert events("patient.search", actor=world.nurse2).count() == 1

    page = audit_page(api, world, action="patient.search", limit=200)

    assert page["count"] == 0
    assert "Keller" not in str(page["items"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2020-13-01"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"patient": "alice"}, "patient"),
    ],
)
def test_malformed_audit_filters_are_422_naming_the_filter(world, api, params, field):
    response = api.get(world.auditor, "/audit-events", **params)
    assert response.status_code == 422
    assert error_fields(response) == [field]


# --- OpenAPI document and health check -------------------------------------------------------


def test_the_openapi_document_is_served_without_a_token_and_lists_the_paths(world, client):
    response = client.get(f"{API}/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "ketamine-clinic API"
    assert {
        "/api/v1/me",
        "/api/v1/patients",
        "/api/v1/patients/{patient_id}",
        "/api/v1/patients/{patient_id}/weights",
        "/api/v1/patients/{patient_id}/indications",
        "/api/v1/audit-events",
    } <= set(document["paths"])
    assert set(document["paths"]["/api/v1/patients/{patient_id}"]) == {"get", "patch"}
    assert "BearerToken" in document["components"]["securitySchemes"]


def test_healthz_answers_ok_with_the_database_up(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


def test_every_api_schema_has_its_own_name():
    """django-ninja names the document's components by class name: two schemas of one name
    would make one operation document the other's body (it happened to the PK doses)."""
    import importlib
    import pkgutil

    from ninja import Schema

    import ketamine_clinic

    for module in pkgutil.walk_packages(ketamine_clinic.__path__, "ketamine_clinic."):
        if module.name.endswith(".api") or module.name.endswith(".schemas"):
            importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = {c for c in subclasses(Schema) if c.__module__.startswith("ketamine_clinic.")}
    names = sorted(c.__name__ for c in ours)
    assert [n for n in set(names) if names.count(n) > 1] == []
