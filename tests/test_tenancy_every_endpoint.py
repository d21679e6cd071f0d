"""Every page and every API operation, for every role of clinic 1, against clinic 2's records.

The URLs come from the URL conf and the OpenAPI document, so a new endpoint is covered the
day it is added. Each id in a path (and each `*_id` in an API body) is filled with the id of a
record of the other clinic (or, for products and suppliers, of another organisation). The
answer must be 404; or, where the role is refused before any record is looked at (403), the
method is not allowed (405) or the input is refused (422), exactly what a made-up id gets, so
that the answer says nothing about the record. Pages that take no record id must not show the
other clinic's patients. A parameter the test does not know fails it: add a filler.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from ketamine_clinic.accounts.models import Clinic, Membership, Organization
from ketamine_clinic.accounts.services import api_token_create
from ketamine_clinic.audit.models import AuditEvent, AuditEventPatient
from ketamine_clinic.inventory import services as ledger
from ketamine_clinic.inventory.models import Product, Supplier
from ketamine_clinic.measures import services as measures
from ketamine_clinic.patients import services as chart
from ketamine_clinic.plans import services as plans
from ketamine_clinic.plans.models import Chair, Room
from ketamine_clinic.plans.services import protocols_seed
from ketamine_clinic.screening import services as screening
from ketamine_clinic.treatments.models import RemsMonitoringForm, TreatmentSession
from tests.conftest import PASSWORD, enrol_totp, make_staff
from tests.plans.conftest import next_monday
from tests.screening.test_screening import _intake, _png

ROLES = ["admin", "prescriber", "nurse", "frontdesk", "auditor"]
MISSING = 2**31 - 1  # an id no table holds, valid on SQLite and PostgreSQL
# What clinic 2 holds and clinic 1's staff must never see (not "Keller": a QIDS-SR16 author).
SECRETS = ("Bruno", "TH000002", "SOUTHV-", "Harbour Ketamine", "Harbour Supply")
# Mounted elsewhere or not ours: allauth's sign-in pages; the API is walked from its schema.
NOT_WALKED = ("accounts/", "api/v1/")


@dataclass
class Foreign:
    """One record of each kind at clinic 2 (products and suppliers: another organisation)."""

    ids: dict[str, int]


@pytest.fixture
def foreign(world) -> Foreign:
    admin2 = make_staff(world.org, "admin2", world.clinic2, "admin")
    nurse2, patient = world.nurse2, world.patient2
    Membership.objects.create(
        staff=make_staff(world.org, "nurse3", None, None), clinic=world.clinic2, role="nurse"
    )
    indication = chart.indication_add(actor=nurse2, patient=patient, icd10_code="F33.2")
    medication = chart.medication_add(
        actor=nurse2, patient=patient, name="Sertraline", ketamine_interaction_class="none"
    )
    member = chart.care_team_add(
        actor=nurse2, patient=patient, staff=nurse2, responsibility="primary nurse"
    )
    assessment = measures.assessment_record(
        actor=nurse2, patient=patient, instrument_id="phq9", answers=[1, 1, 1, 1, 1, 1, 1, 1, 2]
    )
    link = measures.self_report_link_create(
        actor=nurse2, patient=patient, instrument_ids=["gad7"]
    ).link
    found = screening.screening_record(actor=nurse2, patient=patient, intake=_intake())
    template = screening.consent_template_change(
        actor=admin2,
        clinic=world.clinic2,
        kind="iv",
        title="South IV consent",
        body="Ketamine consent text. " * 20,
    )
    consent = screening.consent_sign(
        actor=nurse2,
        patient=patient,
        template=template,
        signed_name="Bruno Keller",
        signature_png=_png(),
        ip="10.0.0.9",
    )
    product = Product.objects.create(
        organization=world.org,
        name="Ketamine HCl injection",
        ndc="0409-2051-05",
        form="100 mg/mL, 10 mL vial",
        mg_per_container=1000,
        ml_per_container=10,
    )
    supplier = Supplier.objects.create(
        organization=world.org, name="South Supply", address="2 Way", dea_number="RS1234563"
    )
    vials = ledger.receipt_record(
        actor=nurse2,
        signature=PASSWORD,
        clinic=world.clinic2,
        product=product,
        supplier=supplier,
        lot_number="SK1",
        expires_on=timezone.localdate() + timedelta(days=400),
        invoice="INV-2",
        containers=3,
        label_prefix="SOUTHV-",
    ).containers
    dose = ledger.dispense_record(
        actor=nurse2, signature=PASSWORD, container=vials[0], quantity_mg="50", patient=patient
    )
    count = ledger.count_record(
        actor=nurse2,
        signature=PASSWORD,
        clinic=world.clinic2,
        kind="scheduled",
        business_hours="open",
        counted={vials[1].pk: Decimal("900")},
    )
    loss = ledger.loss_report_record(
        actor=admin2,
        signature=PASSWORD,
        container=vials[2],
        kind="loss",
        quantity_mg="10",
        discovered_on=timezone.localdate(),
        circumstances="Vial dropped in the car park.",
    )
    chart.weight_record(actor=nurse2, patient=patient, weight_kg=Decimal("80"))
    protocols_seed(clinic=world.clinic2)
    room = Room.objects.create(clinic=world.clinic2, name="South room")
    south_chair = Chair.objects.create(clinic=world.clinic2, room=room, name="South chair")
    south_plan = plans.plan_create(
        actor=make_staff(world.org, "prescriber2", world.clinic2, "prescriber"),
        patient=patient,
        protocol="iv-ketamine-induction",
        start_date=next_monday(),
    ).plan
    # A session and its REMS form as rows: the walk needs their ids, not a whole session.
    south_session = TreatmentSession.objects.create(
        clinic=world.clinic2,
        patient=patient,
        protocol=south_plan.protocol,
        chair=south_chair,
        route="iv",
        scheduled_at=timezone.now(),
        walk_in_reason="tenancy walk",
        created_by=nurse2,
    )
    rems_form = RemsMonitoringForm.objects.create(
        clinic=world.clinic2, patient=patient, session=south_session, due_on=timezone.localdate()
    )
    elsewhere = Organization.objects.create(name="Harbour Health", mrn_prefix="HH")
    Clinic.objects.create(organization=elsewhere, name="Harbour")
    their_product = Product.objects.create(
        organization=elsewhere,
        name="Harbour Ketamine",
        ndc="0409-2051-99",
        form="50 mg/mL, 10 mL vial",
        mg_per_container=500,
        ml_per_container=10,
    )
    their_supplier = Supplier.objects.create(
        organization=elsewhere, name="Harbour Supply", address="3 Quay", dea_number="RH1234563"
    )
    return Foreign(
        ids={
            "patient_id": patient.pk,
            "indication_id": indication.pk,
            "medication_id": medication.pk,
            "member_id": member.pk,
            "membership_id": Membership.objects.get(staff=nurse2).pk,
            "token_id": api_token_create(staff=nurse2, name="south").api_token.pk,
            "alert_id": assessment.safety_alert.pk,
            "assessment_id": assessment.pk,
            "link_id": link.pk,
            "screening_id": found.pk,
            "template_id": template.pk,
            "consent_id": consent.pk,
            "container_id": vials[1].pk,
            "entry_id": dose.pk,
            "dispense_id": dose.pk,
            "discrepancy_id": count.lines.get().discrepancy.pk,
            "count_id": count.pk,
            "report_id": loss.pk,
            "product_id": their_product.pk,
            "supplier_id": their_supplier.pk,
            "clinic_id": world.clinic2.pk,
            "plan_id": south_plan.pk,
            "planned_session_id": south_plan.sessions.first().pk,
            "protocol_id": south_plan.protocol_id,
            "session_id": south_session.pk,
            "form_id": rems_form.pk,
        }
    )


# Path parameters that name no record: the value the test uses.
NOT_AN_ID = {"instrument_id": "phq9", "token": "x" * 43, "step": "vitals"}


# --- the URL conf ------------------------------------------------------------------------------


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def site_routes() -> list[str]:
    routes = [r for r in _routes(get_resolver().url_patterns) if not r.startswith(NOT_WALKED)]
    for route in routes:
        assert route.startswith("^") is False, f"{route}: a regex route; add a way to fill it"
    return routes


PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _fill(route: str, value_of: Callable[[str], Any]) -> str:
    return "/" + PARAM.sub(lambda m: str(value_of(m.group("name"))), route)


def _id_params(names: list[str]) -> list[str]:
    return [n for n in names if n not in NOT_AN_ID]


def _value(foreign: Foreign, name: str, where: str) -> Any:
    if name in NOT_AN_ID:
        return NOT_AN_ID[name]
    if name not in foreign.ids:
        pytest.fail(f"add a filler for <{name}> (in {where}) to tests/{__name__.split('.')[-1]}.py")
    return foreign.ids[name]


def _without_csrf(text: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def _signed_in(world: Any, role: str) -> Client:
    staff = getattr(world, role)
    enrol_totp(staff)
    client = Client()
    client.force_login(staff)
    return client


def _clinic1_actors_saw_nothing_of_clinic2(world: Any, since_id: int) -> None:
    """No event by clinic 1's staff names a clinic-2 patient, except refusals."""
    mine = AuditEvent.objects.filter(pk__gt=since_id, actor__in=[getattr(world, r) for r in ROLES])
    shown = mine.filter(patient__clinic=world.clinic2).exclude(action="access.denied")
    assert not shown.exists(), [(e.action, e.detail) for e in shown]
    named = AuditEventPatient.objects.filter(event__in=mine, patient__clinic=world.clinic2)
    assert not named.exists()


