"""A weight that drives a dose is confirmed when it jumps (issue #16 §2).

The patient of the world weighs 82.4 kg (registered today). A new weight more than 10% away
(the clinic default), or off by the kg/lb factor 2.2046, is refused on the chart, the API and
the service until it is confirmed; the confirmation is on the audit row.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.clinical.anthropometrics import weight_jump
from ketamine_clinic.patients import services
from ketamine_clinic.patients.models import PatientChartSettings, WeightMeasurement
from tests.test_api import API, error_fields

TEN = Decimal("0.10")


@pytest.mark.parametrize(
    ("previous", "new", "jumps"),
    [
        ("100", "110", False),  # +10.0%: at the share
        ("100", "110.1", True),  # +10.1%
        ("100", "90", False),  # -10.0%
        ("100", "89.9", True),
        ("82.4", "85", False),
    ],
)
def test_a_jump_is_more_than_the_share(previous, new, jumps):
    assert (weight_jump(Decimal(previous), Decimal(new), TEN) is not None) is jumps


def test_the_issues_drop_is_18_percent_below():
    jump = weight_jump(Decimal("100.6"), Decimal("82.4"), TEN)
    assert jump is not None
    assert jump.change.quantize(Decimal("0.0001")) == Decimal("-0.1809")  # -18.2 / 100.6
    assert not jump.units_swapped
    assert jump.describe() == "82.4 kg is 18% below the previous weight, 100.6 kg"


@pytest.mark.parametrize(
    ("previous", "new"),
    [
        ("82.4", "181.7"),  # 82.4 kg typed as pounds: 181.66 lb
        ("181.7", "82.4"),
        ("70", "147"),  # ratio 2.10: 4.7% below 2.2046, within the 5% tolerance
    ],
)
def test_a_kg_lb_mix_up_is_flagged_as_such(previous, new):
    jump = weight_jump(Decimal(previous), Decimal(new), Decimal("0.50"))
    assert jump is not None and jump.units_swapped
    assert "kilograms and pounds" in jump.describe()


def test_a_factor_of_two_is_a_jump_but_not_a_unit_swap():
    jump = weight_jump(Decimal("70"), Decimal("140"), TEN)  # 2.00: 9.3% below 2.2046
    assert jump is not None and not jump.units_swapped


def test_the_service_refuses_an_unconfirmed_jump_and_writes_nothing(world):
    rows, events = WeightMeasurement.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.weight_record(actor=world.nurse, patient=world.patient1, weight_kg=Decimal("72"))
    [message] = caught.value.message_dict["confirm_jump"]
    assert "72 kg is 13% below the previous weight, 82.4 kg" in message  # -10.4 / 82.4
    assert "10%" in message and "clinic policy default" in message
    assert (WeightMeasurement.objects.count(), AuditEvent.objects.count()) == (rows, events)


def test_a_confirmed_jump_is_recorded_with_the_confirmation_on_the_audit_row(world):
    row = services.weight_record(
        actor=world.nurse, patient=world.patient1, weight_kg=Decimal("72"), confirm_jump=True
    )
    event = AuditEvent.objects.get(action="weight.record", object_id=str(row.pk))
    assert event.detail == {
        "confirmed_jump": {"previous_kg": "82.4", "change": "-0.126", "units_swapped": False}
    }


def test_a_small_change_needs_no_confirmation_and_records_none(world):
    row = services.weight_record(actor=world.nurse, patient=world.patient1, weight_kg=Decimal("80"))
    event = AuditEvent.objects.get(action="weight.record", object_id=str(row.pk))
    assert "confirmed_jump" not in (event.detail or {})


def test_a_back_dated_weight_is_compared_with_the_one_before_it(world):
    earlier = timezone.now() - timedelta(days=60)
    services.weight_record(
        actor=world.nurse,
        patient=world.patient1,
        weight_kg=Decimal("100"),
        measured_at=earlier,
        confirm_jump=True,
    )
    # 30 days ago: the weight before it is 100 kg (not today's 82.4 kg), so 95 kg is no jump.
    services.weight_record(
        actor=world.nurse,
        patient=world.patient1,
        weight_kg=Decimal("95"),
        measured_at=earlier + timedelta(days=30),
    )


def test_the_share_is_a_clinic_setting(world):
    PatientChartSettings.objects.create(clinic=world.clinic1, weight_jump_share=Decimal("0.20"))
    services.weight_record(actor=world.nurse, patient=world.patient1, weight_kg=Decimal("72"))
    with pytest.raises(ValidationError) as caught:
        services.weight_record(actor=world.nurse, patient=world.patient1, weight_kg=Decimal("57"))
    assert "more than 20%" in caught.value.message_dict["confirm_jump"][0]


def test_the_api_answers_422_naming_the_previous_weight_then_takes_the_confirmation(
    world, token_for, client
):
    headers = token_for(world.nurse)
    path = f"{API}/patients/{world.patient1.pk}/weights"
    refused = client.post(path, {"weight_kg": 181.7}, content_type="application/json", **headers)
    assert refused.status_code == 422
    assert error_fields(refused) == ["confirm_jump"]
    assert "previous weight, 82.4 kg" in refused.json()["errors"][0]["message"]
    assert "pounds" in refused.json()["errors"][0]["message"]
    done = client.post(
        path,
        {"weight_kg": 181.7, "confirm_jump": True},
        content_type="application/json",
        **headers,
    )
    assert done.status_code == 201
    assert done.json()["weight_kg"] == "181.7"


def test_the_chart_form_asks_with_a_checkbox_then_records(world, login):
    client = login(world.nurse)
    path = f"/patients/{world.patient1.pk}/weights/new/"
    tab = client.get(f"/patients/{world.patient1.pk}/weights/")
    assert "A change of more than 10% from the previous weight (clinic default 10%)" in (
        tab.content.decode()
    )
    asked = client.post(path, {"weight_kg": "72"})
    assert asked.status_code == 422
    page = asked.content.decode()
    assert "72 kg is 13% below the previous weight, 82.4 kg" in page
    assert 'type="checkbox" name="confirm_jump"' in page
    assert WeightMeasurement.objects.filter(weight_kg=Decimal("72")).count() == 0
    done = client.post(path, {"weight_kg": "72", "confirm_jump": "on"})
    assert done.status_code == 302
    assert WeightMeasurement.objects.filter(weight_kg=Decimal("72")).count() == 1
