"""A session's administration start is a treatment time: the score charts mark it and the
baseline is the first score at or before it."""

from __future__ import annotations

from datetime import timedelta

from ketamine_clinic.measures import selectors as measures
from ketamine_clinic.measures import services as measures_services
from ketamine_clinic.treatments import services

from .test_session_flow import _dosed


def _phq9(world, at, item):
    measures_services.assessment_record(
        actor=world.nurse,
        patient=world.patient1,
        instrument_id="phq9",
        answers=[item] * 8 + [0],
        administered_at=at,
    )


def test_the_administration_start_sets_the_baseline(world, bay, clock):
    _phq9(world, clock.now - timedelta(days=20), 3)  # 24, weeks before
    _phq9(world, clock.now - timedelta(minutes=30), 2)  # 16, at check-in
    session, _ = _dosed(world, bay, clock)
    assert measures.treatment_times(world.patient1) == []  # checked in, no dose yet
    clock.advance(1)
    start = services.administration_record(actor=world.nurse, session=session, kind="start")
    clock.advance(2)
    _phq9(world, clock.now, 1)  # 8, after the dose
    assert measures.treatment_times(world.patient1) == [start.at]
    (phq9,) = measures.score_histories(world.patient1)
    t = phq9.trajectory
    # baseline: the first score at or before the start (24), latest 8: −16, a response
    assert (t.baseline, t.latest, t.change, t.responder, t.remission) == (24, 8, -16, True, False)
