"""Dose arithmetic, titration, cumulative exposure and caps, and the booster trigger."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.clinical import courses

T0 = datetime(2026, 6, 1, 9)


def test_session_dose_by_unit():
    assert courses.session_dose_mg("mg_per_kg", D("0.5"), D("82.4"), 40) == D("41.2")
    assert courses.session_dose_mg("mg_per_kg_per_hour", D("0.35"), D("70"), 240) == D("98.0")
    assert courses.session_dose_mg("mg", D("56"), None, 15) == D("56.0")
    with pytest.raises(courses.DoseError, match="weight"):
        courses.session_dose_mg("mg_per_kg", D("0.5"), None, 40)


@pytest.mark.parametrize(
    ("dose", "ok"), [(D("0.74"), True), (D("0.75"), True), (D("0.76"), False), (D("0.09"), False)]
)
def test_dose_limits_at_the_edges(dose, ok):
    args = {"unit": "mg_per_kg", "dose_min": D("0.1"), "dose_max": D("0.75"), "route": "iv"}
    if ok:
        courses.check_dose(dose, **args)
    else:
        with pytest.raises(courses.DoseError, match=r"(above|below) this protocol"):
            courses.check_dose(dose, **args)


def test_esketamine_dose_must_be_whole_devices():
    args = {"unit": "mg", "dose_min": D("56"), "dose_max": D("84"), "route": "intranasal"}
    courses.check_dose(D("84"), **args)
    with pytest.raises(courses.DoseError, match="28 mg devices"):
        courses.check_dose(D("70"), **args)


def test_titration_steps_up_only_when_insufficient_and_tolerated_and_stops_at_max():
    t = courses.titrate(
        D("0.5"), step=D("0.1"), maximum=D("0.75"), response_insufficient=True, last_tolerated=True
    )
    assert (t.dose, t.changed) == (D("0.6"), True)
    t = courses.titrate(
        D("0.7"), step=D("0.1"), maximum=D("0.75"), response_insufficient=True, last_tolerated=True
    )
    assert t.dose == D("0.75")
    t = courses.titrate(
        D("0.75"), step=D("0.1"), maximum=D("0.75"), response_insufficient=True, last_tolerated=True
    )
    assert (t.dose, t.changed) == (D("0.75"), False)
    assert not courses.titrate(
        D("0.5"), step=D("0.1"), maximum=D("0.75"), response_insufficient=True, last_tolerated=False
    ).changed
    assert not courses.titrate(
        D("0.5"), step=D("0.1"), maximum=D("0.75"), response_insufficient=False, last_tolerated=True
    ).changed


@given(
    start=st.decimals(D("0.1"), D("0.75"), places=2),
    steps=st.integers(0, 20),
)
def test_property_titration_never_exceeds_the_maximum(start, steps):
    dose = start
    for _ in range(steps):
        dose = courses.titrate(
            dose, step=D("0.25"), maximum=D("0.75"), response_insufficient=True, last_tolerated=True
        ).dose
    assert dose <= D("0.75")
    assert dose >= start


def test_exposure_windows():
    doses = [(T0 - timedelta(days=d), D("35")) for d in (0, 2, 29, 31, 200, 400)]
    e = courses.exposure(doses, T0)
    assert (e.sessions_30_days, e.mg_30_days) == (3, D("105"))
    assert (e.sessions_365_days, e.mg_365_days) == (5, D("175"))
    assert (e.sessions_total, e.mg_total) == (6, D("210"))


def test_caps_breached_at_the_ninth_session_in_thirty_days():
    doses = [(T0 + timedelta(days=3 * i), D("40")) for i in range(9)]  # 9 sessions in 24 days
    breaches = courses.cap_breaches(doses, max_sessions_per_30_days=8, max_mg_per_30_days=D("600"))
    assert len(breaches) == 1 and breaches[0].sessions == 9
    assert (
        courses.cap_breaches(doses[:8], max_sessions_per_30_days=8, max_mg_per_30_days=D("600"))
        == []
    )
    mg = courses.cap_breaches(doses, max_sessions_per_30_days=20, max_mg_per_30_days=D("320"))
    assert [b.mg for b in mg] == [D("360")]  # 8 × 40 = 320 is at the cap, not above


def _hist(*scores: int) -> list[tuple[datetime, int]]:
    return [(T0 + timedelta(days=7 * i), s) for i, s in enumerate(scores)]


def test_booster_due_when_half_the_improvement_is_lost():
    # Baseline 20, best 4 (improvement 16): 12 has lost 8 = half → due; 11 has lost 7 → not.
    assert courses.booster_status(_hist(20, 8, 4, 12), baseline=20).due
    assert not courses.booster_status(_hist(20, 8, 4, 9), baseline=20).due


def test_booster_due_when_back_above_the_response_threshold():
    # Baseline 20, threshold 10; best 8 (improvement 12, half = 6): 11 > 10 → due via threshold.
    status = courses.booster_status(_hist(20, 8, 11), baseline=20)
    assert status.due and "response threshold" in status.reason
    assert not courses.booster_status(_hist(20, 8, 10), baseline=20).due


def test_no_booster_without_a_response_first():
    status = courses.booster_status(_hist(20, 12, 18), baseline=20)
    assert not status.due and not status.responded


def test_booster_loss_fraction_is_configurable():
    assert courses.booster_status(_hist(20, 4, 8), baseline=20, loss_fraction=D("0.25")).due
    assert not courses.booster_status(_hist(20, 4, 7), baseline=20, loss_fraction=D("0.25")).due
