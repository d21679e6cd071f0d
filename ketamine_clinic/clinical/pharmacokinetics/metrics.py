"""Exposure metrics on a fine internal grid, vectorised over subjects.

Cmax/Tmax, time above a threshold and the time until the concentration falls below it are read
from a grid of `step_min` (default 0.5 min) that also contains every input-change time (so the
end of an infusion, where an IV Cmax usually lies, is on the grid). The grid runs from the first
input to `horizon_min` (default: 24 h after the last input change). AUC 0–∞ is the linear
trapezoid to the last grid point plus C_last/λz, with λz the slowest eigenvalue of the system.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ketamine_clinic.clinical.pharmacokinetics.solver import (
    Bolus,
    FloatArray,
    LinearSystem,
    Regimen,
    simulate,
    slowest_rate_per_min,
)

# PK ref §3.1 and §4: 100–250 ng/mL is associated with dissociation during 0.5 mg/kg over 40 min
# (Zanos et al. 2018 Pharmacol Rev Table 1, citing Krystal 1994). The lower end is the default.
DISSOCIATION_THRESHOLD_NG_PER_ML = 100.0
DEFAULT_STEP_MIN = 0.5
DEFAULT_TAIL_MIN = 24 * 60.0  # grid runs this long after the last input change


@dataclass(frozen=True)
class Exposure:
    """Per-subject metrics, each shaped (N,)."""

    cmax_ng_per_ml: FloatArray
    tmax_min: FloatArray
    auc_ng_min_per_ml: FloatArray
    time_above_min: FloatArray
    time_until_below_min: FloatArray
    threshold_ng_per_ml: float

    @property
    def auc_ng_h_per_ml(self) -> FloatArray:
        return self.auc_ng_min_per_ml / 60.0


def input_times(regimen: Regimen) -> list[float]:
    times: list[float] = []
    for dose in regimen:
        if isinstance(dose, Bolus):
            times.append(dose.time_min)
        else:
            times.extend((dose.start_min, dose.end_min))
    return times


def fine_grid(
    regimen: Regimen, horizon_min: float | None = None, step_min: float = DEFAULT_STEP_MIN
) -> FloatArray:
    """Return the sorted grid: every step_min from the first input, plus the input times."""
    if step_min <= 0:
        raise ValueError("step_min must be positive")
    events = input_times(regimen) or [0.0]
    start = min(events)
    end = max(events) + DEFAULT_TAIL_MIN if horizon_min is None else horizon_min
    end = max(end, max(events))
    grid = np.arange(start, end + step_min / 2, step_min)
    return np.unique(np.concatenate([grid, np.asarray(events, dtype=np.float64)]))


def _time_above(times: FloatArray, conc: FloatArray, threshold: float) -> FloatArray:
    """Time above `threshold` with linear interpolation of the crossings, per subject."""
    c0, c1 = conc[:, :-1] - threshold, conc[:, 1:] - threshold
    dt = np.diff(times)[None, :]
    both = (c0 > 0) & (c1 > 0)
    crossing = (c0 > 0) != (c1 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction_above = np.where(c0 > 0, c0, c1) / np.abs(c1 - c0)
    partial = np.where(crossing, np.clip(fraction_above, 0.0, 1.0) * dt, 0.0)
    return np.asarray((np.where(both, dt, 0.0) + partial).sum(axis=1), dtype=np.float64)


def _time_until_below(times: FloatArray, conc: FloatArray, threshold: float) -> FloatArray:
    """Time at which the concentration last falls below `threshold` (0 if never above it)."""
    above = conc > threshold
    result = np.zeros(conc.shape[0])
    for s in np.flatnonzero(above.any(axis=1)):
        last = int(np.flatnonzero(above[s])[-1])
        if last == times.size - 1:
            result[s] = np.inf  # still above at the end of the grid
            continue
        c0, c1 = conc[s, last], conc[s, last + 1]
        t0, t1 = times[last], times[last + 1]
        result[s] = t0 + (c0 - threshold) / (c0 - c1) * (t1 - t0)
    return result


def exposure(
    system: LinearSystem,
    regimen: Regimen,
    threshold_ng_per_ml: float = DISSOCIATION_THRESHOLD_NG_PER_ML,
    step_min: float = DEFAULT_STEP_MIN,
    horizon_min: float | None = None,
) -> Exposure:
    """Return Cmax, Tmax, AUC 0–∞, time above and time until below the threshold."""
    times = fine_grid(regimen, horizon_min, step_min)
    conc = simulate(system, regimen, times)
    peak = np.argmax(conc, axis=1)
    cmax = conc[np.arange(conc.shape[0]), peak]
    tmax = times[peak]
    auc = np.trapezoid(conc, times, axis=1)
    lambda_z = slowest_rate_per_min(system)
    with np.errstate(divide="ignore"):
        tail = np.where(conc[:, -1] > 0, conc[:, -1] / lambda_z, 0.0)
    return Exposure(
        cmax_ng_per_ml=cmax,
        tmax_min=tmax,
        auc_ng_min_per_ml=auc + tail,
        time_above_min=_time_above(times, conc, threshold_ng_per_ml),
        time_until_below_min=_time_until_below(times, conc, threshold_ng_per_ml),
        threshold_ng_per_ml=threshold_ng_per_ml,
    )
