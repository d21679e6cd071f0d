"""The session's append-only tables are refused UPDATE, DELETE and REPLACE/upsert over an
existing row by the database itself (SQLite and PostgreSQL), below the models' own refusal; and
a whole session, written through the services, only ever INSERTs into them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from ketamine_clinic.audit.triggers import APPEND_ONLY_TABLES, SESSION_TABLES
from ketamine_clinic.treatments import closing, course, flowsheet, services
from ketamine_clinic.treatments.models import (
    Addendum,
    AdministrationEvent,
    AppendOnly,
    CheckIn,
    Discharge,
    LiverTest,
    PdmpCheck,
    ReadingSet,
    RescueMedication,
    RoomReadinessCheck,
    SessionNote,
    SideEffect,
    VitalSignReading,
)
from tests.test_audit import _rewrites

from .test_session_flow import ALL_MET, _dosed

MODELS = (
    CheckIn,
    ReadingSet,
    VitalSignReading,
    AdministrationEvent,
    SideEffect,
    RescueMedication,
    Discharge,
    SessionNote,
    Addendum,
    RoomReadinessCheck,
    PdmpCheck,
    LiverTest,
)


def test_every_append_only_model_of_the_session_has_its_triggers():
    from django.apps import apps

    append_only = {
        m._meta.db_table
        for m in apps.get_app_config("treatments").get_models()
        if issubclass(m, AppendOnly) or m is SessionNote
    }
    assert append_only == set(SESSION_TABLES) == {m._meta.db_table for m in MODELS}
    assert set(SESSION_TABLES) <= set(APPEND_ONLY_TABLES)


@pytest.fixture
def signed_session(world, bay, clock):
    """A whole session through the services: one row in each append-only table."""
    session, _ = _dosed(world, bay, clock)
    services.administration_record(actor=world.nurse, session=session, kind="start")
    clock.advance(10)
    flowsheet.vitals_record(
        actor=world.nurse,
        session=session,
        values={"sbp": Decimal(130), "dbp": Decimal(80), "hr": Decimal(70)},
        taken_at=clock.now,
    )
    flowsheet.side_effect_record(actor=world.nurse, session=session, code="nausea")
    flowsheet.rescue_medication_record(
        actor=world.nurse,
        session=session,
        drug="Ondansetron",
        dose="4 mg",
        route="IV",
        reason="nausea",
    )
    clock.advance(30)
    services.administration_record(actor=world.nurse, session=session, kind="stop")
    closing.discharge_record(
        actor=world.prescriber, session=session, checklist=ALL_MET, override_reason="escort here"
    )
    closing.note_sign(actor=world.nurse, session=session, text="ok")
    closing.addendum_add(actor=world.nurse, session=session, text="called: well")
    services.pdmp_check_record(
        actor=world.nurse, patient=world.patient1, checked_on=timezone.localdate(), result="none"
    )
    course.liver_test_record(
        actor=world.nurse, patient=world.patient1, taken_on=timezone.localdate(), result="normal"
    )
    return session


def test_a_whole_session_only_inserts(signed_session):
    # The services wrote every table with the triggers in place: none of them updated a row.
    for model in MODELS:
        assert model.objects.exists(), model.__name__


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_database_refuses_update_delete_and_replace(signed_session, model):
    row = model.objects.order_by("pk").first()
    table = model._meta.db_table
    before = model.objects.count()
    for sql in (
        f"UPDATE {table} SET id = id WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
        *_rewrites(table),
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [row.pk])
    assert model.objects.count() == before
    assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL")
def test_postgresql_refuses_truncate_of_the_readings(signed_session):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE treatments_vitalsignreading CASCADE")
    assert VitalSignReading.objects.exists()
