"""Benchmark (a script, not a test): 10,000 virtual subjects × 24 h at 1-min resolution.

Two models, each run by the exact vectorised solver on all subjects and by a per-subject
`scipy.integrate.solve_ivp` loop (LSODA, rtol 1e-8, atol 1e-10, t_eval on the same grid, split
at every input-change time) on a small sample in the same process, whose time is extrapolated
linearly to all subjects (the per-subject cost hardly depends on the subject):

1. Clements250 IV, 0.5 mg/kg over 40 min at 70 kg, with the default (borrowed Otto 2021)
   between-subject variability.
2. Intranasal esketamine (Perez-Ruixo 2021), 84 mg: 3 devices 5 min apart, each a nasal bolus
   plus its swallowed part as a zero-order infusion over Dsw, with the Perez-Ruixo 2021 Table 3
   between-subject variability; the full system including noresketamine (10 compartments), and
   both the esketamine and the noresketamine concentrations are computed.

Run: .venv/bin/python bench/pk_bench.py [--subjects 10000] [--ivp-sample 50]
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp

from ketamine_clinic.clinical.pharmacokinetics import esketamine as esk
from ketamine_clinic.clinical.pharmacokinetics.models import CENTRAL, CLEMENTS_250
from ketamine_clinic.clinical.pharmacokinetics.population import population_system
from ketamine_clinic.clinical.pharmacokinetics.solver import (
    Bolus,
    Infusion,
    LinearSystem,
    Regimen,
    simulate,
    simulate_amounts,
)

WEIGHT_KG = 70.0
DOSE_MG = 0.5 * WEIGHT_KG
INFUSION_MIN = 40.0
ESKETAMINE_DOSE_MG = 84.0
SEED = 2026
RTOL, ATOL = 1e-8, 1e-10


def ivp_amounts(
    a: np.ndarray, fraction: np.ndarray, regimen: Regimen, times: np.ndarray
) -> np.ndarray:
    """Amounts (len(times), n) of one subject by LSODA, split at every input-change time."""
    n = a.shape[0]
    changes = {t for d in regimen if isinstance(d, Bolus) for t in (d.time_min,)}
    changes |= {t for d in regimen if isinstance(d, Infusion) for t in (d.start_min, d.end_min)}
    events = sorted({float(times[0]), float(times[-1])} | changes)
    out = np.empty((times.size, n))
    x = np.zeros(n)
    for t0, t1 in itertools.pairwise(events):
        rate = np.zeros(n)
        for dose in regimen:
            if isinstance(dose, Bolus) and dose.time_min == t0:
                x[dose.compartment] += dose.amount_mg * fraction[dose.compartment]
            elif isinstance(dose, Infusion) and dose.start_min <= t0 < dose.end_min:
                rate[dose.compartment] += dose.rate_mg_per_min * fraction[dose.compartment]
        inside = (times >= t0) & (times < t1)
        solution = solve_ivp(
            lambda _t, y, rate=rate: a @ y + rate,
            (t0, t1),
            x,
            method="LSODA",
            rtol=RTOL,
            atol=ATOL,
            t_eval=np.append(times[inside], t1),
        )
        out[inside] = solution.y[:, :-1].T
        x = solution.y[:, -1]
    out[times == events[-1]] = x
    return out


def report(
    name: str,
    subjects: int,
    points: int,
    exact_s: float,
    sample: int,
    ivp_s: float,
    differences: dict[str, float],
) -> None:
    extrapolated = ivp_s / sample * subjects
    print(f"{name}")
    print(f"  exact solver: {subjects} subjects × {points} times: {exact_s:.3f} s")
    print(
        f"  solve_ivp loop: {sample} subjects in {ivp_s:.3f} s; linear extrapolation to "
        f"{subjects} subjects: {extrapolated:.1f} s"
    )
    print(f"  speed-up (extrapolated solve_ivp / exact): {extrapolated / exact_s:.0f}×")
    for label, value in differences.items():
        print(f"  max |difference| on the sample, {label}: {value:.2e} ng/mL")


def timed(function: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def bench_clements(subjects: int, ivp_sample: int, times: np.ndarray) -> None:
    regimen: Regimen = [Infusion(0.0, INFUSION_MIN, DOSE_MG / INFUSION_MIN, CENTRAL)]
    system = population_system(CLEMENTS_250, WEIGHT_KG, subjects, seed=SEED)
    conc, exact_s = timed(lambda: simulate(system, regimen, times))
    sample = min(ivp_sample, subjects)

    def loop() -> np.ndarray:
        return np.array(
            [
                ivp_amounts(system.a[i], system.input_fraction[i], regimen, times)[:, CENTRAL]
                / system.volume_l[i]
                * 1000.0
                for i in range(sample)
            ]
        )

    ivp, ivp_s = timed(loop)
    difference = float(np.max(np.abs(ivp - conc[:sample])))
    name = "Clements250 IV, 0.5 mg/kg over 40 min, 70 kg, Otto 2021 IIV (borrowed)"
    report(name, subjects, times.size, exact_s, sample, ivp_s, {"ketamine": difference})


KEPT = [esk.CENTRAL, esk.NOR_CENTRAL]  # the exact solver stores only what is read


def esketamine_concentrations(
    system: LinearSystem, vcn_l: np.ndarray, kept: np.ndarray
) -> np.ndarray:
    """(2, N, T): esketamine and noresketamine in ng/mL from the KEPT amounts (N, T, 2)."""
    parent = kept[:, :, 0] / system.volume_l[:, None] * 1000.0
    metabolite = kept[:, :, 1] / vcn_l[:, None] * 1000.0
    return np.stack([parent, metabolite])


def bench_esketamine(subjects: int, ivp_sample: int, times: np.ndarray) -> None:
    regimen = esk.intranasal_regimen(ESKETAMINE_DOSE_MG)  # 3 devices, 0, 5 and 10 min
    start = time.perf_counter()
    system, vcn_l = esk.esketamine_population(subjects, seed=SEED)
    build_s = time.perf_counter() - start
    conc, exact_s = timed(
        lambda: esketamine_concentrations(
            system, vcn_l, simulate_amounts(system, regimen, times, keep=KEPT)
        )
    )
    sample = min(ivp_sample, subjects)

    def loop() -> np.ndarray:
        amounts = np.array(
            [
                ivp_amounts(system.a[i], system.input_fraction[i], regimen, times)
                for i in range(sample)
            ]
        )
        sampled = LinearSystem(
            system.a[:sample], system.input_fraction[:sample], esk.CENTRAL, system.volume_l[:sample]
        )
        return esketamine_concentrations(sampled, vcn_l[:sample], amounts[:, :, KEPT])

    ivp, ivp_s = timed(loop)
    differences = {
        label: float(np.max(np.abs(ivp[k] - conc[k, :sample])))
        for k, label in enumerate(("esketamine", "noresketamine"))
    }
    name = (
        "Esketamine intranasal 84 mg (3 devices 5 min apart), Perez-Ruixo 2021 IIV, "
        f"{system.compartments} compartments with noresketamine"
    )
    report(name, subjects, times.size, exact_s, sample, ivp_s, differences)
    print(f"  building the {subjects}-subject system (vectorised): {build_s:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--ivp-sample", type=int, default=50)
    args = parser.parse_args()
    times = np.arange(0.0, 24 * 60 + 1, 1.0)  # 1441 points, 0–24 h every minute
    bench_clements(args.subjects, args.ivp_sample, times)
    bench_esketamine(args.subjects, args.ivp_sample, times)


if __name__ == "__main__":
    main()
