"""Each input that once answered 500 (issue #14 §1) now answers a 4xx naming the field."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from ketamine_clinic.inventory.models import CountLine
from ketamine_clinic.patients import services as chart
from ketamine_clinic.patients.models import Patient
from tests.conftest import PASSWORD
from tests.fuzz_world import fill_world

BIGGER_THAN_64_BITS = "9223372036854775808"


def _send(client: Client, method: str, path: str, auth: dict[str, str], body: str = "") -> dict:
    response = getattr(client, method)(path, body, content_type="application/json", **auth)
    assert response["Content-Type"].startswith("application/json"), response.content
    return {"status": response.status_code, **json.loads(response.content)}


def _fields(answer: dict) -> set[str]:
    return {e["field"] for e in answer.get("errors", [])}


@pytest.mark.parametrize("path", ["/api/v1/patients", "/api/v1/audit-events"])
def test_an_offset_beyond_64_bits_is_refused(world, token_for, path: str) -> None:
    answer = _send(Client(), "get", f"{path}?offset={BIGGER_THAN_64_BITS}", token_for(world.admin))
    assert answer["status"] == 422 and _fields(answer) == {"offset"}


def test_the_largest_offset_answers_an_empty_page(world, token_for) -> None:
    answer = _send(Client(), "get", "/api/v1/patients?offset=1000000000", token_for(world.admin))
    assert answer["status"] == 200 and answer["items"] == [] and answer["count"] == 1


@pytest.mark.parametrize("amount", ['"1e30"', "10000000", '"NaN"'])
def test_a_count_wider_than_its_column_is_refused(world, token_for, amount: str) -> None:
    vial = fill_world(world)["vials"][1]
    body = (
        f'{{"clinic_id": {world.clinic1.pk}, "counted": {{"{vial.pk}": {amount}}}, '
        f'"signature": "{PASSWORD}"}}'
    )
    answer = _send(Client(), "post", "/api/v1/inventory/counts", token_for(world.nurse), body)
    assert answer["status"] == 422 and _fields(answer) == {f"counted.{vial.pk}"}
    assert not CountLine.objects.exists()


def test_the_widest_count_its_column_holds_is_kept(world, token_for) -> None:
    vial = fill_world(world)["vials"][1]
    body = json.dumps(
        {"clinic_id": world.clinic1.pk, "counted": {vial.pk: 9999999}, "signature": PASSWORD}
    )
    answer = _send(Client(), "post", "/api/v1/inventory/counts", token_for(world.nurse), body)
    assert answer["status"] == 201 and answer["discrepancies"] == 1
    assert CountLine.objects.get().counted_mg == Decimal("9999999")


def test_a_container_id_beyond_64_bits_is_no_container(world, token_for) -> None:
    fill_world(world)
    body = (
        f'{{"clinic_id": {world.clinic1.pk}, "counted": {{"99999999999999999999": 10}}, '
        f'"signature": "{PASSWORD}"}}'
    )
    answer = _send(Client(), "post", "/api/v1/inventory/counts", token_for(world.nurse), body)
    assert answer["status"] == 422 and _fields(answer) == {"counted.99999999999999999999"}


@pytest.mark.parametrize(
    "measured_at",
    ["0001-01-01T00:00:00+14:00", "1900-01-01T00:00:00Z", "1984-03-06T12:00:00Z"],
)
def test_a_weight_out_of_range_or_before_birth_is_refused(world, token_for, measured_at) -> None:
    body = json.dumps({"weight_kg": 80, "measured_at": measured_at})
    path = f"/api/v1/patients/{world.patient1.pk}/weights"
    answer = _send(Client(), "post", path, token_for(world.nurse), body)
    assert answer["status"] == 422 and _fields(answer) == {"measured_at"}


def test_a_weight_on_the_birth_date_is_kept(world, token_for) -> None:
    # 30 kg against the registered 82.4 kg is a jump the service asks to confirm (issue #16).
    body = json.dumps(
        {"weight_kg": 30, "measured_at": "1984-03-07T12:00:00Z", "confirm_jump": True}
    )
    path = f"/api/v1/patients/{world.patient1.pk}/weights"
    answer = _send(Client(), "post", path, token_for(world.nurse), body)
    assert answer["status"] == 201, answer


@pytest.mark.parametrize("name", ["\\ud800", "Al\\u0000ice"])
def test_text_no_column_holds_is_refused(world, token_for, name: str) -> None:
    body = '{"legal_given_name": "' + name + '"}'
    path = f"/api/v1/patients/{world.patient1.pk}"
    answer = _send(Client(), "patch", path, token_for(world.frontdesk), body)
    assert answer["status"] == 422 and _fields(answer) == {"legal_given_name"}
    assert Patient.objects.get(pk=world.patient1.pk).legal_given_name == "Alice"


def test_a_nul_deep_in_a_screening_intake_is_refused(world, token_for) -> None:
    body = '{"intake": {"notes": ["fine", "a\\u0000b"]}}'
    path = f"/api/v1/patients/{world.patient1.pk}/screenings"
    answer = _send(Client(), "post", path, token_for(world.nurse), body)
    assert answer["status"] == 422 and _fields(answer) == {"intake.notes.1"}


def test_allergies_longer_than_the_form_allows_are_refused_by_the_service(world) -> None:
    with pytest.raises(ValidationError) as caught:
        chart.patient_update(
            actor=world.nurse, patient=world.patient1, changes={"allergies": "x" * 2001}
        )
    assert set(caught.value.message_dict) == {"allergies"}
    chart.patient_update(
        actor=world.nurse, patient=world.patient1, changes={"allergies": "x" * 2000}
    )
    assert len(Patient.objects.get(pk=world.patient1.pk).allergies) == 2000


def test_a_megabyte_of_allergies_is_refused_by_the_api(world, token_for) -> None:
    body = json.dumps({"allergies": "penicillin " * 100_000})
    path = f"/api/v1/patients/{world.patient1.pk}"
    answer = _send(Client(), "patch", path, token_for(world.nurse), body)
    assert answer["status"] == 422 and _fields(answer) == {"allergies"}


PK = {"drug": "ketamine", "route": "iv", "weight_kg": 70, "dose_mg_per_kg": 0.5}


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"seed": -1, "population": 10}, "seed"), ({"at_min": [1e308]}, "at_min.0")],
)
def test_pk_inputs_out_of_range_are_refused(world, token_for, extra, field) -> None:
    body = json.dumps({**PK, "at_min": [10], **extra})
    answer = _send(Client(), "post", "/api/v1/pk/simulate", token_for(world.nurse), body)
    assert answer["status"] == 422 and _fields(answer) == {field}


def test_pk_at_the_latest_time_answers_plain_zeroes(world, token_for) -> None:
    body = json.dumps({**PK, "at_min": [60, 10080]})
    answer = _send(Client(), "post", "/api/v1/pk/simulate", token_for(world.nurse), body)
    assert answer["status"] == 200
    late = answer["concentration_ng_per_ml"][1]
    assert late == 0.0 and str(late) == "0.0"


def test_the_pk_command_refuses_a_negative_seed_with_status_2() -> None:
    args = ["--weight-kg", "70", "--dose-mg-per-kg", "0.5", "--at-min", "10"]
    with pytest.raises(CommandError) as caught:
        call_command("pk", *args, "--population", "10", "--seed", "-1", stdout=StringIO())
    assert caught.value.returncode == 2 and "--seed" in str(caught.value)


def test_a_server_error_on_the_api_is_json(world, token_for, monkeypatch) -> None:
    from ketamine_clinic.patients import selectors

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "patient_matches", broken)
    client = Client(raise_request_exception=False)
    answer = _send(client, "get", "/api/v1/patients", token_for(world.admin))
    assert answer == {"status": 500, "detail": "Server error."}


def test_a_method_the_path_does_not_take_answers_json(world, token_for) -> None:
    answer = _send(Client(), "delete", "/api/v1/me", token_for(world.admin))
    assert answer == {"status": 405, "detail": "Method not allowed."}


def test_an_unparsable_body_answers_400_json(world, token_for) -> None:
    path = f"/api/v1/patients/{world.patient1.pk}"
    answer = _send(Client(), "patch", path, token_for(world.nurse), "{not json")
    assert answer["status"] == 400 and answer["detail"]


def test_trailing_zeros_fit_a_decimal_column_but_lost_digits_do_not():
    from ketamine_clinic.common.limits import decimal_problem

    assert decimal_problem("56.000", 7, 1) is None
    assert decimal_problem("100", 4, 1) is None
    assert decimal_problem("0.000", 3, 1) is None
    assert decimal_problem("49.44", 7, 1) == "Ensure that there are no more than 1 decimal place."
    assert decimal_problem("1000", 4, 1) is not None
