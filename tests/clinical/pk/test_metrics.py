"""Exposure metrics from the closed form, against independent references.

AUC 0–∞ against −A⁻¹·(total input) (the integral of a linear system's solution); Cmax, Tmax and
the threshold times against a fine grid stepped by matrix exponentials.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_clinic.clinical.pharmacokinetics import esketamine as esk
from ketamine_clinic.clinical.pharmacokinetics.metrics import (
    concentrations_and_exposure,
    exposure,
)
from ketamine_clinic.clinical.pharmacokinetics.models import (
    CENTRAL,
    CLEMENTS_250,
    DOMINO,
    IM_KETAMINE,
    im_depot,
    im_system,
    iv_system,
)
from ketamine_clinic.clinical.pharmacokinetics.solver import (
    Bolus,
    Infusion,
    LinearSystem,
    Regimen,
    simulate,
)
from ketamine_clinic.clinical.pharmacokinetics.stepper import stepped_amounts
from tests.clinical.pk.test_closed_form import near_equal_population

FINE_STEP = 0.025


def auc_reference(system: LinearSystem, regimen: Regimen) -> np.ndarray:
    """∫₀^∞ C dt = −(A⁻¹·D)_observed / V, D the total amount that enters each compartment."""
    given_mg = np.zeros(system.compartments)
    for dose in regimen:
        if isinstance(dose, Bolus):
            given_mg[dose.compartment] += dose.amount_mg
        else:
            given_mg[dose.compartment] += dose.rate_mg_per_min * (dose.end_min - dose.start_min)
    entered = system.input_fraction * given_mg
    integral = -np.linalg.solve(system.a, entered[:, :, None])[:, system.observed, 0]
    return np.asarray(integral / system.volume_l * 1000.0)


def fine(system: LinearSystem, regimen: Regimen, end: float) -> tuple[np.ndarray, np.ndarray]:
    times = np.arange(0.0, end, FINE_STEP)
    amounts = stepped_amounts(system, regimen, times, keep=[system.observed])[:, :, 0]
    return times, amounts / system.volume_l[:, None] * 1000.0


regimens = st.lists(
    st.one_of(
        st.builds(
            lambda t, mg: Bolus(float(t), mg, CENTRAL), st.integers(0, 120), st.floats(5, 60)
        ),
        st.builds(
            lambda s, d, r: Infusion(float(s), float(s + d), r, CENTRAL),
            st.integers(0, 120),
            st.floats(1, 60),
            st.floats(0.1, 2),
        ),
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=10, deadline=None)
@given(
    regimens, st.sampled_from(["clements", "domino", "im"]), st.floats(20.0, 300.0), st.booleans()
)
def test_metrics_match_a_fine_grid(regimen, which, threshold, first_dose_at_zero) -> None:
    if first_dose_at_zero:
        regimen = [*regimen, Bolus(0.0, 1.0, CENTRAL)]
    if which == "im":
        system = im_system(IM_KETAMINE, 70.0)
        regimen = [
            Bolus(d.time_min, d.amount_mg, im_depot(IM_KETAMINE)) if isinstance(d, Bolus) else d
            for d in regimen
        ]
    else:
        system = iv_system(CLEMENTS_250 if which == "clements" else DOMINO, 70.0)
    start = min(d.time_min if isinstance(d, Bolus) else d.start_min for d in regimen)
    end = 480.0
    result = exposure(system, regimen, threshold, horizon_min=end)
    times, conc = fine(system, regimen, end)
    conc[:, times < start] = 0.0
    np.testing.assert_allclose(result.auc_ng_min_per_ml, auc_reference(system, regimen), rtol=1e-9)
    # The exact peak is at least the grid's, and above it by no more than the grid can miss.
    slope = np.max(np.abs(np.diff(conc, axis=1))) / FINE_STEP
    assert result.cmax_ng_per_ml[0] >= conc.max() - 1e-9 * conc.max()
    assert result.cmax_ng_per_ml[0] <= conc.max() + slope * FINE_STEP
    at_tmax = simulate(system, regimen, result.tmax_min)[0, 0]
    assert at_tmax == pytest.approx(result.cmax_ng_per_ml[0], rel=1e-9)
    above = conc[0] > threshold
    assert result.time_above_min[0] == pytest.approx(above.sum() * FINE_STEP, abs=0.1)
    if above.any():
        last = times[np.flatnonzero(above)[-1]]
        if last < end - 1.0:
            assert result.time_until_below_min[0] == pytest.approx(last, abs=2 * FINE_STEP)
    else:
        assert result.time_until_below_min[0] == 0.0


def test_a_brief_peak_above_the_line_is_found() -> None:
    # Above the line only within 0.02% of Cmax around Tmax: a window far shorter than the
    # samples' spacing there. It is bracketed through the peak and timed exactly.
    system = im_system(IM_KETAMINE, 70.0)
    regimen = [Bolus(0.0, 35.0, im_depot(IM_KETAMINE))]
    peak = exposure(system, regimen)
    threshold = float(peak.cmax_ng_per_ml[0]) * (1 - 2e-4)
    result = exposure(system, regimen, threshold)
    times = np.arange(0.0, 60.0, 0.001)
    conc = simulate(system, regimen, times)[0]
    above = times[conc > threshold]
    assert 0.5 < above[-1] - above[0] < 3.0
    assert result.time_above_min[0] == pytest.approx(above[-1] - above[0], abs=0.002)
    assert result.time_until_below_min[0] == pytest.approx(above[-1], abs=0.002)
    assert result.tmax_min[0] == pytest.approx(times[np.argmax(conc)], abs=0.001)


def test_still_above_at_the_horizon_and_never_above() -> None:
    system = iv_system(CLEMENTS_250, 70.0)
    regimen = [Infusion(0.0, 600.0, 2.0, CENTRAL)]
    result = exposure(system, regimen, 100.0, horizon_min=300.0)
    assert result.time_until_below_min[0] == np.inf
    low = exposure(system, [Bolus(0.0, 1.0, CENTRAL)], 100.0)
    assert low.time_above_min[0] == 0.0 and low.time_until_below_min[0] == 0.0
    nothing = exposure(system, [], 100.0)
    assert nothing.cmax_ng_per_ml[0] == 0.0 and nothing.auc_ng_min_per_ml[0] == 0.0


def test_stepped_subjects_use_the_grid() -> None:
    # Subjects whose rates are too close for the closed form get the 0.5-min grid metrics (and
    # the exact AUC): close to those of a neighbour 1e-8 away (the first subject is exact).
    system = near_equal_population()
    regimen = [Bolus(0.0, 35.0, im_depot(IM_KETAMINE))]
    result = exposure(system, regimen, 50.0)
    np.testing.assert_allclose(result.auc_ng_min_per_ml, auc_reference(system, regimen), rtol=1e-9)
    _, conc = fine(system, regimen, 200.0)
    np.testing.assert_allclose(result.cmax_ng_per_ml, conc.max(axis=1), rtol=1e-4)
    assert abs(result.time_above_min[1] - result.time_above_min[2]) < 0.01


def test_one_pass_gives_the_same_as_two() -> None:
    system, vcn = esk.esketamine_population(40, seed=9)
    regimen = esk.intranasal_regimen(84)
    times = np.arange(0.0, 1441.0, 5.0)
    conc, metrics = concentrations_and_exposure(
        system, regimen, times, [esk.CENTRAL, esk.NOR_CENTRAL], [system.volume_l, vcn], 60.0
    )
    alone_conc = simulate(system, regimen, times)
    np.testing.assert_allclose(conc[0], alone_conc, rtol=1e-12, atol=1e-12 * alone_conc.max())
    parent = esk.esketamine_population(40, seed=9, metabolite=False)[0]
    alone = exposure(parent, regimen, 60.0)
    np.testing.assert_allclose(metrics.auc_ng_min_per_ml, alone.auc_ng_min_per_ml, rtol=1e-9)
    np.testing.assert_allclose(metrics.cmax_ng_per_ml, alone.cmax_ng_per_ml, rtol=1e-12)
    np.testing.assert_allclose(metrics.time_above_min, alone.time_above_min, atol=1e-8)