@pytest.mark.parametrize("role", ROLES)
def test_no_page_shows_or_admits_another_clinics_record(world, foreign, role):
    client = _signed_in(world, role)
    start = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    problems: list[str] = []
    for route in site_routes():
        names = [m.group("name") for m in PARAM.finditer(route)]
        for name in names:
            _value(foreign, name, route)
        if not _id_params(names):
            url = _fill(route, lambda n: NOT_AN_ID[n])
            response = client.get(url)
            if response.status_code >= 500 or _leaks(_body(response)):
                problems.append(
                    f"GET {url}: {response.status_code}, shows {_leaks(_body(response))}"
                )
            continue
        variants = {"all foreign": lambda n, r=route: _value(foreign, n, r)}
        if "patient_id" in names and len(_id_params(names)) > 1:
            # Our own patient with the other clinic's record under them.
            variants["own patient"] = lambda n, r=route: (
                world.patient1.pk if n == "patient_id" else _value(foreign, n, r)
            )
        for how, value_of in variants.items():
            url = _fill(route, value_of)
            statuses = {}
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                statuses[method] = response.status_code
                if _leaks(_body(response)):
                    problems.append(
                        f"{method.upper()} {url} ({how}) shows {_leaks(_body(response))}"
                    )
                if response.status_code == 404:
                    continue
                missing = getattr(client, method)(
                    _fill(
                        route,
                        lambda n, own=how == "own patient": (
                            world.patient1.pk
                            if own and n == "patient_id"
                            else NOT_AN_ID.get(n, MISSING)
                        ),
                    )
                )
                if response.status_code not in (403, 405) or (
                    missing.status_code != response.status_code
                ):
                    problems.append(
                        f"{method.upper()} {url} ({how}): {response.status_code}, "
                        f"a made-up id: {missing.status_code}"
                    )
            if set(statuses.values()) == {405}:
                problems.append(f"{url} ({how}): answers no method ({statuses})")
    assert not problems, f"{role}:\n" + "\n".join(problems)
    _clinic1_actors_saw_nothing_of_clinic2(world, start)


