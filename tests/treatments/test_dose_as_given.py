"""The PK prediction block of a session, from the doses as given: the real start, pause,
resume and stop of an IV bag, and each esketamine device at its time."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from ketamine_clinic.treatments import given, services
from ketamine_clinic.treatments.models import RoomReadinessCheck, TreatmentSession
from tests.conftest import PASSWORD
from tests.screening.test_screening import _consent, _screen

from .conftest import answers, make_protocol
from .test_session_flow import _dosed


def test_an_iv_bag_with_a_pause_is_predicted_as_it_ran(world, bay, clock, client, login):
    session, _ = _dosed(world, bay, clock)
    assert given.session_prediction(session, clock.now) is None  # nothing given yet
    start = clock.now
    for kind, minute in (("start", 0), ("pause", 10), ("resume", 15), ("stop", 46)):
        clock.now = start + timedelta(minutes=minute)
        services.administration_record(actor=world.nurse, session=session, kind=kind)
    block = given.session_prediction(TreatmentSession.objects.get(pk=session.pk), clock.now)
    [result] = block.results
    # 41.2 mg in 104.12 mL at 156.2 mL/h: 1.030 mg/min; 10 min = 10.30 mg before the pause;
    # the remaining 30.90 mg runs 30.0 min after the resume (the bag is dry at 45.0 min).
    [before, after] = result["doses"]
    assert (before["start_min"], before["end_min"]) == (0, 10)
    assert before["mg"] == pytest.approx(10.301, abs=1e-3)
    assert after["start_min"] == 15
    assert after["end_min"] == pytest.approx(44.995, abs=1e-3)
    assert before["mg"] + after["mg"] == pytest.approx(41.2)
    assert result["label"] == "41.2 mg as given (IV)"
    assert result["cmax_ng_per_ml"] > 0 and block.chart.startswith("data:image/svg+xml")
    # on the session page
    login(world.nurse)
    page = client.get(f"/sessions/{session.pk}/")
    assert b"Predicted concentration of the dose as given" in page.content
    assert b"41.2 mg as given (IV)" in page.content


def test_a_running_infusion_is_predicted_up_to_now(world, bay, clock):
    session, _ = _dosed(world, bay, clock)
    services.administration_record(actor=world.nurse, session=session, kind="start")
    [result] = given.session_prediction(session, clock.now + timedelta(minutes=20)).results
    [running] = result["doses"]
    assert (running["start_min"], running["end_min"]) == (0, 20)
    assert running["mg"] == pytest.approx(20.603, abs=1e-3)  # 1.0301 mg/min × 20 min


def test_esketamine_devices_are_predicted_at_their_times(world, bay, clock):
    protocol = make_protocol(world, route="intranasal", slug="esk")
    _screen(world, route="intranasal")
    _consent(world, kind="intranasal")
    services.rems_enrol(actor=world.nurse, patient=world.patient1, enrolled_on=clock.now.date())
    services.room_readiness_record(
        actor=world.prescriber,
        room=bay.room,
        items=dict.fromkeys(RoomReadinessCheck.ITEMS, True),
        prescriber_on_site=world.prescriber,
    )
    session = services.session_walk_in(
        actor=world.prescriber,
        patient=world.patient1,
        protocol=protocol,
        chair=bay.chair,
        reason="x",
    )
    services.check_in(actor=world.nurse, session=session, data=answers())
    dose = services.dose_prepare(
        actor=world.nurse, session=session, signature=PASSWORD, container=bay.vial
    )
    services.dose_verify(
        actor=world.prescriber, session=session, dose_mg=dose.dose_mg, signature=PASSWORD
    )
    start = clock.now
    for minutes in (0, 7):  # the second device 7 min after the first, not the label's 5
        clock.now = start + timedelta(minutes=minutes)
        services.administration_record(actor=world.nurse, session=session, kind="device")
    [result] = given.session_prediction(session, clock.now).results
    assert result["device_times_min"] == [0, 7]
    assert (result["dose_mg"], result["label"]) == (56, "2 × 28 mg as given")
    assert Decimal(dose.dose_mg) == 56
