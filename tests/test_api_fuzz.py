"""Fuzz every operation of the served OpenAPI document with schemathesis, as two roles.

The schema is read from the app itself (`/api/v1/openapi.json` through the WSGI app, no
server), so an operation added later (the session flow's, say) is fuzzed the day it is merged.
Each operation runs as a clinic admin and as a nurse against a small world (two clinics,
patients, a ledger with a dispense, a screening, an assessment, a plan) so that low ids exist.

Checks, chosen deliberately:
- `not_a_server_error`: no input answers 5xx.
- `status_code_conformance`: every status answered is documented for that operation.
- `content_type_conformance` and `response_schema_conformance`: the body is what the document
  says, for every documented status.
- Not `negative_data_rejection`: pydantic's lax parsing takes some values the document calls
  invalid (a date given as the Unix time `0`, a number sent as a string) and answers them
  correctly; negative cases still run, under every check above.
- `schema_layer_accepts_valid_input` (ours, in place of `positive_data_acceptance`): input the
  document calls valid never fails the request validation ("Invalid request."), so the document
  carries every constraint the schemas enforce. The built-in check would also fail the answers
  that business rules give schema-valid input by design (a wrong signature, a clinical gate:
  422 naming the field), which are correct. Text refused where the document cannot say so
  (a NUL inside a free-form object such as a screening's intake) answers "Invalid data.".
- `json_is_strict` (ours): every body parses as strict JSON (no NaN or Infinity), and an error
  answer is JSON with a `detail`, and for a 422 each error names its field.
Mutating operations change the database between examples; the answers must stay correct.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import Case

from ketamine_clinic.accounts.services import api_token_create
from ketamine_clinic.wsgi import application
from tests.fuzz_world import fill_world

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
schema.config.update(base_url="http://testserver")


def _strict_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@schemathesis.check
def json_is_strict(ctx: Any, response: Any, case: Case) -> bool | None:
    """Every body is strict JSON; an error carries `detail`, a 422 names each field."""
    if not response.content:
        return None
    body = json.loads(response.content, parse_constant=_strict_constant)
    if response.status_code >= 400:
        assert isinstance(body, dict) and body.get("detail"), body
        if response.status_code == 422:
            assert body.get("errors"), body
            assert all(e.get("field") for e in body["errors"]), body
    return None


@schemathesis.check
def schema_layer_accepts_valid_input(ctx: Any, response: Any, case: Case) -> bool | None:
    """Input the document calls valid passes the request validation (see the docstring)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    body = json.loads(response.content)
    assert body.get("detail") != "Invalid request.", (
        f"The document called this input valid, the schema layer refused it: {body}"
    )
    return None


CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    json_is_strict,
    schema_layer_accepts_valid_input,
]


@pytest.fixture
def auth(request: pytest.FixtureRequest, world) -> Iterator[dict[str, str]]:  # type: ignore[no-untyped-def]
    """The role's bearer header, with the world filled in.

    The WSGI app is called directly, so, as Django's test client does, the test's database
    connection is kept open across requests (it holds the test's transaction).
    """
    fill_world(world)
    staff = getattr(world, request.param)
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {api_token_create(staff=staff, name='fuzz').token}"}
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.mark.parametrize("auth", ["admin", "nurse"], indirect=True)
@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
    database=None,
)
def test_every_operation_answers_as_documented(case: Case, auth: dict[str, str]) -> None:
    case.call_and_validate(headers=auth, checks=CHECKS)


def test_fuzz_world_has_the_records_ids_point_at(world) -> None:  # type: ignore[no-untyped-def]
    filled = fill_world(world)
    assert filled["dispense"].quantity_mg == Decimal("50.0")
    assert filled["screening"].patient == world.patient1
