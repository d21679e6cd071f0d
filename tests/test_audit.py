"""The audit trail: what each event holds, that nothing can change it, search and export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.models import AuditEvent, AuditTrailIsAppendOnly
from ketamine_clinic.audit.selectors import AuditFilter, audit_events
from ketamine_clinic.patients import services


def test_an_update_records_who_where_and_old_to_new(world, login):
    client = login(world.frontdesk)
    response = client.post(
        f"/patients/{world.patient1.pk}/edit/",
        {
            "legal_given_name": "Alicia",
            "legal_family_name": "Moreno",
            "date_of_birth": "1984-03-07",
            "sex": "female",
            "phone": "555-0199",
        },
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="patient.update")
    assert event.actor == world.frontdesk
    assert event.actor_username == "frontdesk"
    assert event.role == "front_desk"
    assert event.clinic == world.clinic1
    assert event.patient == world.patient1
    assert event.object_type == "patient"
    assert event.object_id == str(world.patient1.pk)
    assert event.ip == "10.1.2.3"
    assert event.channel == "web"
    assert event.changes == {"legal_given_name": ["Alice", "Alicia"], "phone": ["", "555-0199"]}
    assert timezone.now() - event.occurred_at < timedelta(minutes=1)


def test_creating_a_patient_records_the_new_values(world):
    event = AuditEvent.objects.get(action="patient.create", patient=world.patient1)
    assert event.actor == world.frontdesk
    assert event.changes["mrn"] == [None, "TH000001"]
    assert event.changes["legal_family_name"] == [None, "Moreno"]
    weight = AuditEvent.objects.get(action="weight.record", patient=world.patient1)
    assert weight.changes == {"weight_kg": [None, "82.4"], "height_cm": [None, "170.0"]}


def test_failed_and_successful_logins_are_recorded(world, client):
    client.post("/accounts/login/", {"login": "nurse", "password": "wrong"})
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.actor is None
    assert failed.actor_username == "nurse"
    assert failed.ip == "127.0.0.1"
    client.post("/accounts/login/", {"login": "nurse", "password": "correct horse battery staple"})
    ok = AuditEvent.objects.get(action="auth.login")
    assert ok.actor == world.nurse


def test_permission_denial_is_recorded(world, login):
    client = login(world.frontdesk)
    response = client.post(
        f"/patients/{world.patient1.pk}/weights/new/", {"weight_kg": "80", "height_cm": ""}
    )
    assert response.status_code == 403
    denial = AuditEvent.objects.get(action="access.denied")
    assert denial.actor == world.frontdesk
    assert denial.patient == world.patient1
    assert denial.detail == {"permission": "chart.clinical_edit"}
    assert world.patient1.weights.count() == 1


def test_events_cannot_be_updated_or_deleted_through_the_orm(world):
    event = AuditEvent.objects.first()
    assert event is not None
    event.action = Action.LOGIN
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="auth.login")
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.all().delete()


def test_the_database_refuses_update_and_delete_in_raw_sql(world):
    event = AuditEvent.objects.first()
    assert event is not None
    for sql in (
        "UPDATE audit_auditevent SET action = 'auth.login' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    event.refresh_from_db()
    assert event.action != "auth.login"


def _rewrites(table: str) -> list[str]:
    """Every way of rewriting an existing row of `table` with plain SQL, on this database."""
    rewrites = [
        f"INSERT INTO {table} SELECT * FROM {table} WHERE id = %s "
        f"ON CONFLICT (id) DO UPDATE SET id = excluded.id",
    ]
    if connection.vendor == "sqlite":
        rewrites += [
            f"INSERT OR REPLACE INTO {table} SELECT * FROM {table} WHERE id = %s",
            f"REPLACE INTO {table} SELECT * FROM {table} WHERE id = %s",
        ]
    return rewrites


@pytest.mark.parametrize("table", ["audit_auditevent", "inventory_ledgerentry"])
def test_the_database_refuses_replace_and_upsert_over_an_existing_row(world, table):
    from ketamine_clinic.inventory.models import LedgerEntry

    if table == "inventory_ledgerentry":
        from tests.inventory.conftest import receive, stock_products

        receive(world, *stock_products(world))
        row = LedgerEntry.objects.order_by("id").first()
    else:
        row = AuditEvent.objects.order_by("id").first()
    assert row is not None
    before = (type(row).objects.count(), row.hash if table == "inventory_ledgerentry" else None)
    for sql in _rewrites(table):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [row.pk])
    assert type(row).objects.count() == before[0]
    assert type(row).objects.filter(pk=row.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL")
def test_postgresql_refuses_truncate(world):
    with connection.cursor() as cursor:
        # Check the test's deferred foreign keys now, so that TRUNCATE reaches our trigger.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE audit_auditevent CASCADE")
    assert AuditEvent.objects.exists()


def test_auditor_sees_own_clinic_events_only(world):
    events = audit_events(world.auditor, AuditFilter())
    clinics = {e.clinic_id for e in events}
    assert world.clinic2.pk not in clinics
    assert world.clinic1.pk in clinics
    assert not audit_events(world.nurse, AuditFilter()).exists()


def test_audit_filters(world):
    services.patient_update(
        actor=world.prescriber, patient=world.patient1, changes={"phone": "555-0101"}
    )
    by_patient = audit_events(world.auditor, AuditFilter(patient_id=world.patient1.pk))
    assert {e.action for e in by_patient} == {"patient.create", "weight.record", "patient.update"}
    by_user = audit_events(world.auditor, AuditFilter(username="prescriber"))
    assert [e.action for e in by_user] == ["patient.update"]
    by_action = audit_events(world.auditor, AuditFilter(action="weight.record"))
    assert by_action.count() == 1
    today = timezone.localdate()
    assert audit_events(world.auditor, AuditFilter(since=today, until=today)).count() == 3
    assert not audit_events(world.auditor, AuditFilter(until=today - timedelta(days=1))).exists()


def test_audit_page_and_csv_export(world, login):
    client = login(world.auditor)
    page = client.get("/audit/", {"patient": world.patient1.pk})
    assert page.status_code == 200
    assert "patient.create" in page.content.decode()
    response = client.get("/audit/export.csv", {"patient": world.patient1.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    # The page read before is part of the patient's access history; the export is not in itself.
    assert [r["action"] for r in rows] == ["audit.search", "weight.record", "patient.create"]
    assert rows[2]["patient_mrn"] == "TH000001"
    assert rows[2]["actor_username"] == "frontdesk"
    assert rows[2]["role"] == "front_desk"
    export = AuditEvent.objects.get(action="audit.export")
    assert (export.actor, export.clinic) == (world.auditor, world.clinic1)
    assert export.detail == {
        "filters": {"patient": str(world.patient1.pk)},
        "rows": 3,
        "patients": [world.patient1.pk],
    }


def test_csv_cells_cannot_become_spreadsheet_formulas(world, client, login):
    # A failed sign-in keeps the username as typed: a cell of its own in the export. (Each names
    # an account of the organisation: a made-up one is for the operator only.)
    from tests.conftest import make_staff

    for typed in ("=HYPERLINK(1)", "+1+1", "-1+1", "@SUM(1)"):
        make_staff(world.org, typed, None, None)
        client.post("/accounts/login/", {"login": typed, "password": "wrong"})
    client = login(world.auditor)
    body = b"".join(client.get("/audit/export.csv").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    typed = {r["actor_username"] for r in rows if r["action"] == "auth.login_failed"}
    assert typed == {"'=HYPERLINK(1)", "'+1+1", "'-1+1", "'@SUM(1)"}
    for row in rows:
        assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row.values())


def test_the_audit_page_finds_a_patient_by_mrn(world, login):
    client = login(world.auditor)
    by_mrn = client.get("/audit/", {"patient": "th000001"}).content.decode()
    assert "3 events" not in by_mrn and "2 events" in by_mrn  # patient.create, weight.record
    foreign = client.get("/audit/", {"patient": "TH000002"}).content.decode()
    assert "0 events" in foreign  # clinic 2's patient is not this auditor's


def test_an_all_digit_mrn_finds_its_patient_not_the_patient_with_that_id(world, login):
    imported = services.patient_register(
        actor=world.nurse,
        clinic=world.clinic1,
        details={
            "legal_given_name": "Ines",
            "legal_family_name": "Park",
            "date_of_birth": date(1990, 1, 2),
            "sex": "female",
        },
        mrn=str(world.patient1.pk).zfill(6),
    )
    body = login(world.auditor).get("/audit/", {"patient": imported.mrn}).content.decode()
    assert "1 event." in body  # Ines Park's patient.create; none of patient 1's
    assert f'?patient={imported.mrn}"' in body
    assert f'?patient={world.patient1.mrn}"' not in body


@pytest.mark.parametrize("reference", ["99999999999999999999", "0"])
def test_a_patient_id_no_database_holds_matches_nothing(world, login, reference):
    client = login(world.auditor)
    page = client.get("/audit/", {"patient": reference})
    assert page.status_code == 200
    assert "0 events" in page.content.decode()
    export = client.get("/audit/export.csv", {"patient": reference})
    assert len(list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))) == 1


def test_opening_the_edit_form_is_an_audited_read(world, login):
    client = login(world.frontdesk)
    assert client.get(f"/patients/{world.patient1.pk}/edit/").status_code == 200
    view = AuditEvent.objects.get(action="chart.view")
    assert (view.actor, view.patient, view.channel) == (world.frontdesk, world.patient1, "web")
    # Saving is recorded as the update itself, not as one more view.
    client.post(
        f"/patients/{world.patient1.pk}/edit/",
        {
            "legal_given_name": "Alice",
            "legal_family_name": "Moreno",
            "date_of_birth": "1984-03-07",
            "sex": "female",
            "escort_name": "Ben Moreno",
        },
    )
    assert AuditEvent.objects.filter(action="chart.view").count() == 1
    assert AuditEvent.objects.filter(action="patient.update").count() == 1


def test_the_dashboard_counts_the_failed_sign_ins_the_auditor_may_see(world, client, login):
    from ketamine_clinic.accounts.models import Organization
    from ketamine_clinic.audit.services import record
    from tests.conftest import make_staff

    client.post("/accounts/login/", {"login": "nurse", "password": "wrong"})
    elsewhere = Organization.objects.create(name="Elsewhere")
    stranger = make_staff(elsewhere, "stranger", None, None)
    record(actor=stranger, action=Action.LOGIN_FAILED, detail={"step": "two_factor"})
    record(actor=world.nurse, action=Action.LOGIN_FAILED, detail={"step": "two_factor"})
    response = login(world.auditor).get("/")
    assert response.context["failed_logins"] == 2  # the nurse's two, not the stranger's


def test_nurse_cannot_read_the_audit_trail(world, login):
    client = login(world.nurse)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", actor=world.nurse).count() == 2
