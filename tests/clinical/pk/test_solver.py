"""The exact solver against solve_ivp, mass balance, linearity and superposition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from ketamine_clinic.clinical.pharmacokinetics.models import (
    CENTRAL,
    CLEMENTS_250,
    DOMINO,
    IM_KETAMINE,
    im_depot,
    im_system,
    iv_system,
)
from ketamine_clinic.clinical.pharmacokinetics.population import (
    percentiles,
    population_system,
)
from ketamine_clinic.clinical.pharmacokinetics.solver import (
    Bolus,
    Infusion,
    simulate,
    simulate_amounts,
    with_elimination_sink,
)

TIMES = np.array([0.0, 1.0, 5.0, 20.0, 40.0, 41.0, 80.0, 110.0, 230.0, 600.0])


def reference_ivp(system, regimen, times):
    """Integrate the ODE piecewise between input changes with tight tolerances."""
    a, frac = system.a[0], system.input_fraction[0]
    n = a.shape[0]
    breaks = sorted(
        {0.0, *times}
        | {d.time_min for d in regimen if isinstance(d, Bolus)}
        | {t for d in regimen if isinstance(d, Infusion) for t in (d.start_min, d.end_min)}
    )
    x = np.zeros(n)
    out = {}
    for i, t in enumerate(breaks):
        if i:
            t0 = breaks[i - 1]
            rate = np.zeros(n)
            for d in regimen:
                if isinstance(d, Infusion) and d.start_min <= t0 < d.end_min:
                    rate[d.compartment] += d.rate_mg_per_min
            b = frac * rate
            sol = solve_ivp(
                lambda _t, y: a @ y + b, (t0, t), x, method="LSODA", rtol=1e-10, atol=1e-12
            )
            x = sol.y[:, -1]
        for d in regimen:
            if isinstance(d, Bolus) and d.time_min == t:
                x[d.compartment] += d.amount_mg * frac[d.compartment]
        out[t] = x.copy()
    return np.array([out[t][system.observed] for t in times]) / system.volume_l[0] * 1000


doses = st.one_of(
    st.builds(lambda t, a: Bolus(float(t), a, "x"), st.integers(0, 300), st.floats(0.1, 100)),
    st.builds(
        lambda s, d, r: Infusion(float(s), float(s + d), r, "x"),
        st.integers(0, 300),
        st.integers(1, 120),
        st.floats(0.01, 5),
    ),
)


def place(dose, compartment):
    if isinstance(dose, Bolus):
        return Bolus(dose.time_min, dose.amount_mg, compartment)
    return Infusion(dose.start_min, dose.end_min, dose.rate_mg_per_min, compartment)


@settings(max_examples=15, deadline=None)
@given(
    st.lists(doses, min_size=1, max_size=4),
    st.sampled_from(["clements", "domino", "im"]),
    st.floats(40, 120),
)
def test_exact_solution_matches_solve_ivp(regimen, which, weight) -> None:
    if which == "im":
        system = im_system(IM_KETAMINE, weight)
        regimen = [place(d, im_depot(IM_KETAMINE)) for d in regimen]
    else:
        system = iv_system(CLEMENTS_250 if which == "clements" else DOMINO, weight)
        regimen = [place(d, CENTRAL) for d in regimen]
    exact = simulate(system, regimen, TIMES)[0]
    ref = reference_ivp(system, regimen, TIMES)
    np.testing.assert_allclose(exact, ref, rtol=1e-6, atol=1e-6)


def test_mass_balance() -> None:
    system = with_elimination_sink(im_system(IM_KETAMINE, 70.0))
    regimen = [
        Bolus(0.0, 35.0, im_depot(IM_KETAMINE)),
        Bolus(100.0, 10.0, CENTRAL),
        Infusion(30.0, 70.0, 0.5, 1),
    ]
    amounts = simulate_amounts(system, regimen, TIMES).sum(axis=2)[0]
    given_mg = np.array(
        [0.93 * 35.0 * (t >= 0) + 10.0 * (t >= 100) + 0.5 * np.clip(t - 30.0, 0, 40) for t in TIMES]
    )
    np.testing.assert_allclose(amounts, given_mg, rtol=1e-10, atol=1e-10)


def test_linearity_superposition_and_zero() -> None:
    system = iv_system(CLEMENTS_250, 70.0)
    one = [Infusion(0.0, 40.0, 0.875, CENTRAL)]
    other = [Bolus(60.0, 10.0, CENTRAL)]
    double = [Infusion(0.0, 40.0, 1.75, CENTRAL)]
    c_one, c_other = simulate(system, one, TIMES), simulate(system, other, TIMES)
    np.testing.assert_allclose(simulate(system, double, TIMES), 2 * c_one, rtol=1e-12)
    np.testing.assert_allclose(
        simulate(system, one + other, TIMES), c_one + c_other, rtol=1e-12, atol=1e-12
    )
    assert not simulate(system, [Bolus(0.0, 0.0, CENTRAL)], TIMES).any()
    assert not simulate(system, [], TIMES).any()


def test_rejects_missing_compartment() -> None:
    with pytest.raises(ValueError, match="compartment"):
        simulate(iv_system(CLEMENTS_250, 70.0), [Bolus(0.0, 1.0, 5)], TIMES)


def test_population_percentiles_ordered_and_reproducible() -> None:
    regimen = [Infusion(0.0, 40.0, 0.875, CENTRAL)]
    first = simulate(population_system(CLEMENTS_250, 70.0, 500, seed=7), regimen, TIMES)
    again = simulate(population_system(CLEMENTS_250, 70.0, 500, seed=7), regimen, TIMES)
    other = simulate(population_system(CLEMENTS_250, 70.0, 500, seed=8), regimen, TIMES)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    p = percentiles(first)
    assert np.all(p.p05 <= p.median) and np.all(p.median <= p.p95)
    assert np.all(p.p05[1:] < p.p95[1:])
    typical = simulate(iv_system(CLEMENTS_250, 70.0), regimen, TIMES)[0]
    np.testing.assert_allclose(p.median[1:], typical[1:], rtol=0.1)


def test_keep_stores_only_the_compartments_asked_for() -> None:
    system = population_system(IM_KETAMINE, 70.0, 5, seed=2)
    regimen = [Bolus(0.0, 35.0, im_depot(IM_KETAMINE)), Infusion(10.0, 30.0, 0.5, CENTRAL)]
    full = simulate_amounts(system, regimen, TIMES)
    kept = simulate_amounts(system, regimen, TIMES, keep=[2, CENTRAL])
    assert kept.shape == (5, TIMES.size, 2)
    np.testing.assert_array_equal(kept[:, :, 0], full[:, :, 2])  # the depot, as asked
    np.testing.assert_array_equal(kept[:, :, 1], full[:, :, CENTRAL])
    with pytest.raises(ValueError, match="does not exist"):
        simulate_amounts(system, regimen, TIMES, keep=[3])
