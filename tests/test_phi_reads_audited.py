"""Every page that shows patient data leaves an audit row that names the patient.

A page listing many patients records one event per clinic naming them all; the audit trail's
patient filter finds it, so that a patient's access history is complete.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.audit.selectors import AuditFilter, audit_events
from ketamine_clinic.inventory import services as ledger
from ketamine_clinic.inventory.models import Product, Supplier
from ketamine_clinic.measures import services as measures
from tests.conftest import PASSWORD


def _new(since: int):
    return AuditEvent.objects.filter(pk__gt=since).order_by("pk")


def _last() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _in_history(world, event) -> bool:
    return event in audit_events(world.auditor, AuditFilter(patient_id=world.patient1.pk))


def test_the_dashboards_recent_charts_name_their_patients(world, login):
    client = login(world.nurse)
    client.get(f"/patients/{world.patient1.pk}/")
    since = _last()
    body = client.get("/").content.decode()
    assert "TH000001" in body
    (event,) = _new(since).filter(action="patient.list")
    assert (event.clinic, event.detail) == (
        world.clinic1,
        {"page": "dashboard: recent charts", "patients": [world.patient1.pk]},
    )
    assert _in_history(world, event)


def test_the_worklists_due_questionnaires_name_their_patients(world, login):
    measures.schedule_set(
        actor=world.admin, clinic=world.clinic1, instrument_id="phq9", trigger="baseline"
    )
    since = _last()
    body = login(world.frontdesk).get("/measures/worklist/").content.decode()
    assert "Moreno" in body
    (event,) = _new(since).filter(action="chart.view")
    assert event.detail == {"via": "questionnaires due", "patients": [world.patient1.pk]}
    assert _in_history(world, event)


def test_the_send_form_and_the_entry_form_are_reads_of_the_chart(world, login):
    world.patient1.email = "alice@example.org"
    world.patient1.save()
    client = login(world.nurse)
    since = _last()
    send = client.get(f"/measures/patients/{world.patient1.pk}/send/").content.decode()
    assert "alice@example.org" in send
    client.get(f"/measures/patients/{world.patient1.pk}/enter/gad7/")
    assert [(e.action, e.patient, e.detail) for e in _new(since)] == [
        ("chart.view", world.patient1, {"via": "self-report send form"}),
        ("chart.view", world.patient1, {"via": "questionnaire entry", "form": "gad7"}),
    ]


def test_every_view_of_a_self_report_page_is_audited(world, client):
    issued = measures.self_report_link_create(
        actor=world.frontdesk, patient=world.patient1, instrument_ids=["phq9"]
    )
    url = f"/r/{issued.token}/"
    for path in (url, url, f"{url}phq9/"):
        assert client.get(path).status_code == 200
    views = AuditEvent.objects.filter(action="self_report.open").order_by("pk")
    assert [(e.patient, e.detail) for e in views] == [
        (world.patient1, {"page": "start"}),
        (world.patient1, {"page": "start"}),
        (world.patient1, {"page": "phq9"}),
    ]


def test_browsing_the_trail_without_a_patient_filter_names_the_patients_shown(
    world, login, token_for
):
    since = _last()
    login(world.auditor).get("/audit/")
    (page,) = _new(since).filter(action="audit.search")
    assert (page.clinic, page.detail) == (world.clinic1, {"patients": [world.patient1.pk]})
    assert _in_history(world, page)
    since = _last()
    login(world.auditor).get("/api/v1/audit-events", **token_for(world.auditor))
    (api,) = _new(since).filter(action="audit.search")
    assert (api.channel, api.detail["patients"]) == ("api", [world.patient1.pk])


def test_ledger_reads_name_the_patients_their_entries_show(world, login):
    product = Product.objects.create(
        organization=world.org,
        name="Ketamine HCl injection",
        ndc="0409-2051-05",
        form="100 mg/mL, 10 mL vial",
        mg_per_container=1000,
        ml_per_container=10,
    )
    supplier = Supplier.objects.create(
        organization=world.org, name="Medline", address="1 Way", dea_number="RM1234563"
    )
    (vial,) = ledger.receipt_record(
        actor=world.nurse,
        signature=PASSWORD,
        clinic=world.clinic1,
        product=product,
        supplier=supplier,
        lot_number="K1",
        expires_on=timezone.localdate() + timedelta(days=400),
        invoice="I-1",
        containers=1,
        label_prefix="V-",
    ).containers
    ledger.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=vial,
        quantity_mg="41.2",
        patient=world.patient1,
    )
    client = login(world.auditor)
    for url in (
        "/inventory/",
        f"/inventory/containers/{vial.pk}/",
        "/inventory/log.csv",
        "/inventory/reports/?report=dispensing",
    ):
        since = _last()
        response = client.get(url)
        assert response.status_code == 200, url
        (event,) = _new(since).filter(action__in=["ledger.view", "ledger.report"])
        assert (event.clinic, event.detail["patients"]) == (world.clinic1, [world.patient1.pk])
        assert _in_history(world, event), url
