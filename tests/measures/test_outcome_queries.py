"""The outcomes the database computes (measures/trajectories.py) equal the pure core's
(clinical/outcomes.py, clinical/courses.py), for hand-worked and generated histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.db.models import Case, DateTimeField, F, Value, When
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketamine_clinic.clinical import courses, outcomes
from ketamine_clinic.measures import trajectories
from ketamine_clinic.measures.models import Assessment
from ketamine_clinic.patients.models import Patient

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
INSTRUMENTS = ["phq9", "madrs", "qids-sr16", "gad7", "pcl5"]


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _scores(patient: Patient, instrument_id: str, points: list[tuple[int, int]]) -> None:
    Assessment.objects.bulk_create(
        Assessment(
            clinic_id=patient.clinic_id,
            patient=patient,
            instrument_id=instrument_id,
            status=Assessment.Status.COMPLETE,
            source=Assessment.Source.CLINICIAN,
            administered_at=at(minute),
            total=total,
        )
        for minute, total in points
    )


def _treatments(times: dict[int, list[int]]) -> list[trajectories.TreatmentTimes]:
    """Providers giving each patient (by id) its treatment times, one provider per rank, so
    that several providers are combined as the real ones are."""
    depth = max((len(t) for t in times.values()), default=0)

    def provider(rank: int) -> trajectories.TreatmentTimes:
        whens = [
            When(pk=patient_id, then=Value(at(minutes[rank])))
            for patient_id, minutes in times.items()
            if len(minutes) > rank
        ]
        return lambda: Patient.objects.annotate(
            patient_id=F("pk"),
            treated_at=Case(*whens, default=None, output_field=DateTimeField()),
        ).filter(treated_at__isnull=False)

    return [provider(rank) for rank in range(depth)]


def _expected(points: list[tuple[int, int]], treated: list[int], instrument_id: str):
    history = [(at(m), total) for m, total in points]
    first = at(min(treated)) if treated else None
    return outcomes.trajectory(instrument_id, history, first), history


def test_hand_worked_histories(world, monkeypatch):
    """PHQ-9 20 → 16 → 8 with the first treatment on day 7: baseline 20 (day 0), latest 8,
    change −12 (−60%), a responder (12 ≥ 10), not in remission (8 ≥ 5). MADRS 11 before the
    treatment, then 10: no response (1 < 5.5), remission (10 ≤ 10). GAD-7 all after the
    treatment: no baseline."""
    day = 24 * 60
    _scores(world.patient1, "phq9", [(0, 20), (5 * day, 16), (7 * day, 19), (9 * day, 8)])
    _scores(world.patient1, "madrs", [(7 * day, 11), (8 * day, 10)])
    _scores(world.patient1, "gad7", [(8 * day, 12), (9 * day, 4)])
    _scores(world.patient2, "phq9", [(0, 0), (day, 3)])
    monkeypatch.setattr(
        trajectories,
        "TREATMENT_TIMES_PROVIDERS",
        _treatments({world.patient1.pk: [7 * day, 8 * day]}),
    )
    found = trajectories.outcomes_of(Assessment.objects.all())
    assert sorted(found) == [
        (world.patient1.pk, "gad7"),
        (world.patient1.pk, "madrs"),
        (world.patient1.pk, "phq9"),
        (world.patient2.pk, "phq9"),
    ]
    phq9 = found[(world.patient1.pk, "phq9")]
    assert phq9.trajectory == outcomes.Trajectory("phq9", 20, 8, -12, -60.0, True, False)
    assert (phq9.responses, phq9.best, phq9.latest) == (4, (at(9 * day), 8), (at(9 * day), 8))
    # the score taken at the very moment of the first treatment (day 7) counts as before it
    madrs = found[(world.patient1.pk, "madrs")].trajectory
    assert madrs == outcomes.Trajectory("madrs", 11, 10, -1, pytest.approx(-100 / 11), False, True)
    gad7 = found[(world.patient1.pk, "gad7")].trajectory
    assert gad7 == outcomes.Trajectory("gad7", None, 4, None, None, None, True)
    # baseline 0: no percentage, no response rule; 3 is in remission (< 5)
    zero = found[(world.patient2.pk, "phq9")].trajectory
    assert zero == outcomes.Trajectory("phq9", 0, 3, 3, None, None, True)
    # one patient's query leaves the others out
    mine = trajectories.outcomes_of(Assessment.objects.filter(patient=world.patient2))
    assert list(mine) == [(world.patient2.pk, "phq9")]


def test_incomplete_and_unscored_responses_are_left_out(world):
    _scores(world.patient1, "phq9", [(0, 18), (10, 6)])
    Assessment.objects.create(
        clinic=world.clinic1,
        patient=world.patient1,
        instrument_id="phq9",
        status=Assessment.Status.INCOMPLETE,
        source=Assessment.Source.CLINICIAN,
        administered_at=at(20),
        total=None,
    )
    (only,) = trajectories.outcomes_of(Assessment.objects.all()).values()
    assert (only.trajectory.baseline, only.trajectory.latest, only.responses) == (18, 6, 2)


# A history: distinct minutes with a total (often at a remission cut-off, or next to one); a
# patient: histories per instrument and treatments.
cutoffs = sorted({c.limit + d for c in outcomes.REMISSION.values() for d in (-1, 0, 1)})
total = st.one_of(st.sampled_from(cutoffs), st.integers(0, 30))
history = st.lists(st.tuples(st.integers(0, 500), total), max_size=6, unique_by=lambda p: p[0])
patient_case = st.tuples(
    st.dictionaries(st.sampled_from(INSTRUMENTS), history, max_size=3),
    st.lists(st.integers(0, 500), max_size=3),
)


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cases=st.lists(patient_case, min_size=1, max_size=2))
def test_the_database_agrees_with_the_pure_core(world, monkeypatch, cases):
    patients = [world.patient1, world.patient2]
    with transaction.atomic():
        times = {}
        for patient, (histories, treated) in zip(patients, cases, strict=False):
            times[patient.pk] = treated
            for instrument_id, points in histories.items():
                _scores(patient, instrument_id, points)
        monkeypatch.setattr(trajectories, "TREATMENT_TIMES_PROVIDERS", _treatments(times))
        found = trajectories.outcomes_of(Assessment.objects.all())
        expected_keys = set()
        for patient, (histories, treated) in zip(patients, cases, strict=False):
            assert trajectories.treatment_times(patient.pk) == sorted(at(m) for m in treated)
            for instrument_id, points in histories.items():
                if not points:
                    continue
                expected_keys.add((patient.pk, instrument_id))
                expected, scores = _expected(points, treated, instrument_id)
                measured = found[(patient.pk, instrument_id)]
                assert measured.trajectory == expected
                assert measured.responses == len(points)
                assert courses.booster_status_of(
                    baseline=measured.trajectory.baseline,
                    best=measured.best,
                    latest=measured.latest,
                ) == courses.booster_status(scores, baseline=expected.baseline)
        assert set(found) == expected_keys
        transaction.set_rollback(True)
