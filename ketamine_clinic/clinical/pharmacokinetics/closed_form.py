"""Exact solution of a linear compartment system as a sum of exponentials, interval by interval.

In the modes z = V⁻¹·x of A (modes.py), dz/dt = λ⊙z + ρ with ρ = V⁻¹·(F⊙rate) constant between
two input changes. So from an input change at t_k, with τ = t − t_k,
    z(τ) = e^(λτ)·(z_k + ρ/λ) − ρ/λ          (z_k + ρ·τ for λ = 0, the elimination sink),
and a compartment's amount is Σ_m V[i, m]·z_m(τ): a sum of exponentials plus a constant while an
infusion runs. The state is advanced exactly from one input change to the next; output times
never advance it. Modes that cannot reach a compartment are dropped, and modes of equal rate
(two depots with identical kinetics) are merged before evaluation.

On a uniform run of output times τ_j = τ_0 + j·h, write j = a·B + b with B ≈ √(run length):
e^(λτ_j) = e^(λ(τ_0 + aBh))·e^(λbh), so the run is one small matrix product per subject,
(coefficients × coarse table) @ fine table, written straight into the output: about 2√K
exponentials per mode instead of K.

Subjects are processed in chunks, so the working memory stays O(chunk × modes × √K) beside the
output. Subjects whose rates are too close for the closed form (modes.Modes.exact) are stepped
with matrix exponentials (stepper.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .modes import Modes, decompose
from .stepper import stepped_amounts
from .system import (
    Bolus,
    FloatArray,
    LinearSystem,
    Regimen,
    bolus_amounts,
    check_regimen,
    infusion_rates,
    input_times,
)

CHUNK_SUBJECTS = 512  # working memory per chunk: a few MB, cache-friendly
_MIN_TABLE_RUN = 16  # shorter runs: one exponential per point and mode
_UNIFORM_TOLERANCE = 1e-12  # relative: a run's times must be τ_0 + j·h to this precision


@dataclass(frozen=True)
class Inputs:
    """The regimen as a sequence of input changes (shared by all subjects)."""

    breaks: FloatArray  # (K,) sorted input-change times
    boluses: FloatArray  # (K, n) mg given at each break
    rates: FloatArray  # (K, n) mg/min from each break to the next

    @classmethod
    def of(cls, regimen: Regimen, compartments: int) -> Inputs:
        """Return the input changes of `regimen`."""
        breaks = sorted(set(input_times(regimen)))
        boluses = np.array([bolus_amounts(regimen, compartments, t) for t in breaks])
        rates = np.array([infusion_rates(regimen, compartments, t) for t in breaks])
        shape = (len(breaks), compartments)
        return cls(np.array(breaks, dtype=np.float64), boluses.reshape(shape), rates.reshape(shape))


def phi(rates: FloatArray, dt: float | FloatArray) -> FloatArray:
    """(e^(λ·dt) − 1)/λ, and dt where λ = 0: the integral of e^(λs) over [0, dt]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.expm1(rates * dt) / rates
    return np.asarray(np.where(rates == 0.0, dt, value), dtype=np.float64)


@dataclass(frozen=True)
class Pieces:
    """Per subject and interval: amount(τ) = Σ_m coef·e^(λ_m τ) + const + slope·τ.

    rates: (N, M) of the modes kept; coef: (K, N, M); const, slope: (K, N); breaks: (K,).
    """

    breaks: FloatArray
    rates: FloatArray
    coef: FloatArray
    const: FloatArray
    slope: FloatArray


def _mode_groups(rates: FloatArray, weight: FloatArray) -> list[list[int]]:
    """Modes that reach the compartment, those of identical rates (every subject) together."""
    groups: list[list[int]] = []
    for m in np.flatnonzero(np.any(weight != 0.0, axis=0)):
        for group in groups:
            if np.array_equal(rates[:, group[0]], rates[:, m]):
                group.append(int(m))
                break
        else:
            groups.append([int(m)])
    return groups


