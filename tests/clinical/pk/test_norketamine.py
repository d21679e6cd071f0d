"""Norketamine surrogate (Otto 2021 S-norketamine disposition, fm = 1; PK ref §1.2(a), §5.3)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
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
from ketamine_clinic.clinical.pharmacokinetics.norketamine import (
    OTTO_2021_NORKETAMINE_IIV,
    OTTO_2021_SURROGATE,
    SURROGATE_LABEL,
    norketamine_central,
    norketamine_ng_per_ml,
    norketamine_volume_l,
    sample_norketamine_factors,
    with_norketamine,
)
from ketamine_clinic.clinical.pharmacokinetics.population import OTTO_2021, sample_factors
from ketamine_clinic.clinical.pharmacokinetics.solver import (
    Bolus,
    Infusion,
    LinearSystem,
    Regimen,
    simulate,
    simulate_amounts,
    with_elimination_sink,
)

WT = 70.0
INFUSION = [Infusion(0.0, 40.0, 0.5 * WT / 40.0, CENTRAL)]  # 0.5 mg/kg over 40 min
IM_DOSE = [Bolus(0.0, 0.5 * WT, im_depot(IM_KETAMINE))]  # 0.5 mg/kg IM
TIMES = np.array([0.0, 5.0, 20.0, 40.0, 41.0, 60.0, 85.0, 120.0, 240.0, 600.0])


def clements() -> LinearSystem:
    return with_norketamine(iv_system(CLEMENTS_250, WT), WT)


def norketamine(system: LinearSystem, regimen: Regimen, times: np.ndarray) -> np.ndarray:
    amounts = simulate_amounts(system, regimen, times)
    volume = norketamine_volume_l(WT, n=system.subjects)
    return norketamine_ng_per_ml(amounts, system, volume)


def test_layout_and_label() -> None:
    iv, im = clements(), with_norketamine(im_system(IM_KETAMINE, WT), WT)
    assert (iv.compartments, norketamine_central(iv)) == (4, 2)
    assert (im.compartments, norketamine_central(im)) == (5, 3)
    assert im.a[0, 3, im_depot(IM_KETAMINE)] == 0.0  # the depot eliminates nothing
    assert iv.input_fraction[0].tolist() == [1.0, 1.0, 0.0, 0.0]
    assert im.observed == CENTRAL and im.volume_l[0] == pytest.approx(1.7522 * WT)
    assert "surrogate" in SURROGATE_LABEL


def test_peak_85_to_90_min_after_a_40_min_infusion() -> None:
    # PK ref §5.3 [computed]: peak "≈85–90 min" from the start. Read as whole minutes, the
    # tolerance is 84.5 ≤ Tmax < 90.5; the grid step (0.01 min) is far below that.
    times = np.arange(40.0, 150.0, 0.01)
    c = norketamine(clements(), INFUSION, times)[0]
    tmax = times[np.argmax(c)]
    assert 84.5 <= tmax < 90.5
    assert tmax == pytest.approx(84.56, abs=0.02)  # our value (Clements parent)
    assert c.max() == pytest.approx(69.8, abs=0.1)


def test_mass_balance_with_sink() -> None:
    for system, regimen, absorbed in (
        (clements(), INFUSION, 0.5 * WT),
        (with_norketamine(im_system(IM_KETAMINE, WT), WT), IM_DOSE, 0.93 * 0.5 * WT),
        (with_norketamine(iv_system(DOMINO, WT), WT), INFUSION, 0.5 * WT),
    ):
        amounts = simulate_amounts(with_elimination_sink(system), regimen, TIMES)
        given = np.minimum(TIMES, 40.0) / 40.0 * 0.5 * WT if regimen is INFUSION else absorbed
        np.testing.assert_allclose(amounts[0].sum(axis=1), given, rtol=1e-9, atol=1e-9)


def test_formation_from_every_eliminating_parent_compartment() -> None:
    # Synthetic parent: compartment 1 also eliminates (0.02/min) besides returning to 0.
    a = np.array([[[-0.05, 0.03], [0.01, -0.05]]])
    parent = LinearSystem(a, np.ones((1, 2)), 0, np.array([10.0]))
    system = with_norketamine(parent, WT)
    np.testing.assert_allclose(system.a[0, 2, :2], [0.04, 0.02])
    amounts = simulate_amounts(with_elimination_sink(system), [Bolus(0.0, 5.0, 1)], TIMES)
    np.testing.assert_allclose(amounts[0].sum(axis=1), 5.0, rtol=1e-12)
    auc = -np.linalg.solve(system.a[0], np.array([0.0, 5.0, 0.0, 0.0]))
    assert auc[2] / norketamine_volume_l(WT)[0] == pytest.approx(5.0 / (57.7 / 60.0))


def test_all_parent_clearance_forms_norketamine() -> None:
    # fm = 1 and no mass conversion: AUC of norketamine = dose / CL_norketamine (bolus, AUC =
    # −A⁻¹·x0 per compartment).
    system = clements()
    auc_mg_min = -np.linalg.solve(system.a[0], np.array([10.0, 0.0, 0.0, 0.0]))
    auc_mg_min_per_l = auc_mg_min[2] / norketamine_volume_l(WT)[0]
    assert auc_mg_min_per_l == pytest.approx(10.0 / (57.7 / 60.0), rel=1e-12)


def test_fm_zero_and_the_parent_is_unchanged() -> None:
    plain = iv_system(CLEMENTS_250, WT)
    no_metabolite = dataclasses.replace(OTTO_2021_SURROGATE, fraction_metabolised=0.0)
    zero = with_norketamine(plain, WT, no_metabolite)
    assert np.all(norketamine(zero, INFUSION, TIMES) == 0.0)
    for system in (zero, clements()):
        np.testing.assert_allclose(
            simulate(system, INFUSION, TIMES), simulate(plain, INFUSION, TIMES), rtol=1e-10
        )
    im_plain = im_system(IM_KETAMINE, WT)
    np.testing.assert_allclose(
        simulate(with_norketamine(im_plain, WT), IM_DOSE, TIMES),
        simulate(im_plain, IM_DOSE, TIMES),
        rtol=1e-10,
    )


def reference_amounts(system: LinearSystem, regimen: Regimen, times: np.ndarray) -> np.ndarray:
    """solve_ivp (LSODA, tight tolerances) piecewise: 0, the infusion end, then `times`."""
    a, frac = system.a[0], system.input_fraction[0]
    x = np.zeros(a.shape[0])
    for dose in regimen:
        if isinstance(dose, Bolus):
            x[dose.compartment] += dose.amount_mg * frac[dose.compartment]
    out, t0 = [], 0.0
    for t in times:
        for lo, hi in ((t0, min(t, 40.0)), (max(t0, 40.0), t)):
            if hi <= lo:
                continue
            b = np.zeros_like(x)
            for dose in regimen:
                if isinstance(dose, Infusion) and dose.start_min <= lo < dose.end_min:
                    b[dose.compartment] += dose.rate_mg_per_min * frac[dose.compartment]
            sol = solve_ivp(
                lambda _t, y, b=b: a @ y + b, (lo, hi), x, method="LSODA", rtol=1e-11, atol=1e-12
            )
            x = sol.y[:, -1]
        out.append(x.copy())
        t0 = t
    return np.array(out)


@pytest.mark.parametrize(
    ("system", "regimen"),
    [
        (with_norketamine(iv_system(CLEMENTS_250, WT), WT), INFUSION),
        (with_norketamine(im_system(IM_KETAMINE, WT), WT), IM_DOSE),
    ],
    ids=["clements-infusion", "im-injection"],
)
def test_exact_solver_matches_solve_ivp(system: LinearSystem, regimen: Regimen) -> None:
    exact = simulate_amounts(system, regimen, TIMES)[0]
    np.testing.assert_allclose(exact, reference_amounts(system, regimen, TIMES), atol=1e-7)


@pytest.mark.parametrize("weight", [50.0, 100.0])
def test_weight_scaling(weight: float) -> None:
    # PK ref §1.2(a): V × (WT/70), CL × (WT/70)^0.75; Vp and Q not weight-scaled.
    a = with_norketamine(iv_system(CLEMENTS_250, weight), weight).a[0]
    v, cl = 98.6 * weight / 70.0, 57.7 / 60.0 * (weight / 70.0) ** 0.75
    q, vp = 42.8 / 60.0, 160.0
    assert norketamine_volume_l(weight)[0] == pytest.approx(v, rel=1e-12)
    assert a[2, 2] == pytest.approx(-(cl + q) / v, rel=1e-12)
    assert a[3, 2] == pytest.approx(q / v, rel=1e-12)
    assert a[2, 3] == pytest.approx(q / vp, rel=1e-12)
    assert a[3, 3] == pytest.approx(-q / vp, rel=1e-12)
    assert a[2, 0] == pytest.approx(0.0109, rel=1e-12)  # formation = Clements k10 (fm = 1)
    assert a[2, 1] == 0.0


def test_factors_act_per_subject() -> None:
    parent_cl = np.array([1.0, 1.2, 0.8])
    cl_f, v_f = np.array([1.0, 2.0, 0.5]), np.array([1.0, 1.0, 1.5])
    parent = iv_system(CLEMENTS_250, WT, 3, cl_factor=parent_cl)
    system = with_norketamine(parent, WT, cl_factor=cl_f, v_factor=v_f)
    amounts = simulate_amounts(system, INFUSION, TIMES)
    c = norketamine_ng_per_ml(amounts, system, norketamine_volume_l(WT, v_factor=v_f, n=3))
    for i in range(3):
        one = with_norketamine(
            iv_system(CLEMENTS_250, WT, 1, cl_factor=parent_cl[i : i + 1]),
            WT,
            cl_factor=cl_f[i : i + 1],
            v_factor=v_f[i : i + 1],
        )
        volume = norketamine_volume_l(WT, v_factor=v_f[i : i + 1])
        expected = norketamine_ng_per_ml(simulate_amounts(one, INFUSION, TIMES), one, volume)
        np.testing.assert_allclose(c[i], expected[0], rtol=1e-10)
    cl = 57.7 / 60.0 * cl_f[1]
    assert system.a[1, 2, 2] == pytest.approx(-(cl + 42.8 / 60.0) / 98.6, rel=1e-12)


def test_linearity() -> None:
    double = [Infusion(0.0, 40.0, 2 * 0.5 * WT / 40.0, CENTRAL)]
    np.testing.assert_allclose(
        norketamine(clements(), double, TIMES), 2 * norketamine(clements(), INFUSION, TIMES)
    )


def test_population_factors() -> None:
    n = 200_000
    cl, v = sample_norketamine_factors(n, seed=7)
    again = sample_norketamine_factors(n, seed=7)
    assert np.array_equal(cl, again[0]) and np.array_equal(v, again[1])
    assert not np.array_equal(cl, sample_norketamine_factors(n, seed=8)[0])
    w = OTTO_2021_NORKETAMINE_IIV
    cov = np.cov(np.log(cl), np.log(v))
    # Tolerance 5 standard errors of the normal-theory estimators: var(s²) = 2σ⁴/(n−1),
    # var(s12) ≈ (σ1²σ2² + σ12²)/n.
    se_cl = w.omega2_cl * np.sqrt(2 / (n - 1))
    se_v = w.omega2_v * np.sqrt(2 / (n - 1))
    se_cov = np.sqrt((w.omega2_cl * w.omega2_v + w.covariance_cl_v**2) / n)
    assert abs(cov[0, 0] - w.omega2_cl) < 5 * se_cl
    assert abs(cov[1, 1] - w.omega2_v) < 5 * se_v
    assert abs(cov[0, 1] - w.covariance_cl_v) < 5 * se_cov
    # median 1: SE of a sample median of log factors ≈ 1.2533·σ/√n
    assert abs(np.median(np.log(cl))) < 5 * 1.2533 * np.sqrt(w.omega2_cl / n)
    # independent of the parent's stream for the same seed (|r| < 5/√n)
    parent = sample_factors(n, OTTO_2021, seed=7)
    assert abs(np.corrcoef(np.log(parent.cl), np.log(cl))[0, 1]) < 5 / np.sqrt(n)


def test_im_injection_values() -> None:
    im = with_norketamine(im_system(IM_KETAMINE, WT), WT)
    times = np.arange(0.0, 200.0, 0.01)
    c = norketamine(im, IM_DOSE, times)[0]
    assert times[np.argmax(c)] == pytest.approx(69.27, abs=0.02)
    assert c.max() == pytest.approx(65.3, abs=0.1)
