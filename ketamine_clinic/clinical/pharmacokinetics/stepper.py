"""Matrix-exponential stepping: the independent reference for the closed form, and its fallback.

For an interval of length dt with constant input rate b (mg/min per compartment),
    x(t + dt) = E(dt)·x(t) + G(dt)·b,   E(dt) = expm(A·dt),   G(dt) = ∫₀^dt expm(A·s) ds.
Both E and G are read off one matrix exponential of the block matrix [[A, I], [0, 0]]·dt (Van
Loan), so a singular A (the elimination sink) or repeated eigenvalues need no special case.
Propagators are cached per distinct dt. It costs one batched matrix-vector product per output
time: the closed form (closed_form.py) is the solver; this stepper answers only for the subjects
whose rates are too close for the closed form, and checks it in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.linalg import expm

from .system import (
    FloatArray,
    LinearSystem,
    Regimen,
    bolus_amounts,
    check_kept,
    check_regimen,
    infusion_rates,
    input_times,
)


def _propagators(a: FloatArray, dt: float) -> tuple[FloatArray, FloatArray]:
    n_sub, n, _ = a.shape
    block = np.zeros((n_sub, 2 * n, 2 * n))
    block[:, :n, :n] = a * dt
    block[:, :n, n:] = np.eye(n) * dt
    full = np.asarray(expm(block), dtype=np.float64)
    return full[:, :n, :n], full[:, :n, n:]


def stepped_amounts(
    system: LinearSystem,
    regimen: Regimen,
    times_min: FloatArray,
    keep: Sequence[int] | None = None,
) -> FloatArray:
    """Return the amounts (mg) in the kept compartments, shaped (N, len(times), len(keep))."""
    times = np.asarray(times_min, dtype=np.float64)
    if times.ndim != 1:
        raise ValueError("times_min must be one-dimensional")
    n_sub, n = system.subjects, system.compartments
    check_regimen(regimen, n)
    kept = check_kept(keep, n)
    out = np.zeros((times.size, n_sub, len(kept)))  # time-major while filling
    if times.size == 0:
        return np.moveaxis(out, 0, 1)
    grid = sorted(set(times.tolist()) | set(input_times(regimen)))
    cache: dict[float, tuple[FloatArray, FloatArray]] = {}
    x = np.zeros((n_sub, n))
    index_of = {t: i for i, t in enumerate(grid)}
    wanted: dict[int, list[int]] = {}
    for k, t in enumerate(times.tolist()):
        wanted.setdefault(index_of[t], []).append(k)
    for i, t in enumerate(grid):
        if i > 0:
            dt = t - grid[i - 1]
            rate = infusion_rates(regimen, n, grid[i - 1])
            key = round(dt, 9)
            if key not in cache:
                cache[key] = _propagators(system.a, dt)
            e, g = cache[key]
            x = np.matmul(e, x[:, :, None])[:, :, 0]
            if rate.any():
                x += np.matmul(g, (system.input_fraction * rate)[:, :, None])[:, :, 0]
        x += bolus_amounts(regimen, n, t) * system.input_fraction
        for k in wanted.get(i, []):
            out[k] = x[:, kept]
    return np.moveaxis(out, 0, 1)