def pieces(
    modes: Modes, fraction: FloatArray, inputs: Inputs, compartment: int, scale: FloatArray
) -> Pieces:
    """Return the exponential sums of `compartment` (times `scale`, (N,)) on every interval."""
    rates = modes.rates
    weight = modes.right[:, compartment, :] * scale[:, None]
    groups = _mode_groups(rates, weight)
    k_count, n_sub = inputs.breaks.size, rates.shape[0]
    zero = rates == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = np.where(zero, 0.0, 1.0 / rates)
    coef_all = np.zeros((k_count, n_sub, len(groups)))
    const = np.zeros((k_count, n_sub))
    slope = np.zeros((k_count, n_sub))
    z = np.zeros_like(rates)
    for k in range(k_count):
        if inputs.boluses[k].any():
            z += np.einsum("nmj,nj->nm", modes.left, fraction * inputs.boluses[k])
        rho = np.einsum("nmj,nj->nm", modes.left, fraction * inputs.rates[k])
        shifted = z + rho * inverse
        full = weight * shifted
        for g, group in enumerate(groups):
            coef_all[k, :, g] = full[:, group].sum(axis=1)
        const[k] = -np.sum(weight * rho * inverse, axis=1)
        slope[k] = np.sum(np.where(zero, weight * rho, 0.0), axis=1)
        if k + 1 < k_count:
            dt = float(inputs.breaks[k + 1] - inputs.breaks[k])
            z = np.exp(rates * dt) * z + rho * phi(rates, dt)
    group_rates = np.stack([rates[:, group[0]] for group in groups], axis=1) if groups else None
    return Pieces(
        inputs.breaks,
        np.zeros((n_sub, 0)) if group_rates is None else group_rates,
        coef_all,
        const,
        slope,
    )


def _runs(tau: FloatArray) -> list[tuple[int, int]]:
    """Split sorted times into maximal uniform runs: (first index, count)."""
    runs: list[tuple[int, int]] = []
    start, size = 0, tau.size
    while start < size:
        end = start + 1
        if end < size:
            step = tau[end] - tau[start]
            tolerance = _UNIFORM_TOLERANCE * max(1.0, abs(tau[start]), abs(tau[-1]))
            diffs = np.diff(tau[start:])
            bad = np.flatnonzero(np.abs(diffs - step) > tolerance)
            end = start + 1 + (int(bad[0]) if bad.size else diffs.size)
        runs.append((start, end - start))
        start = end
    return runs