# --- the API -----------------------------------------------------------------------------------


def _schema_value(schema: dict[str, Any], components: dict[str, Any], name: str, foreign) -> Any:
    """The smallest value of this schema that passes validation; ids are the other clinic's."""
    if "$ref" in schema:
        return _schema_value(
            components[schema["$ref"].rsplit("/", 1)[-1]], components, name, foreign
        )
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _schema_value(options[0], components, name, foreign)
    if name.endswith("_id") and schema.get("type") == "integer":
        return _value(foreign, name, "an API body")
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {
            field: _schema_value(sub, components, field, foreign)
            for field, sub in schema.get("properties", {}).items()
            if field in schema.get("required", [])
        }
    if kind == "array":
        return []
    if kind == "string":
        return {"date": "2026-01-02", "date-time": "2026-01-02T10:00:00Z"}.get(
            schema.get("format", ""), "x"
        )
    return {"integer": 1, "number": 1, "boolean": False}.get(kind or "", "x")


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


@pytest.mark.parametrize("role", ROLES)
def test_no_api_operation_shows_or_admits_another_clinics_record(world, foreign, role):
    staff = getattr(world, role)
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(staff=staff, name='t').token}"}
    document = client.get("/api/v1/openapi.json", **auth).json()
    components = document.get("components", {}).get("schemas", {})
    start = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    problems: list[str] = []
    operations = list(_operations(document))
    assert len(operations) > 30 and all(path.startswith("/api/v1/") for _, path, _ in operations)
    for method, path, operation in operations:
        where = f"{method.upper()} {path}"
        params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        body_schema = (
            operation.get("requestBody", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema")
        )

        def call(ids: Callable[[str], Any]) -> Any:
            url = re.sub(r"{(\w+)}", lambda m: str(ids(m.group(1))), path)
            if body_schema is None:
                return getattr(client, method)(url, **auth)
            body = _schema_value(body_schema, components, "", foreign)
            body = {k: ids(k) if k in foreign.ids else v for k, v in body.items()}
            return getattr(client, method)(url, body, content_type="application/json", **auth)

        body_ids = []
        if body_schema is not None:
            sample = _schema_value(body_schema, components, "", foreign)
            body_ids = [k for k in sample if k in foreign.ids]
        if not params and not body_ids:
            if method == "get":
                response = call(lambda n: n)
                if response.status_code >= 500 or _leaks(_body(response)):
                    problems.append(f"{where}: {response.status_code} {_leaks(_body(response))}")
            continue
        response = call(lambda n: _value(foreign, n, where))
        if _leaks(_body(response)):
            problems.append(f"{where} shows {_leaks(_body(response))}")
        if response.status_code == 404:
            continue
        missing = call(lambda n: MISSING)
        if response.status_code not in (403, 405, 422) or (
            (missing.status_code, missing.json()) != (response.status_code, response.json())
        ):
            problems.append(
                f"{where}: {response.status_code} {response.content[:200]!r}, "
                f"a made-up id: {missing.status_code} {missing.content[:200]!r}"
            )
    assert not problems, f"{role}:\n" + "\n".join(problems)
    _clinic1_actors_saw_nothing_of_clinic2(world, start)


def test_a_parameter_with_no_filler_fails_the_walk(foreign):
    with pytest.raises(pytest.fail.Exception, match="add a filler for <gadget_id>"):
        _value(foreign, "gadget_id", "gadgets/<int:gadget_id>/")
