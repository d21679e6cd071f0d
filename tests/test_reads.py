"""The one reading path: a read is scoped to the reader's clinics and audited in the same call."""

from __future__ import annotations

import pytest
from django.http import Http404

from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.audit.reads import find_one, read_many, read_one
from ketamine_clinic.patients.models import Patient, WeightMeasurement
from tests.conftest import World


def test_read_one_returns_the_record_and_audits_it_with_its_patient(world: World) -> None:
    weight = WeightMeasurement.objects.get(patient=world.patient1)
    got = read_one(
        world.nurse,
        Perm.CHART_VIEW,
        WeightMeasurement.objects.all(),
        action=Action.CHART_VIEW,
        pk=weight.pk,
    )
    assert got == weight
    event = AuditEvent.objects.first()
    assert event is not None
    assert (event.action, event.patient, event.clinic) == (
        "chart.view",
        world.patient1,
        world.clinic1,
    )
    assert (event.object_type, event.object_id) == ("weightmeasurement", str(weight.pk))


def test_another_clinics_record_is_404_and_the_attempt_is_recorded_there(world: World) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(Http404):
        read_one(
            world.nurse,
            Perm.CHART_VIEW,
            Patient.objects.all(),
            action=Action.CHART_VIEW,
            pk=world.patient2.pk,
        )
    events = list(AuditEvent.objects.all()[: AuditEvent.objects.count() - before])
    assert [(e.action, e.patient, e.clinic) for e in events] == [
        ("access.denied", world.patient2, world.clinic2)
    ]


def test_a_missing_record_or_a_bad_id_is_a_plain_404(world: World) -> None:
    before = AuditEvent.objects.count()
    for pk in (999_999, "x", 10**30):
        with pytest.raises(Http404):
            find_one(world.nurse, Perm.CHART_VIEW, Patient.objects.all(), pk=pk)
    assert AuditEvent.objects.count() == before


def test_a_role_without_the_permission_sees_nothing(world: World) -> None:
    with pytest.raises(Http404):
        find_one(world.auditor, Perm.CHART_VIEW, Patient.objects.all(), pk=world.patient1.pk)


def test_read_many_records_one_event_per_clinic_naming_every_patient(world: World) -> None:
    world.nurse2.memberships.create(clinic=world.clinic1, role="nurse")
    before = AuditEvent.objects.count()
    rows = read_many(
        world.nurse2,
        Perm.CHART_VIEW,
        Patient.objects.order_by("pk"),
        action=Action.PATIENT_SEARCH,
    )
    assert rows == [world.patient1, world.patient2]
    events = AuditEvent.objects.all()[: AuditEvent.objects.count() - before]
    assert sorted((e.clinic_id, e.detail["patients"]) for e in events) == [
        (world.clinic1.pk, [world.patient1.pk]),
        (world.clinic2.pk, [world.patient2.pk]),
    ]
