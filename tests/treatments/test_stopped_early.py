"""An infusion stopped early: the ledger's mg given becomes what was infused (a signed,
hash-chained correction entry; the container's balance does not move), the remainder is
unaccounted for until it is wasted with a witness, and the plan is told the infused amount."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.inventory import reports
from ketamine_clinic.inventory import services as ledger
from ketamine_clinic.inventory.models import LedgerEntry
from ketamine_clinic.treatments import closing, flowsheet, services
from tests.conftest import PASSWORD

from .conftest import answers
from .test_booking_from_plan import planned  # noqa: F401 (the fixture)
from .test_session_flow import ALL_MET


def test_stopped_at_20_of_40_minutes_half_is_given_and_half_wasted(
    world,
    bay,
    planned,  # noqa: F811
    clock,
):
    session = services.session_book(actor=world.nurse, planned_session=planned)
    services.check_in(actor=world.nurse, session=session, data=answers(weight_kg=Decimal(80)))
    dose = services.dose_prepare(
        actor=world.nurse, session=session, signature=PASSWORD, container=bay.vial
    )
    # 0.6 mg/kg × 80 kg = 48 mg = 4.8 mL in 100 mL: 104.8 mL over 40 min at 157.2 mL/h
    assert (dose.dose_mg, dose.total_volume_ml, dose.rate_ml_per_h) == (
        Decimal(48),
        Decimal("104.8"),
        Decimal("157.2"),
    )
    services.dose_verify(
        actor=world.prescriber, session=session, dose_mg=dose.dose_mg, signature=PASSWORD
    )
    services.administration_record(actor=world.nurse, session=session, kind="start")
    clock.advance(20)
    with pytest.raises(ValidationError) as unsigned:
        services.administration_record(actor=world.nurse, session=session, kind="stop")
    assert "24 of 48 mg infused" in unsigned.value.message_dict["signature"][0]
    with pytest.raises(ValidationError) as wrong:
        services.administration_record(
            actor=world.nurse, session=session, kind="stop", signature="not it"
        )
    assert "signature" in wrong.value.message_dict
    session.refresh_from_db()
    assert session.state == "dosing"  # nothing recorded

    services.administration_record(
        actor=world.nurse, session=session, kind="stop", signature=PASSWORD
    )
    dispense = dose.dispense
    # 52.4 mL of 104.8 mL ran: 24 mg given, 24 mg unaccounted until wasted
    assert ledger.given_mg(dispense) == Decimal(24)
    assert ledger.unaccounted_mg(dispense) == Decimal(24)
    correction = LedgerEntry.objects.get(related=dispense, kind="correction")
    assert (correction.quantity_mg, correction.administered_mg) == (Decimal(24), Decimal(24))
    assert correction.balance_after_mg == dispense.balance_after_mg == Decimal(52)
    assert (correction.actor, correction.session_id) == (world.nurse, session.pk)
    assert correction.details["infused_minutes"] == "20"
    bay.vial.refresh_from_db()
    assert bay.vial.balance_mg == Decimal(52)  # the drug already left the vial
    assert ledger.verify(world.clinic1).ok
    assert AuditEvent.objects.filter(action="ledger.correction", patient=world.patient1).exists()

    clock.advance(90)
    for sbp in (130, 128):
        flowsheet.vitals_record(
            actor=world.nurse,
            session=session,
            values={"sbp": Decimal(sbp), "dbp": Decimal(82), "hr": Decimal(74)},
            moaas=5,
            taken_at=clock.now,
        )
    with pytest.raises(ValidationError) as unaccounted:
        closing.discharge_record(actor=world.nurse, session=session, checklist=ALL_MET)
    assert set(unaccounted.value.message_dict) == {"drug_accounted"}
    waste = closing.waste_remainder(
        actor=world.nurse,
        session=session,
        signature=PASSWORD,
        witness=world.prescriber,
        witness_signature=PASSWORD,
    )
    assert (waste.quantity_mg, waste.witness) == (Decimal(24), world.prescriber)
    assert ledger.unaccounted_mg(dispense) == 0
    closing.discharge_record(actor=world.nurse, session=session, checklist=ALL_MET)
    planned.refresh_from_db()
    assert (planned.status, planned.dose_mg_given) == ("completed", Decimal(24))
    note = closing.note_sign(actor=world.nurse, session=session)
    assert "Given 24 mg of 48 mg (stopped early)." in note.summary

    record = reports.build("record", world.nurse)
    rows = {
        row[2]: row
        for row in record.rows
        if row[0] in {str(e.seq) for e in LedgerEntry.objects.filter(session=session)}
    }
    assert rows["Drawn for a patient"][7:9] == ["48", "48"]
    assert rows["Correction of the mg given"][7:10] == ["24", "24", "52"]
    assert rows["Waste (drawn, not given)"][7] == "24"
    assert "given before mg: 48" in rows["Correction of the mg given"][13]


def test_a_stop_at_the_bags_end_needs_no_signature(world, bay, clock):
    from .test_session_flow import _dosed

    session, dose = _dosed(world, bay, clock)
    services.administration_record(actor=world.nurse, session=session, kind="start")
    clock.advance(39.5)  # within the minute bedside times are written to
    services.administration_record(actor=world.nurse, session=session, kind="stop")
    assert ledger.given_mg(dose.dispense) == dose.dose_mg
    assert not LedgerEntry.objects.filter(kind="correction").exists()


def test_a_correction_only_lowers_what_was_given(world, bay, clock):
    from .test_session_flow import _dosed

    _, dose = _dosed(world, bay, clock)
    with pytest.raises(ValidationError) as higher:
        ledger.administration_correct(
            actor=world.nurse,
            signature=PASSWORD,
            dispense=dose.dispense,
            given_mg_now=Decimal("41.2"),
            reason="x",
        )
    assert higher.value.message_dict == {
        "given_mg": ["A correction lowers what was given (41.2 mg)."]
    }
    with pytest.raises(ValidationError) as finer:
        ledger.administration_correct(
            actor=world.nurse,
            signature=PASSWORD,
            dispense=dose.dispense,
            given_mg_now=Decimal("20.05"),
            reason="x",
        )
    assert "given_mg" in finer.value.message_dict
