"""Exact solution of linear compartment systems with boluses and piecewise-constant infusions.

For an interval of length dt with constant input rate b (mg/min per compartment),
    x(t + dt) = E(dt)·x(t) + G(dt)·b,   E(dt) = expm(A·dt),   G(dt) = ∫₀^dt expm(A·s) ds,
and G(dt) = A⁻¹(expm(A·dt) − I) when A is invertible. Both E and G are read off one matrix
exponential of the block matrix [[A, I], [0, 0]]·dt (Van Loan), so a singular A (a compartment
with no elimination, or the elimination "sink" used for mass balance) needs no special case.
Everything is vectorised over N subjects: A is (N, n, n), states are (N, n). Propagators are
cached per distinct dt, so a uniform output grid costs a handful of matrix exponentials plus
one batched matrix-vector product per step.

Boluses are instantaneous; a concentration requested at the time of a bolus is the value just
after it (right-continuous). An infusion runs on [start, end).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.linalg import expm

FloatArray = npt.NDArray[np.float64]

NG_PER_ML_PER_MG_PER_L = 1000.0  # 1 mg/L = 1000 µg/L = 1000 ng/mL


@dataclass(frozen=True)
class Bolus:
    time_min: float
    amount_mg: float
    compartment: int


@dataclass(frozen=True)
class Infusion:
    start_min: float
    end_min: float
    rate_mg_per_min: float
    compartment: int


Dose = Bolus | Infusion
Regimen = Sequence[Dose]


@dataclass(frozen=True)
class LinearSystem:
    """dx/dt = A·x + F⊙u(t) for N subjects.

    a: (N, n, n) rate matrix in 1/min (a[i, j] = rate from compartment j to compartment i);
    input_fraction: (N, n) fraction of each dose that enters the compartment (bioavailability);
    observed: index of the compartment whose concentration is reported;
    volume_l: (N,) volume of the observed compartment in L.
    """

    a: FloatArray
    input_fraction: FloatArray
    observed: int
    volume_l: FloatArray

    @property
    def subjects(self) -> int:
        return int(self.a.shape[0])

    @property
    def compartments(self) -> int:
        return int(self.a.shape[1])


def with_elimination_sink(system: LinearSystem) -> LinearSystem:
    """Return the system with one more compartment that collects everything eliminated.

    The total amount over all compartments is then conserved (used to check mass balance).
    """
    n_sub, n, _ = system.a.shape
    a = np.zeros((n_sub, n + 1, n + 1))
    a[:, :n, :n] = system.a
    a[:, n, :n] = -system.a.sum(axis=1)  # outflow of each compartment not going elsewhere
    fraction = np.zeros((n_sub, n + 1))
    fraction[:, :n] = system.input_fraction
    return LinearSystem(a, fraction, system.observed, system.volume_l)


def _check_regimen(regimen: Regimen, compartments: int) -> None:
    for dose in regimen:
        if not 0 <= dose.compartment < compartments:
            raise ValueError(f"dose compartment {dose.compartment} does not exist")
        if isinstance(dose, Infusion) and dose.end_min < dose.start_min:
            raise ValueError("an infusion must not end before it starts")


def _propagators(a: FloatArray, dt: float) -> tuple[FloatArray, FloatArray]:
    n_sub, n, _ = a.shape
    block = np.zeros((n_sub, 2 * n, 2 * n))
    block[:, :n, :n] = a * dt
    block[:, :n, n:] = np.eye(n) * dt
    full = np.asarray(expm(block), dtype=np.float64)
    return full[:, :n, :n], full[:, :n, n:]


def simulate_amounts(
    system: LinearSystem,
    regimen: Regimen,
    times_min: FloatArray,
    keep: Sequence[int] | None = None,
) -> FloatArray:
    """Return the amounts (mg) in every compartment, shaped (N, len(times), n).

    With `keep`, only those compartments, in that order (N, len(times), len(keep)): the state
    is still propagated in full, but a large population stores only what is read.
    """
    times = np.asarray(times_min, dtype=np.float64)
    if times.ndim != 1:
        raise ValueError("times_min must be one-dimensional")
    n_sub, n = system.subjects, system.compartments
    _check_regimen(regimen, n)
    kept = list(range(n)) if keep is None else list(keep)
    if any(not 0 <= k < n for k in kept):
        raise ValueError("keep names a compartment that does not exist")
    out = np.zeros((times.size, n_sub, len(kept)))  # time-major while filling
    if times.size == 0:
        return np.moveaxis(out, 0, 1)
    breaks: set[float] = set(times.tolist())
    for dose in regimen:
        if isinstance(dose, Bolus):
            breaks.add(dose.time_min)
        else:
            breaks.update((dose.start_min, dose.end_min))
    grid = sorted(breaks)
    cache: dict[float, tuple[FloatArray, FloatArray]] = {}
    x = np.zeros((n_sub, n))
    index_of = {t: i for i, t in enumerate(grid)}
    wanted: dict[int, list[int]] = {}
    for k, t in enumerate(times.tolist()):
        wanted.setdefault(index_of[t], []).append(k)
    for i, t in enumerate(grid):
        if i > 0:
            dt = t - grid[i - 1]
            rate = np.zeros(n)
            for dose in regimen:
                if isinstance(dose, Infusion) and dose.start_min <= grid[i - 1] < dose.end_min:
                    rate[dose.compartment] += dose.rate_mg_per_min
            key = round(dt, 9)
            if key not in cache:
                cache[key] = _propagators(system.a, dt)
            e, g = cache[key]
            x = np.matmul(e, x[:, :, None])[:, :, 0]
            if rate.any():
                x += np.matmul(g, (system.input_fraction * rate)[:, :, None])[:, :, 0]
        for dose in regimen:
            if isinstance(dose, Bolus) and dose.time_min == t:
                fraction = system.input_fraction[:, dose.compartment]
                x[:, dose.compartment] += dose.amount_mg * fraction
        for k in wanted.get(i, []):
            out[k] = x[:, kept]
    return np.moveaxis(out, 0, 1)


def simulate(system: LinearSystem, regimen: Regimen, times_min: FloatArray) -> FloatArray:
    """Return the observed concentration in ng/mL, shaped (N, len(times))."""
    amounts = simulate_amounts(system, regimen, times_min, keep=[system.observed])
    mg_per_l = amounts[:, :, 0] / system.volume_l[:, None]
    return mg_per_l * NG_PER_ML_PER_MG_PER_L


def slowest_rate_per_min(system: LinearSystem) -> FloatArray:
    """Return λz (1/min) per subject: the smallest |real part| of the eigenvalues of A."""
    eigenvalues = np.linalg.eigvals(system.a)
    return np.asarray(np.min(np.abs(eigenvalues.real), axis=1), dtype=np.float64)
