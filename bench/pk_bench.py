"""Benchmark (a script, not a test): 10,000 virtual subjects × 24 h at 1-min resolution.

Model: Clements250 IV, 0.5 mg/kg over 40 min at 70 kg, with the default (borrowed Otto 2021)
between-subject variability. The exact vectorised solver runs on all subjects; a per-subject
`scipy.integrate.solve_ivp` loop (LSODA, rtol 1e-8, atol 1e-10, t_eval on the same grid, split
at the end of the infusion) runs on a small sample in the same process, and its time is
extrapolated linearly to 10,000 subjects (per-subject cost is independent of the subject).

Run: .venv/bin/python bench/pk_bench.py [--subjects 10000] [--ivp-sample 50]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.integrate import solve_ivp

from ketamine_clinic.clinical.pharmacokinetics.models import CENTRAL, CLEMENTS_250
from ketamine_clinic.clinical.pharmacokinetics.population import population_system
from ketamine_clinic.clinical.pharmacokinetics.solver import Infusion, simulate

WEIGHT_KG = 70.0
DOSE_MG = 0.5 * WEIGHT_KG
INFUSION_MIN = 40.0


def ivp_one(a: np.ndarray, v1: float, times: np.ndarray) -> np.ndarray:
    rate = np.zeros(a.shape[0])
    rate[CENTRAL] = DOSE_MG / INFUSION_MIN
    during = times[times <= INFUSION_MIN]
    after = times[times >= INFUSION_MIN]
    first = solve_ivp(
        lambda _t, y: a @ y + rate,
        (0.0, INFUSION_MIN),
        np.zeros(a.shape[0]),
        method="LSODA",
        rtol=1e-8,
        atol=1e-10,
        t_eval=during,
    )
    second = solve_ivp(
        lambda _t, y: a @ y,
        (INFUSION_MIN, times[-1]),
        first.y[:, -1],
        method="LSODA",
        rtol=1e-8,
        atol=1e-10,
        t_eval=after,
    )
    amounts = np.concatenate([first.y[CENTRAL], second.y[CENTRAL][1:]])
    return amounts / v1 * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--ivp-sample", type=int, default=50)
    args = parser.parse_args()
    times = np.arange(0.0, 24 * 60 + 1, 1.0)  # 1441 points, 0–24 h every minute
    regimen = [Infusion(0.0, INFUSION_MIN, DOSE_MG / INFUSION_MIN, CENTRAL)]
    system = population_system(CLEMENTS_250, WEIGHT_KG, args.subjects, seed=2026)

    start = time.perf_counter()
    conc = simulate(system, regimen, times)
    exact_s = time.perf_counter() - start

    sample = min(args.ivp_sample, args.subjects)
    start = time.perf_counter()
    ivp = np.array([ivp_one(system.a[i], system.volume_l[i], times) for i in range(sample)])
    ivp_s = time.perf_counter() - start
    ivp_extrapolated = ivp_s / sample * args.subjects
    max_diff = float(np.max(np.abs(ivp - conc[:sample])))

    print(f"exact solver: {args.subjects} subjects × {times.size} times: {exact_s:.3f} s")
    print(
        f"solve_ivp loop: {sample} subjects in {ivp_s:.3f} s; linear extrapolation to "
        f"{args.subjects} subjects: {ivp_extrapolated:.1f} s"
    )
    print(f"speed-up (extrapolated solve_ivp / exact): {ivp_extrapolated / exact_s:.0f}×")
    print(f"max |difference| on the sample: {max_diff:.2e} ng/mL")


if __name__ == "__main__":
    main()
