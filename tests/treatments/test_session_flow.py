"""A whole IV session through the services, and each gate and order rule at its edges."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.inventory import services as ledger
from ketamine_clinic.treatments import closing, flowsheet, services
from ketamine_clinic.treatments.models import (
    NoteIsLocked,
    RecordIsAppendOnly,
    SessionNote,
    TreatmentSession,
    VitalSignReading,
)
from tests.conftest import PASSWORD

from .conftest import answers, walk_in

ALL_MET = closing.Checklist(
    alert_and_oriented=True,
    nausea_controlled=True,
    walks_steadily=True,
    escort_present=True,
    instructions_given=True,
)


def fields(error: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(error.value.message_dict)


def _dosed(world, bay, clock):
    session = walk_in(world, bay)
    services.check_in(actor=world.nurse, session=session, data=answers())
    dose = services.dose_prepare(
        actor=world.nurse, session=session, signature=PASSWORD, container=bay.vial
    )
    services.dose_verify(
        actor=world.prescriber, session=session, dose_mg=dose.dose_mg, signature=PASSWORD
    )
    return TreatmentSession.objects.get(pk=session.pk), dose


def test_a_whole_iv_session(world, bay, clock):
    session = walk_in(world, bay)
    assert session.state == "waiting"
    session = services.check_in(actor=world.nurse, session=session, data=answers())
    assert (session.state, session.bp_gate_level) == ("checked_in", "ok")
    # coded baseline observations
    codes = set(
        VitalSignReading.objects.filter(patient=world.patient1).values_list("loinc", "unit")
    )
    assert ("8480-6", "mm[Hg]") in codes and ("59408-5", "%") in codes

    dose = services.dose_prepare(
        actor=world.nurse, session=session, signature=PASSWORD, container=bay.vial
    )
    # 82.4 kg × 0.5 mg/kg = 41.2 mg at 10 mg/mL = 4.12 mL + 100 mL; 156.2 mL/h over 40 min
    assert (dose.dose_mg, dose.drug_volume_ml, dose.total_volume_ml, dose.rate_ml_per_h) == (
        Decimal("41.2"),
        Decimal("4.12"),
        Decimal("104.12"),
        Decimal("156.2"),
    )
    # the ledger's entry is the session's: same milligrams, a real link
    assert dose.dispense.session_id == session.pk
    assert dose.dispense.quantity_mg == Decimal("41.2") == dose.dispense.administered_mg
    bay.vial.refresh_from_db()
    assert bay.vial.balance_mg == Decimal("58.8")
    assert ledger.verify(world.clinic1).ok

    with pytest.raises(ValidationError) as same:
        services.dose_verify(
            actor=world.nurse, session=session, dose_mg=dose.dose_mg, signature=PASSWORD
        )
    assert fields(same) == {"verified_by"}
    with pytest.raises(ValidationError) as wrong:
        services.dose_verify(
            actor=world.prescriber, session=session, dose_mg=Decimal("42"), signature=PASSWORD
        )
    assert fields(wrong) == {"dose_mg"}
    services.dose_verify(
        actor=world.prescriber, session=session, dose_mg=Decimal("41.2"), signature=PASSWORD
    )

    services.administration_record(
        actor=world.nurse, session=session, kind="start", continuous_oximetry=True
    )
    clock.advance(10)
    _, alerts = flowsheet.vitals_record(
        actor=world.nurse,
        session=session,
        values={
            "sbp": Decimal(172),
            "dbp": Decimal(96),
            "hr": Decimal(88),
            "spo2": Decimal(96),
            "rr": Decimal(14),
        },
        moaas=4,
        taken_at=clock.now,
    )
    # +44 systolic from 128 (≥ 40), and MOAA/S down from 5
    assert [a.code for a in alerts] == ["sbp_rise", "moaas_drop"]
    clock.advance(30)
    services.administration_record(actor=world.nurse, session=session, kind="stop")
    session.refresh_from_db()
    assert session.state == "monitoring"
    with pytest.raises(ValidationError) as early:
        closing.discharge_record(actor=world.nurse, session=session, checklist=ALL_MET)
    assert "monitoring_time" in fields(early)
    clock.advance(45)
    flowsheet.vitals_record(
        actor=world.nurse,
        session=session,
        values={"sbp": Decimal(140), "dbp": Decimal(88), "hr": Decimal(80)},
        moaas=5,
        taken_at=clock.now,
    )
    clock.advance(15)
    flowsheet.vitals_record(
        actor=world.nurse,
        session=session,
        values={"sbp": Decimal(134), "dbp": Decimal(84), "hr": Decimal(76)},
        moaas=5,
        taken_at=clock.now,
    )
    discharge = closing.discharge_record(actor=world.nurse, session=session, checklist=ALL_MET)
    assert discharge.override_by is None
    note = closing.note_sign(actor=world.nurse, session=session, text="Tolerated well.")
    assert "Dose 41.2 mg" in note.summary and "Systolic up 44 mmHg" in note.summary
    session.refresh_from_db()
    assert session.state == "signed"
    assert session.lowest_spo2 == Decimal(96) and session.continuous_oximetry
    actions = set(
        AuditEvent.objects.filter(patient=world.patient1).values_list("action", flat=True)
    )
    assert {
        "session.check_in",
        "session.dose",
        "ledger.dispense",
        "session.vitals",
        "session.discharge",
        "session.sign",
    } <= actions


def test_a_signed_note_is_locked_and_corrected_by_addenda(world, bay, clock):
    session, _ = _dosed(world, bay, clock)
    services.administration_record(actor=world.nurse, session=session, kind="start")
    clock.advance(40)
    services.administration_record(actor=world.nurse, session=session, kind="stop")
    closing.discharge_record(
        actor=world.prescriber,
        session=session,
        checklist=ALL_MET,
        override_reason="Left against advice with escort",
    )
    note = closing.note_sign(actor=world.nurse, session=session)
    note.text = "changed"
    with pytest.raises(NoteIsLocked):
        note.save()
    with pytest.raises(RecordIsAppendOnly):
        SessionNote.objects.filter(pk=note.pk).update(text="x")
    with pytest.raises(ValidationError) as again:
        closing.note_sign(actor=world.nurse, session=session, text="again")
    assert fields(again) == {"state"}
    closing.addendum_add(actor=world.nurse, session=session, text="BP recheck by phone: 124/80")
    assert note.addenda.count() == 1


def test_steps_out_of_order_are_refused(world, bay, clock):
    session = walk_in(world, bay)
    with pytest.raises(ValidationError) as e:
        closing.discharge_record(actor=world.nurse, session=session, checklist=ALL_MET)
    assert fields(e) == {"state"}
    with pytest.raises(ValidationError) as e:
        services.dose_prepare(
            actor=world.nurse, session=session, signature=PASSWORD, container=bay.vial
        )
    assert fields(e) == {"state"}
    with pytest.raises(ValidationError):
        flowsheet.vitals_record(actor=world.nurse, session=session, values={"hr": Decimal(70)})
    session, _ = _dosed(world, bay, clock)
    with pytest.raises(ValidationError) as e:
        services.administration_record(actor=world.nurse, session=session, kind="stop")
    assert fields(e) == {"kind"}


def test_reading_in_the_future_or_before_check_in_is_refused(world, bay, clock):
    session = walk_in(world, bay)
    services.check_in(actor=world.nurse, session=session, data=answers())
    session.refresh_from_db()
    for when in (clock.now + timedelta(minutes=5), session.checked_in_at - timedelta(minutes=1)):
        with pytest.raises(ValidationError) as e:
            flowsheet.vitals_record(
                actor=world.nurse, session=session, values={"hr": Decimal(70)}, taken_at=when
            )
        assert fields(e) == {"taken_at"}
    with pytest.raises(ValidationError) as e:
        flowsheet.vitals_record(
            actor=world.nurse, session=session, values={"sbp": Decimal(301), "dbp": Decimal(80)}
        )
    assert fields(e) == {"sbp"}


@pytest.mark.parametrize(
    ("sbp", "dbp", "level"),
    [(140, 90, "ok"), (141, 90, "weigh"), (161, 90, "hold"), (181, 90, "stop")],
)
def test_the_bp_gate_needs_its_decision(world, bay, clock, sbp, dbp, level):
    session = walk_in(world, bay)
    services.check_in(
        actor=world.nurse,
        session=session,
        data=answers(baseline={"sbp": Decimal(sbp), "dbp": Decimal(dbp)}),
    )
    session.refresh_from_db()
    assert session.bp_gate_level == level
    if level == "ok":
        return
    with pytest.raises(ValidationError) as e:
        services.dose_prepare(
            actor=world.nurse, session=session, signature=PASSWORD, container=bay.vial
        )
    assert "bp_decision" in fields(e)
    if level in ("hold", "stop"):
        with pytest.raises(ValidationError):
            services.bp_decision_record(actor=world.nurse, session=session, reason="fine")
    if level == "stop":
        with pytest.raises(ValidationError) as e:
            services.bp_decision_record(actor=world.prescriber, session=session, reason="x")
        assert fields(e) == {"emergency"}
    services.bp_decision_record(
        actor=world.prescriber if level != "weigh" else world.nurse,
        session=session,
        reason="Benefit outweighs risk",
        emergency=level == "stop",
    )
    session.refresh_from_db()
    services.dose_prepare(
        actor=world.nurse, session=session, signature=PASSWORD, container=bay.vial
    )


def test_a_symptom_with_normal_vitals_blocks_discharge(world, bay, clock):
    session, _ = _dosed(world, bay, clock)
    services.administration_record(actor=world.nurse, session=session, kind="start")
    clock.advance(5)
    _, alerts = flowsheet.vitals_record(
        actor=world.nurse,
        session=session,
        values={"sbp": Decimal(126), "dbp": Decimal(80), "hr": Decimal(70)},
        symptoms=["chest_pain"],
        taken_at=clock.now,
    )
    assert [(a.code, a.level) for a in alerts] == [("symptom_chest_pain", "emergency")]
    assert session.adverse_events.get().is_open
    clock.advance(35)
    services.administration_record(actor=world.nurse, session=session, kind="stop")
    clock.advance(70)
    for sbp in (126, 124):
        flowsheet.vitals_record(
            actor=world.nurse,
            session=session,
            values={"sbp": Decimal(sbp), "dbp": Decimal(80), "hr": Decimal(70)},
            moaas=5,
            taken_at=clock.now,
        )
        clock.advance(1)
    with pytest.raises(ValidationError) as e:
        closing.discharge_record(actor=world.nurse, session=session, checklist=ALL_MET)
    assert fields(e) == {"symptoms_cleared"}
    with pytest.raises(ValidationError):
        flowsheet.alert_outcome_record(actor=world.nurse, alert=alerts[0], outcome="ok")
    flowsheet.alert_outcome_record(
        actor=world.prescriber,
        alert=alerts[0],
        outcome="ECG normal; pain resolved; reviewed in person",
    )
    closing.discharge_record(actor=world.nurse, session=session, checklist=ALL_MET)


def test_a_positive_cssrs_holds_dosing(world, bay, clock):
    from ketamine_clinic.measures import services as measures
    from ketamine_clinic.measures.models import SafetyAlert

    from .conftest import CSSRS_MODERATE

    measures.assessment_record(
        actor=world.nurse,
        patient=world.patient1,
        instrument_id="cssrs-screener",
        answers=CSSRS_MODERATE,
    )
    session = walk_in(world, bay)
    services.check_in(actor=world.nurse, session=session, data=answers())
    session.refresh_from_db()
    with pytest.raises(ValidationError) as e:
        services.dose_prepare(
            actor=world.nurse, session=session, signature=PASSWORD, container=bay.vial
        )
    assert fields(e) == {"safety_alert"}
    alert = SafetyAlert.objects.get(patient=world.patient1, acknowledged_at=None)
    measures.safety_alert_acknowledge(
        actor=world.prescriber,
        alert=alert,
        action="assessed_in_person",
        note="Seen in person; safety plan in place",
    )
    services.dose_prepare(
        actor=world.nurse, session=session, signature=PASSWORD, container=bay.vial
    )


def test_no_readiness_check_no_start(world, bay, clock):
    session, _ = _dosed(world, bay, clock)
    clock.advance(24 * 60)  # the room's check was yesterday's (checks are append-only)
    with pytest.raises(ValidationError) as e:
        services.administration_record(actor=world.nurse, session=session, kind="start")
    assert fields(e) == {"room_readiness"}


def test_a_session_cannot_close_with_milligrams_unaccounted(world, bay, clock):
    session = walk_in(world, bay)
    services.check_in(actor=world.nurse, session=session, data=answers())
    dose = services.dose_prepare(
        actor=world.nurse,
        session=session,
        signature=PASSWORD,
        container=bay.vial,
        drawn_mg=Decimal(50),
    )
    assert ledger.unaccounted_mg(dose.dispense) == Decimal("8.8")
    services.dose_verify(
        actor=world.prescriber, session=session, dose_mg=dose.dose_mg, signature=PASSWORD
    )
    services.administration_record(actor=world.nurse, session=session, kind="start")
    clock.advance(40)
    services.administration_record(actor=world.nurse, session=session, kind="stop")
    with pytest.raises(ValidationError) as e:
        closing.discharge_record(
            actor=world.prescriber, session=session, checklist=ALL_MET, override_reason="anything"
        )
    assert fields(e) == {"drug_accounted"}
    waste = closing.waste_remainder(
        actor=world.nurse,
        session=session,
        signature=PASSWORD,
        witness=world.prescriber,
        witness_signature=PASSWORD,
    )
    assert (waste.quantity_mg, waste.session_id) == (Decimal("8.8"), session.pk)
    closing.discharge_record(
        actor=world.prescriber,
        session=session,
        checklist=ALL_MET,
        override_reason="Monitoring time short: patient asked to leave",
    )


def test_walk_in_is_for_a_prescriber_with_a_reason(world, bay):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.session_walk_in(
            actor=world.nurse,
            patient=world.patient1,
            protocol=bay.protocol,
            chair=bay.chair,
            reason="x",
        )
    with pytest.raises(ValidationError) as e:
        services.session_walk_in(
            actor=world.prescriber,
            patient=world.patient1,
            protocol=bay.protocol,
            chair=bay.chair,
            reason=" ",
        )
    assert fields(e) == {"walk_in_reason"}


def test_a_dose_above_the_protocol_maximum_needs_sign_off(world, bay, clock):
    session = walk_in(world, bay)
    services.check_in(actor=world.nurse, session=session, data=answers())
    dose = services.dose_prepare(
        actor=world.nurse,
        session=session,
        signature=PASSWORD,
        container=bay.vial,
        dose=Decimal("0.8"),
    )
    assert dose.sign_off_reasons
    services.dose_verify(
        actor=world.prescriber, session=session, dose_mg=dose.dose_mg, signature=PASSWORD
    )
    with pytest.raises(ValidationError) as e:
        services.administration_record(actor=world.nurse, session=session, kind="start")
    assert fields(e) == {"sign_off"}
    services.dose_sign_off(actor=world.prescriber, session=session, note="Partial response")
    services.administration_record(actor=world.nurse, session=session, kind="start")


def test_check_in_gates(world, bay):
    session = walk_in(world, bay)
    with pytest.raises(ValidationError) as e:
        services.check_in(
            actor=world.nurse,
            session=session,
            data=answers(
                answers={"escort_confirmed": False, "alcohol_or_drugs_today": True},
                pregnancy_test="positive",
                pre_dose_moaas=None,
            ),
        )
    assert fields(e) == {"escort_confirmed", "recheck", "pregnancy_test", "pre_dose_moaas"}
    with pytest.raises(ValidationError) as e:
        services.check_in(
            actor=world.nurse,
            session=session,
            data=answers(answers={"psychosis_or_mania": True}, recheck_override="Reviewed"),
        )
    assert fields(e) == {"recheck_override"}
    services.check_in(
        actor=world.prescriber,
        session=session,
        data=answers(
            answers={"psychosis_or_mania": True}, recheck_override="Reviewed: past episode, stable"
        ),
    )


def test_an_unenrolled_esketamine_patient_cannot_be_checked_in(world, bay):
    from .conftest import make_protocol

    protocol = make_protocol(world, route="intranasal")
    session = services.session_walk_in(
        actor=world.prescriber,
        patient=world.patient1,
        protocol=protocol,
        chair=bay.chair,
        reason="x",
    )
    with pytest.raises(ValidationError) as e:
        services.check_in(actor=world.nurse, session=session, data=answers())
    assert {"rems", "readiness"} <= fields(e)
