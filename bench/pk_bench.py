"""Benchmark (a script, not a test): the PK closed form, the population and what a user waits for.

1. Bare population: 10,000 virtual subjects × 24 h at 1-min resolution (1,441 times):
   - Clements250 IV, 0.5 mg/kg over 40 min at 70 kg, Otto 2021 variability (borrowed);
   - intranasal esketamine 84 mg (Perez-Ruixo 2021, 3 devices 5 min apart), its Table 3
     variability, esketamine and noresketamine (2 × 14.4M values).
   Each is timed (CPU and wall, best of --repeat) against: the floor (allocating and writing an
   array of the same shape), a per-subject `scipy.integrate.solve_ivp` loop (LSODA, rtol 1e-8,
   atol 1e-10, split at every input change) on --ivp-sample subjects, extrapolated linearly to
   all of them, and the matrix-exponential stepper (the solver as shipped before the closed
   form) on --reference-sample subjects (default: all), whose output gives the maximum error
   (relative to the peak). The peak memory allocated beside the output is traced.
2. `predict` for 2,000 virtual patients (curve, metabolite, exposure metrics, 5–95% bands), at
   the API's densest useful grid (1,441 times) and at the explorer's (73 times, 5 min over 6 h).
3. The explorer's server work for its default form: two regimens × 300 virtual patients,
   predictions and both charts (`prediction_block`).

CPU time counts every thread. The machine is shared: compare figures of the same run.
Run: .venv/bin/python bench/pk_bench.py [--subjects 10000] [--ivp-sample 50] [--repeat 3]
(while developing, a short run: --ivp-sample 5 --reference-sample 200 --repeat 1)
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from ketamine_clinic.clinical.pharmacokinetics import esketamine as esk
from ketamine_clinic.clinical.pharmacokinetics.models import CENTRAL, CLEMENTS_250
from ketamine_clinic.clinical.pharmacokinetics.population import population_system
from ketamine_clinic.clinical.pharmacokinetics.prediction import PredictionRequest, predict
from ketamine_clinic.clinical.pharmacokinetics.solver import (
    Bolus,
    Infusion,
    LinearSystem,
    Regimen,
    concentrations,
)
from ketamine_clinic.clinical.pharmacokinetics.stepper import stepped_amounts

WEIGHT_KG = 70.0
DOSE_MG = 0.5 * WEIGHT_KG
INFUSION_MIN = 40.0
ESKETAMINE_DOSE_MG = 84.0
SEED = 2026
RTOL, ATOL = 1e-8, 1e-10
TIMES = np.arange(0.0, 24 * 60 + 1, 1.0)  # 1441 points, 0–24 h every minute


@dataclass(frozen=True)
class Timing:
    cpu_s: float
    wall_s: float

    def __str__(self) -> str:
        return f"{self.cpu_s * 1000:8.1f} ms CPU {self.wall_s * 1000:8.1f} ms wall"


def timed(function: Callable[[], Any], repeat: int) -> tuple[Any, Timing]:
    """Run `function` `repeat` times; its last result and the best CPU and wall times."""
    cpu, wall, result = np.inf, np.inf, None
    for _ in range(repeat):
        result = None  # free the previous output first: the floor allocates afresh too
        c0, w0 = time.process_time(), time.perf_counter()
        result = function()
        cpu = min(cpu, time.process_time() - c0)
        wall = min(wall, time.perf_counter() - w0)
    return result, Timing(cpu, wall)


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


@dataclass(frozen=True)
class Case:
    name: str
    short: str
    system: LinearSystem
    regimen: Regimen
    compartments: list[int]
    volumes_l: list[np.ndarray]
    labels: list[str]


def bench_population(case: Case, args: argparse.Namespace) -> dict[str, str]:
    n_sub, shape = case.system.subjects, (len(case.compartments), case.system.subjects, TIMES.size)

    def solve() -> np.ndarray:
        return concentrations(case.system, case.regimen, TIMES, case.compartments, case.volumes_l)

    conc, closed = timed(solve, args.repeat)
    _, floor = timed(lambda: np.full(shape, 1.0), args.repeat)
    del conc
    tracemalloc.start()
    conc = solve()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    beside_mb = (peak - conc.nbytes) / 1e6

    sample = min(args.ivp_sample, n_sub)

    def loop() -> np.ndarray:
        return np.array(
            [
                ivp_amounts(case.system.a[i], case.system.input_fraction[i], case.regimen, TIMES)
                for i in range(sample)
            ]
        )

    ivp, ivp_time = timed(loop, 1)
    ivp_cpu = ivp_time.cpu_s / sample * n_sub
    ivp_wall = ivp_time.wall_s / sample * n_sub
    reference_n = min(args.reference_sample, n_sub)
    stepped_system = case.system.subset(slice(0, reference_n))
    stepped, stepped_time = timed(
        lambda: stepped_amounts(stepped_system, case.regimen, TIMES, case.compartments), 1
    )
    print(case.name)
    print(f"  closed form, {n_sub} subjects × {TIMES.size} times × {len(case.compartments)}:")
    print(f"    {closed}   ({shape[0] * shape[1] * shape[2] / 1e6:.1f}M values)")
    print(f"  floor (allocate and write the same array): {floor}")
    print(f"  working memory beside the {conc.nbytes / 1e6:.0f} MB output: {beside_mb:.1f} MB")
    print(
        f"  solve_ivp loop: {sample} subjects in {ivp_time.cpu_s:.2f} s CPU; extrapolated to "
        f"{n_sub}: {ivp_cpu:.1f} s CPU, {ivp_wall:.1f} s wall → closed form "
        f"{ivp_cpu / closed.cpu_s:,.0f}× (CPU), {ivp_wall / closed.wall_s:,.0f}× (wall)"
    )
    stepper_cpu = stepped_time.cpu_s / reference_n * n_sub
    print(
        f"  matrix-exponential stepper (as shipped before): {reference_n} subjects in "
        f"{stepped_time.cpu_s:.2f} s CPU ({stepped_time.wall_s:.2f} s wall); for {n_sub}: "
        f"{stepper_cpu:.2f} s CPU → closed form {stepper_cpu / closed.cpu_s:.0f}×"
    )
    errors = []
    for k, label in enumerate(case.labels):
        reference = stepped[:, :, k] * (1000.0 / case.volumes_l[k][:reference_n, None])
        peak_value = float(np.max(reference))
        error = float(np.max(np.abs(conc[k, :reference_n] - reference))) / peak_value
        ivp_ref = ivp[:, :, case.compartments[k]] * (1000.0 / case.volumes_l[k][:sample, None])
        ivp_error = float(np.max(np.abs(conc[k, :sample] - ivp_ref))) / peak_value
        errors.append(f"{error:.1e}")
        print(
            f"  max error, {label}, relative to the peak: {error:.1e} against the stepper, "
            f"{ivp_error:.1e} against solve_ivp (its own tolerance)"
        )
    return {
        "work": f"{n_sub:,} subjects × 24 h (1-min), {case.short}",
        "time": f"{closed.cpu_s * 1000:.0f} ms CPU ({closed.wall_s * 1000:.0f} ms wall)",
        "floor": f"{floor.cpu_s * 1000:.0f} ms",
        "vs loop": f"{ivp_cpu / closed.cpu_s:,.0f}×",
        "vs stepper": f"{stepper_cpu / closed.cpu_s:.0f}×",
        "error": " / ".join(errors),
    }


def bench_predict(args: argparse.Namespace) -> list[dict[str, str]]:
    explorer = [float(t) for t in range(0, 361, 5)]
    dense = [float(t) for t in TIMES]
    rows = []
    n = args.predict_population
    print(f"predict, {n} virtual patients (curve, metabolite, metrics, bands)")
    for label, fields in (
        ("IV 0.5 mg/kg over 40 min", {"weight_kg": 70, "dose_mg_per_kg": 0.5}),
        ("esketamine 84 mg", {"drug": "esketamine", "route": "intranasal", "dose_mg": 84}),
    ):
        for grid_name, grid in (("1,441 times", dense), ("73 times (explorer)", explorer)):
            request = PredictionRequest(
                times_min=grid, population=args.predict_population, seed=1, **fields
            )
            predict(request)
            _, timing = timed(lambda request=request: predict(request), args.repeat)
            print(f"  {label}, {grid_name}: {timing}")
            rows.append(
                {
                    "work": f"`predict`, {n:,} patients, {label}, {grid_name}",
                    "time": f"{timing.cpu_s * 1000:.0f} ms CPU "
                    f"({timing.wall_s * 1000:.0f} ms wall)",
                }
            )
    return rows


def bench_explorer(args: argparse.Namespace) -> list[dict[str, str]]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketamine_clinic.settings_test")
    import django

    django.setup()
    from ketamine_clinic.pk.prediction_block import prediction_block
    from ketamine_clinic.pk.views import GRID_MIN, SEED

    print("explorer, server work for the default form (2 regimens × 300 patients, 2 charts)")
    rows = []
    for label, requests in (
        (
            "IV 0.5 vs 0.75 mg/kg",
            [
                PredictionRequest(
                    weight_kg="70",
                    dose_mg_per_kg=dose,
                    infusion_min=40,
                    times_min=GRID_MIN,
                    population=300,
                    seed=SEED,
                )
                for dose in ("0.5", "0.75")
            ],
        ),
        (
            "esketamine 56 vs 84 mg",
            [
                PredictionRequest(
                    drug="esketamine",
                    route="intranasal",
                    dose_mg=dose,
                    times_min=GRID_MIN,
                    population=300,
                    seed=SEED,
                )
                for dose in ("56", "84")
            ],
        ),
    ):
        labelled = [(str(i), r) for i, r in enumerate(requests)]
        prediction_block(labelled)
        _, total = timed(lambda labelled=labelled: prediction_block(labelled), args.repeat)
        _, solver = timed(lambda requests=requests: [predict(r) for r in requests], args.repeat)
        print(f"  {label}: {total}; of which predictions {solver}")
        rows.append(
            {
                "work": f"explorer page, server work, {label}",
                "time": f"{total.cpu_s * 1000:.0f} ms CPU ({total.wall_s * 1000:.0f} ms wall); "
                f"predictions {solver.cpu_s * 1000:.0f} ms, the rest the two SVG charts",
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--ivp-sample", type=int, default=50)
    parser.add_argument("--reference-sample", type=int, default=10_000)
    parser.add_argument("--predict-population", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    iv = population_system(CLEMENTS_250, WEIGHT_KG, args.subjects, seed=SEED)
    parent, vcn = esk.esketamine_population(args.subjects, seed=SEED)
    cases = [
        Case(
            "IV Clements250, 0.5 mg/kg over 40 min, 70 kg, Otto 2021 IIV (borrowed)",
            "IV ketamine",
            iv,
            [Infusion(0.0, INFUSION_MIN, DOSE_MG / INFUSION_MIN, CENTRAL)],
            [CENTRAL],
            [iv.volume_l],
            ["ketamine"],
        ),
        Case(
            "esketamine nasal 84 mg (3 devices 5 min apart), Perez-Ruixo 2021 IIV, parent + "
            "noresketamine",
            "esketamine 84 mg + noresketamine",
            parent,
            esk.intranasal_regimen(ESKETAMINE_DOSE_MG),
            [esk.CENTRAL, esk.NOR_CENTRAL],
            [parent.volume_l, vcn],
            ["esketamine", "noresketamine"],
        ),
    ]
    table = [bench_population(case, args) for case in cases]
    table += bench_predict(args)
    table += bench_explorer(args)
    print()
    print("| work | time | floor | × solve_ivp loop | × stepper (before) | max error / peak |")
    print("|---|---|---|---|---|---|")
    keys = ("work", "time", "floor", "vs loop", "vs stepper", "error")
    for row in table:
        cells = [row.get(key, "") for key in keys]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