def evaluate_run(
    rates: FloatArray,
    coef: FloatArray,
    const: FloatArray,
    slope: FloatArray,
    tau0: float,
    step: float,
    count: int,
    out: FloatArray,
) -> None:
    """Write Σ coef·e^(λτ) + const + slope·τ at τ = tau0 + j·step (j < count) into `out`."""
    n_sub = rates.shape[0]
    width = 1 if count < _MIN_TABLE_RUN else math.isqrt(count - 1) + 1
    rows = -(-count // width)
    fine_tau = step * np.arange(width)
    coarse_tau = tau0 + step * width * np.arange(rows)
    with_slope = bool(np.any(slope != 0.0))
    extra = 3 if with_slope else 1
    m = rates.shape[1]
    left = np.empty((n_sub, rows, m + extra))
    np.exp(rates[:, None, :] * coarse_tau[None, :, None], out=left[:, :, :m])
    left[:, :, :m] *= coef[:, None, :]
    left[:, :, m] = const[:, None]
    right = np.empty((n_sub, m + extra, width))
    np.exp(rates[:, :, None] * fine_tau[None, None, :], out=right[:, :m, :])
    right[:, m, :] = 1.0
    if with_slope:
        left[:, :, m + 1] = slope[:, None] * coarse_tau[None, :]
        right[:, m + 1, :] = 1.0
        left[:, :, m + 2] = slope[:, None]
        right[:, m + 2, :] = fine_tau[None, :]
    whole = count // width
    if whole:
        np.matmul(left[:, :whole], right, out=out[:, : whole * width].reshape(n_sub, whole, width))
    if whole * width < count:
        rest = count - whole * width
        out[:, whole * width :] = np.matmul(left[:, whole : whole + 1], right[:, :, :rest])[:, 0]


def evaluate(piece: Pieces, times: FloatArray, out: FloatArray) -> None:
    """Write the exponential sums at sorted, distinct `times` into out (N, len(times))."""
    breaks = piece.breaks
    if breaks.size == 0:
        out[:] = 0.0
        return
    bounds = np.searchsorted(times, breaks, side="left")
    out[:, : bounds[0]] = 0.0
    for k in range(breaks.size):
        lo = int(bounds[k])
        hi = int(bounds[k + 1]) if k + 1 < breaks.size else times.size
        if hi <= lo:
            continue
        tau = times[lo:hi] - breaks[k]
        for first, count in _runs(tau):
            step = (tau[first + count - 1] - tau[first]) / (count - 1) if count > 1 else 0.0
            evaluate_run(
                piece.rates,
                piece.coef[k],
                piece.const[k],
                piece.slope[k],
                float(tau[first]),
                float(step),
                count,
                out[:, lo + first : lo + first + count],
            )


def _sorted_distinct(times: FloatArray) -> tuple[FloatArray, np.ndarray | None]:
    if times.size < 2 or np.all(np.diff(times) > 0):
        return times, None
    unique, inverse = np.unique(times, return_inverse=True)
    return unique, inverse


def amounts(
    system: LinearSystem,
    regimen: Regimen,
    times_min: FloatArray,
    compartments: Sequence[int],
    scales: Sequence[FloatArray] | None = None,
) -> FloatArray:
    """Return scale·amount of each compartment, shaped (len(compartments), N, len(times)).

    `scales` (one (N,) array per compartment, default 1) turn amounts into concentrations in
    the same pass, so the output is written once.
    """
    times = np.asarray(times_min, dtype=np.float64)
    if times.ndim != 1:
        raise ValueError("times_min must be one-dimensional")
    n_sub, n = system.subjects, system.compartments
    check_regimen(regimen, n)
    if any(not 0 <= c < n for c in compartments):
        raise ValueError("keep names a compartment that does not exist")
    factors = [np.ones(n_sub)] * len(compartments) if scales is None else list(scales)
    nonnegative = all(
        (d.amount_mg if isinstance(d, Bolus) else d.rate_mg_per_min) >= 0 for d in regimen
    )
    distinct, inverse = _sorted_distinct(times)
    out = np.empty((len(compartments), n_sub, distinct.size))
    inputs = Inputs.of(regimen, n)
    for start in range(0, n_sub, CHUNK_SUBJECTS):
        rows = slice(start, min(start + CHUNK_SUBJECTS, n_sub))
        chunk = out[:, rows]
        _fill_chunk(
            system.subset(rows),
            inputs,
            regimen,
            distinct,
            compartments,
            [np.asarray(f, dtype=np.float64)[rows] for f in factors],
            chunk,
        )
        if nonnegative:
            # Rounding can leave −1e-17 where a compartment is still empty; amounts are not.
            np.maximum(chunk, 0.0, out=chunk)
    if inverse is not None:
        return np.asarray(out[:, :, inverse], dtype=np.float64)
    return out


def _fill_chunk(
    system: LinearSystem,
    inputs: Inputs,
    regimen: Regimen,
    times: FloatArray,
    compartments: Sequence[int],
    factors: Sequence[FloatArray],
    out: FloatArray,
) -> None:
    _, modes = decompose(system.a)
    for i, compartment in enumerate(compartments):
        piece = pieces(modes, system.input_fraction, inputs, compartment, factors[i])
        evaluate(piece, times, out[i])
    stepped = np.flatnonzero(~modes.exact)
    if stepped.size:
        reference = stepped_amounts(system.subset(stepped), regimen, times, keep=compartments)
        for i in range(len(compartments)):
            out[i, stepped] = reference[:, :, i] * factors[i][stepped, None]
