"""The closed form against the matrix-exponential stepper, its guard, its lumping and its memory.

The stepper (stepper.py, the solver as shipped before the closed form) is the independent
reference: one matrix exponential per step, no eigenvalues.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_clinic.clinical.pharmacokinetics import closed_form
from ketamine_clinic.clinical.pharmacokinetics import esketamine as esk
from ketamine_clinic.clinical.pharmacokinetics.models import (
    CENTRAL,
    CLEMENTS_250,
    IM_KETAMINE,
    im_depot,
    im_system,
    iv_system,
)
from ketamine_clinic.clinical.pharmacokinetics.modes import MIN_RELATIVE_GAP, decompose
from ketamine_clinic.clinical.pharmacokinetics.norketamine import with_norketamine
from ketamine_clinic.clinical.pharmacokinetics.solver import (
    Bolus,
    Infusion,
    LinearSystem,
    simulate,
    simulate_amounts,
    with_elimination_sink,
)
from ketamine_clinic.clinical.pharmacokinetics.stepper import stepped_amounts

AGREEMENT = 1e-9  # relative to each compartment's peak (issue #15)


def random_system(draw: st.DrawFn, subjects: int) -> LinearSystem:
    """A mammillary parent (1–3 compartments), maybe an absorption depot and a metabolite pair."""
    peripherals = draw(st.integers(0, 2))
    depot = draw(st.booleans())
    metabolite = draw(st.booleans())
    rate = st.floats(1e-3, 1.0)
    volume = st.floats(1.0, 500.0)
    n_parent = 1 + peripherals
    n = n_parent + depot
    a = np.zeros((subjects, n, n))
    fraction = np.ones((subjects, n))
    v1 = np.array([draw(volume) for _ in range(subjects)])
    for s in range(subjects):
        a[s, 0, 0] = -draw(st.floats(0.01, 5.0)) / v1[s]  # CL / V1
        for p in range(1, n_parent):
            q, vp = draw(st.floats(0.01, 5.0)), draw(volume)
            a[s, 0, 0] -= q / v1[s]
            a[s, p, 0] = q / v1[s]
            a[s, 0, p] = q / vp
            a[s, p, p] = -q / vp
        if depot:
            ka = draw(rate)
            a[s, n - 1, n - 1] = -ka
            a[s, 0, n - 1] = ka
            fraction[s, n - 1] = draw(st.floats(0.1, 1.0))
    system = LinearSystem(a, fraction, CENTRAL, v1)
    if metabolite:
        system = with_norketamine(system, draw(st.floats(40.0, 120.0)))
    return system


@st.composite
def cases(draw: st.DrawFn) -> tuple[LinearSystem, list[Bolus | Infusion], np.ndarray]:
    subjects = draw(st.integers(1, 3))
    system = random_system(draw, subjects)
    targets = [CENTRAL] + ([system.compartments - 1] if system.compartments > 1 else [])
    doses: list[Bolus | Infusion] = []
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.floats(0.0, 300.0))
        target = draw(st.sampled_from(targets))
        if draw(st.booleans()):
            doses.append(Bolus(start, draw(st.floats(0.1, 100.0)), target))
        else:
            end = start + draw(st.floats(0.5, 120.0))
            doses.append(Infusion(start, end, draw(st.floats(0.01, 5.0)), target))
    step = draw(st.sampled_from([0.5, 1.0, 2.5, 7.0]))
    uniform = np.arange(0.0, draw(st.floats(60.0, 1440.0)), step)
    extra = draw(st.lists(st.floats(0.0, 1500.0), max_size=10))
    at_doses = [d.time_min if isinstance(d, Bolus) else d.end_min for d in doses]
    times = np.unique(np.concatenate([uniform, extra, at_doses]))
    return system, doses, times


def assert_agree(closed: np.ndarray, reference: np.ndarray) -> None:
    """(N, T, C) arrays agree to AGREEMENT relative to each compartment's peak.

    A compartment that (nearly) nothing reaches is held to the largest peak × 1e-3: the
    stepper's own rounding leaves 1e-21 mg in a depot that is never dosed.
    """
    peak = np.max(np.abs(reference), axis=(0, 1))
    scale = np.maximum(peak, 1e-3 * peak.max()) if peak.max() > 0 else np.ones_like(peak)
    error = np.max(np.abs(closed - reference), axis=(0, 1)) / scale
    assert np.all(error <= AGREEMENT), error


@settings(max_examples=40, deadline=None)
@given(cases())
def test_closed_form_matches_the_stepper(case) -> None:
    system, regimen, times = case
    closed = simulate_amounts(system, regimen, times)
    reference = stepped_amounts(system, regimen, times)
    assert_agree(closed, reference)
    negative = np.argwhere(closed < 0.0)
    assert negative.size == 0, (negative[:5], closed[tuple(negative[0])])  # never negative


@settings(max_examples=30, deadline=None)
@given(cases())
def test_mass_balance(case) -> None:
    # With the elimination sink (an eigenvalue 0), everything given stays in the system.
    system, regimen, times = case
    sink = with_elimination_sink(system)
    total = simulate_amounts(sink, regimen, times).sum(axis=2)
    given_mg = np.zeros((system.subjects, times.size))
    for dose in regimen:
        fraction = system.input_fraction[:, dose.compartment, None]
        if isinstance(dose, Bolus):
            given_mg += fraction * dose.amount_mg * (times >= dose.time_min)
        else:
            inside = np.clip(times, dose.start_min, dose.end_min) - dose.start_min
            given_mg += fraction * dose.rate_mg_per_min * inside
    np.testing.assert_allclose(total, given_mg, rtol=1e-9, atol=1e-9 * given_mg.max())


def test_unsorted_and_repeated_times_and_no_dose() -> None:
    system = im_system(IM_KETAMINE, 70.0)
    regimen = [Bolus(0.0, 35.0, im_depot(IM_KETAMINE)), Infusion(10.0, 30.0, 0.5, CENTRAL)]
    times = np.array([90.0, 5.0, 30.0, 5.0, -1.0, 600.0])
    closed = simulate_amounts(system, regimen, times)
    assert_agree(closed, stepped_amounts(system, regimen, times))
    assert np.all(closed[0, 4] == 0.0)  # before the first dose
    np.testing.assert_array_equal(closed[:, 1], closed[:, 3])
    assert not simulate(system, [], times).any()


def test_a_negative_dose_is_not_clamped() -> None:
    # Linearity holds for any sign: a negative bolus gives the negative curve.
    system = im_system(IM_KETAMINE, 70.0)
    times = np.arange(0.0, 200.0, 1.0)
    plus = simulate(system, [Bolus(0.0, 10.0, CENTRAL)], times)
    minus = simulate(system, [Bolus(0.0, -10.0, CENTRAL)], times)
    np.testing.assert_allclose(minus, -plus, rtol=1e-14)


def near_equal_population() -> LinearSystem:
    """Three IM subjects: ka far from, 1e-8 from and equal to the slow disposition rate."""
    one = im_system(IM_KETAMINE, 70.0)
    slow = float(np.max(np.linalg.eigvals(one.a[0, :2, :2]).real))  # −λz of Clements250
    a = np.repeat(one.a, 3, axis=0)
    depot = im_depot(IM_KETAMINE)
    for s, ka in enumerate([0.15, -slow * (1 + 1e-8), -slow]):
        a[s, depot, depot] = -ka
        a[s, CENTRAL, depot] = ka
    return LinearSystem(
        a, np.repeat(one.input_fraction, 3, axis=0), CENTRAL, np.repeat(one.volume_l, 3)
    )


def test_near_equal_rates_are_stepped_exactly() -> None:
    # ka = λz makes A defective (a Jordan block): no eigenvector basis, so no closed form here;
    # 1e-8 apart the basis exists but is ill-conditioned. Both subjects are stepped instead.
    system = near_equal_population()
    modes = decompose(system.a)[1]
    assert modes.exact.tolist() == [True, False, False]
    regimen = [Bolus(0.0, 35.0, im_depot(IM_KETAMINE)), Infusion(60.0, 100.0, 0.3, CENTRAL)]
    times = np.arange(0.0, 1441.0, 1.0)
    closed = simulate_amounts(system, regimen, times)
    assert np.all(np.isfinite(closed))
    assert_agree(closed, stepped_amounts(system, regimen, times))
    # The nearly equal and the equal subject give nearly equal curves (continuity in ka).
    central = closed[:, :, CENTRAL]
    np.testing.assert_allclose(central[1], central[2], rtol=1e-6, atol=1e-9)


def test_the_gap_guard_bound() -> None:
    # Just above the bound the closed form is used, and still agrees with the stepper.
    one = im_system(IM_KETAMINE, 70.0)
    slow = float(np.max(np.linalg.eigvals(one.a[0, :2, :2]).real))
    a = one.a.copy()
    depot = im_depot(IM_KETAMINE)
    ka = -slow * (1 + 2 * MIN_RELATIVE_GAP)
    a[0, depot, depot], a[0, CENTRAL, depot] = -ka, ka
    system = LinearSystem(a, one.input_fraction, CENTRAL, one.volume_l)
    assert decompose(system.a)[1].exact.tolist() == [True]
    regimen = [Bolus(0.0, 35.0, depot)]
    times = np.arange(0.0, 1441.0, 0.5)
    assert_agree(simulate_amounts(system, regimen, times), stepped_amounts(system, regimen, times))


def test_identical_depots_are_lumped_unless_read() -> None:
    # Esketamine's 1st and later devices have separate depots with identical kinetics.
    system, _ = esk.esketamine_population(20, seed=3)
    regimen = esk.intranasal_regimen(84)
    inputs = closed_form.Inputs.of(regimen, system)
    lumped = closed_form.lump(system.a, inputs, [esk.CENTRAL])
    assert lumped.a.shape[1:] == (8, 8)  # NASAL_LATER into NASAL_FIRST, GUT_LATER into GUT_FIRST
    assert esk.NASAL_LATER not in lumped.index and esk.GUT_LATER not in lumped.index
    kept = closed_form.lump(system.a, inputs, [esk.CENTRAL, esk.NASAL_LATER])
    assert esk.NASAL_LATER in kept.index and kept.a.shape[1] == 9
    times = np.arange(0.0, 600.0, 1.0)
    one = simulate_amounts(system, regimen, times, keep=[esk.CENTRAL])
    both = simulate_amounts(system, regimen, times, keep=[esk.CENTRAL, esk.NASAL_LATER])
    np.testing.assert_allclose(one[:, :, 0], both[:, :, 0], atol=1e-12 * one.max())
    reference = stepped_amounts(system, regimen, times, keep=[esk.CENTRAL, esk.NASAL_LATER])
    assert_agree(both, reference)


def test_esketamine_structure_uses_the_symmetric_solver() -> None:
    system = esk.esketamine_system()
    structure, modes = decompose(system.a)
    # Depots first (each alone), then the parent with its liver, then noresketamine.
    assert structure.blocks[-2:] == (
        (esk.CENTRAL, esk.PERIPHERAL_1, esk.PERIPHERAL_2, esk.LIVER),
        (esk.NOR_CENTRAL, esk.NOR_PERIPHERAL),
    )
    np.testing.assert_allclose(
        np.sort(modes.rates[0]), np.sort(np.linalg.eigvals(system.a[0]).real), rtol=1e-12
    )
    np.testing.assert_allclose(
        modes.right[0] @ np.diag(modes.rates[0]) @ modes.left[0], system.a[0], atol=1e-15
    )


def test_working_memory_stays_beside_the_output() -> None:
    # 4,000 subjects × 1,441 times × 2 compartments: 92 MB of output. The working memory is per
    # chunk of subjects (a few MB) plus the inputs, O(subjects × compartments).
    system, _ = esk.esketamine_population(4000, seed=1)
    times = np.arange(0.0, 1441.0, 1.0)
    tracemalloc.start()
    out = simulate_amounts(system, esk.intranasal_regimen(84), times, keep=[0, esk.NOR_CENTRAL])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert out.nbytes == 4000 * 1441 * 2 * 8
    assert peak - out.nbytes < 12e6


@pytest.mark.parametrize("chunk", [1, 7])
def test_chunks_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    system, _ = esk.esketamine_population(15, seed=4)
    regimen = esk.intranasal_regimen(56)
    times = np.arange(0.0, 300.0, 1.0)
    whole = simulate_amounts(system, regimen, times, keep=[0, esk.NOR_CENTRAL])
    monkeypatch.setattr(closed_form, "CHUNK_SUBJECTS", chunk)
    chunked = simulate_amounts(system, regimen, times, keep=[0, esk.NOR_CENTRAL])
    assert_agree(chunked, whole)  # only the order of rounding differs


def test_the_published_check_point_is_unchanged() -> None:
    # PK ref §0: 177 ng/mL at the end of 0.5 mg/kg over 40 min (70 kg), as the stepper gave.
    system = with_norketamine(iv_system(CLEMENTS_250, 70.0), 70.0)
    regimen = [Infusion(0.0, 40.0, 35.0 / 40.0, CENTRAL)]
    times = np.array([20.0, 40.0, 85.0, 600.0])
    closed = simulate_amounts(system, regimen, times)
    reference = stepped_amounts(system, regimen, times)
    np.testing.assert_allclose(closed, reference, rtol=1e-12)
    assert closed[0, 1, CENTRAL] / system.volume_l[0] * 1000 == pytest.approx(177.3, abs=0.1)
