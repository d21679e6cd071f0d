"""Exact solution of linear compartment systems with boluses and piecewise-constant infusions.

The solver is the closed form (closed_form.py): every model here is linear, first- or
zero-order, so each subject's amounts are sums of exponentials between input changes. The
matrix-exponential stepper (stepper.py) answers only for subjects whose rates are too close for
the closed form, and is the independent reference in the tests.

Boluses are instantaneous; a concentration requested at the time of a bolus is the value just
after it (right-continuous). An infusion runs on [start, end).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import closed_form
from .system import (
    NG_PER_ML_PER_MG_PER_L,
    Bolus,
    BoolArray,
    Dose,
    FloatArray,
    Infusion,
    LinearSystem,
    Regimen,
    check_kept,
    with_elimination_sink,
)

__all__ = [
    "NG_PER_ML_PER_MG_PER_L",
    "Bolus",
    "BoolArray",
    "Dose",
    "FloatArray",
    "Infusion",
    "LinearSystem",
    "Regimen",
    "concentrations",
    "simulate",
    "simulate_amounts",
    "with_elimination_sink",
]


def simulate_amounts(
    system: LinearSystem,
    regimen: Regimen,
    times_min: FloatArray,
    keep: Sequence[int] | None = None,
) -> FloatArray:
    """Return the amounts (mg) in every compartment, shaped (N, len(times), n).

    With `keep`, only those compartments, in that order (N, len(times), len(keep)). The result
    is a view of a compartment-major array: `result[:, :, i]` is contiguous.
    """
    kept = check_kept(keep, system.compartments)
    out = closed_form.amounts(system, regimen, times_min, kept)
    return np.moveaxis(out, 0, 2)


def concentrations(
    system: LinearSystem,
    regimen: Regimen,
    times_min: FloatArray,
    compartments: Sequence[int],
    volumes_l: Sequence[FloatArray],
) -> FloatArray:
    """Return concentrations (ng/mL) of `compartments`, shaped (len(compartments), N, T).

    volumes_l: one (N,) array of volumes (L) per compartment.
    """
    scales = [NG_PER_ML_PER_MG_PER_L / np.asarray(v, dtype=np.float64) for v in volumes_l]
    return closed_form.amounts(system, regimen, times_min, compartments, scales)


def simulate(system: LinearSystem, regimen: Regimen, times_min: FloatArray) -> FloatArray:
    """Return the observed concentration in ng/mL, shaped (N, len(times))."""
    conc = concentrations(system, regimen, times_min, [system.observed], [system.volume_l])
    return np.asarray(conc[0], dtype=np.float64)
