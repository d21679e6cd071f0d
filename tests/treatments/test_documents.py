"""The session on paper: the whole record as one PDF, and the esketamine REMS Patient
Monitoring Form summary with every answer the form asks (reference.md §2.5). The text is
checked in the HTML that WeasyPrint prints (the repo has no PDF text parser), the PDF for
being one."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.inventory import services as ledger
from ketamine_clinic.inventory.models import Product
from ketamine_clinic.treatments import closing, documents, flowsheet, services
from ketamine_clinic.treatments.models import RoomReadinessCheck
from tests.conftest import PASSWORD
from tests.screening.test_screening import _consent, _screen

from .conftest import answers, make_protocol
from .test_session_flow import ALL_MET, _dosed


def _bp(session, clock, sbp, dbp, world, moaas=5):
    flowsheet.vitals_record(
        actor=world.nurse,
        session=session,
        values={"sbp": Decimal(sbp), "dbp": Decimal(dbp), "hr": Decimal(76)},
        moaas=moaas,
        cadss6=3,
        taken_at=clock.now,
    )


def test_the_session_pdf_holds_the_whole_record(world, bay, clock, login):
    session, _ = _dosed(world, bay, clock)
    services.administration_record(actor=world.nurse, session=session, kind="start")
    clock.advance(10)
    _bp(session, clock, 172, 96, world, moaas=4)  # +44 from 128: an alert
    clock.advance(30)
    services.administration_record(actor=world.nurse, session=session, kind="stop")
    clock.advance(61)
    _bp(session, clock, 134, 84, world)
    _bp(session, clock, 132, 84, world)
    closing.discharge_record(actor=world.nurse, session=session, checklist=ALL_MET)
    closing.note_sign(actor=world.nurse, session=session, text="Tolerated well.")
    closing.addendum_add(actor=world.prescriber, session=session, text="Phoned next day: well.")
    session.refresh_from_db()
    html = render_to_string("treatments/session_document.html", documents.session_context(session))
    for text in (
        "Tolerated well.",
        "Phoned next day: well.",
        "Dose 41.2 mg",
        "82.4 kg × 0.5 mg/kg",  # the dose arithmetic's first step
        "172/96",
        "Systolic up 44 mmHg",
        "Drawn for a patient",
        "data:image/svg+xml;base64,",
        "Monitored at least 60 min after administration",
    ):
        assert text in html, text
    response = login(world.nurse).get(f"/sessions/{session.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and len(response.content) > 20000
    assert AuditEvent.objects.filter(action="session.pdf", patient=world.patient1).count() == 1
    # an IV session has no REMS form; another clinic's session is 404
    assert login(world.nurse).get(f"/sessions/{session.pk}/rems-form.pdf").status_code == 404
    assert login(world.nurse2).get(f"/sessions/{session.pk}/pdf/").status_code == 404


@pytest.fixture
def esketamine(world, bay):
    """An enrolled patient ready for esketamine, a 56 mg kit in the ledger, the room checked
    with the prescriber on site."""
    _screen(world, route="intranasal")
    _consent(world, kind="intranasal")
    services.rems_enrol(
        actor=world.nurse,
        patient=world.patient1,
        enrolled_on=timezone.localdate(),
        reference="REMS-1",
    )
    product = Product.objects.create(
        organization=world.org,
        name="Spravato",
        ndc="50458-028-02",
        form="56 mg kit",
        mg_per_container=56,
        quantity_decimals=0,
        unit_mg=28,
    )
    kit = ledger.receipt_record(
        actor=world.nurse,
        signature=PASSWORD,
        clinic=world.clinic1,
        product=product,
        supplier=bay.vial.lot.supplier,
        lot_number="SPR-77",
        expires_on=timezone.localdate() + timedelta(days=200),
        invoice="INV-2",
        containers=1,
        label_prefix="S-",
    ).containers[0]
    services.room_readiness_record(
        actor=world.nurse,
        room=bay.room,
        items=dict.fromkeys(RoomReadinessCheck.ITEMS, True),
        prescriber_on_site=world.prescriber,
    )
    protocol = make_protocol(world, route="intranasal")
    return protocol, kit


def test_the_rems_form_answers_every_question(world, bay, esketamine, clock, login):
    protocol, kit = esketamine
    session = services.session_walk_in(
        actor=world.prescriber,
        patient=world.patient1,
        protocol=protocol,
        chair=bay.chair,
        reason="Induction day 1",
    )
    services.check_in(
        actor=world.nurse,
        session=session,
        data=answers(medication_flags=("benzodiazepine",)),
    )
    dose = services.dose_prepare(
        actor=world.nurse, session=session, signature=PASSWORD, container=kit
    )
    assert (dose.dose_mg, dose.devices) == (Decimal(56), 2)
    services.dose_verify(
        actor=world.prescriber, session=session, dose_mg=dose.dose_mg, signature=PASSWORD
    )
    first_device = clock.now
    services.administration_record(actor=world.nurse, session=session, kind="device")
    clock.advance(5)
    services.administration_record(actor=world.nurse, session=session, kind="device")
    clock.advance(15)
    _bp(session, clock, 140, 88, world, moaas=4)  # 20 min after the first device
    clock.advance(22)
    _bp(session, clock, 150, 92, world)  # 42 min: the nearest to 40
    clock.advance(40)
    ready = clock.now
    _bp(session, clock, 130, 82, world)
    clock.advance(43)  # 125 min after the first device
    _bp(session, clock, 128, 80, world)
    session.refresh_from_db()
    closing.discharge_record(
        actor=world.nurse, session=session, checklist=ALL_MET, ready_to_leave_at=ready
    )
    session.refresh_from_db()
    # discharge puts the session's form on the REMS worklist, due within 7 days (§2.5)
    assert session.rems_form.due_on == timezone.localdate(clock.now) + timedelta(days=7)
    form = documents.monitoring_form(session)
    assert (form.bp_before.sbp, form.bp_before.dbp) == (Decimal(128), Decimal(82))
    assert (form.bp_at_40.sbp, form.bp_at_40.minutes) == (Decimal(150), 42)
    assert (form.bp_before_discharge.sbp, form.bp_before_discharge.dbp) == (128, 80)
    assert form.monitoring_minutes == 125
    assert form.ready_to_leave_at == ready and first_device < ready
    assert (form.dose_mg, form.lot_number) == (Decimal(56), "SPR-77")
    assert form.first_treatment and form.vitals_ok_before and form.vitals_ok_before_completion
    assert form.concomitant == ["Benzodiazepine"]
    assert (form.sedation, form.dissociation) == ("lowest MOAA/S 4", "highest CADSS-6 3")
    assert form.respiratory == "none recorded"
    assert form.monitoring_hcp == world.nurse.display_name
    assert world.clinic1.name in form.setting
    html = render_to_string(
        "treatments/rems_form_document.html",
        {"session": session, "form": form, "printed_at": clock.now},
    )
    for text in ("150/92 mmHg", "128/82 mmHg", "125 min", "lot SPR-77", "Benzodiazepine"):
        assert text in html, text
    response = login(world.nurse).get(f"/sessions/{session.pk}/rems-form.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
