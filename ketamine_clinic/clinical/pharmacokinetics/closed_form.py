"""Exact solution of a linear compartment system as a sum of exponentials, interval by interval.

In the modes z = V⁻¹·x of A (modes.py), dz/dt = λ⊙z + ρ with ρ = V⁻¹·(F⊙rate) constant between
two input changes. So from an input change at t_k, with τ = t − t_k,
    z(τ) = e^(λτ)·(z_k + ρ/λ) − ρ/λ          (z_k + ρ·τ for λ = 0, the elimination sink),
and a compartment's amount is Σ_m V[i, m]·z_m(τ): a sum of exponentials plus a constant while an
infusion runs. The state is advanced exactly from one input change to the next; output times
never advance it. Modes that cannot reach the compartments asked for are dropped.

Depots with identical kinetics (esketamine's first and later devices: same ka, different nasal
fractions) are lumped into one before the decomposition: each dose then carries its depot's
fraction as a per-subject amount. A depot that is itself asked for is not lumped.

On a uniform run of output times τ_j = τ_0 + j·h, write j = a·B + b with B ≈ √(run length):
e^(λτ_j) = e^(λ(τ_0 + aBh))·e^(λbh), so the run is one small matrix product per subject,
(coefficients × coarse table) @ fine table, written straight into the output. Both tables are
powers of one exponential, built by doubling (rounding error about 2·log2(B) ulp), so a run
costs two exponentials per mode instead of one per point.

Subjects are processed in chunks, so the working memory stays O(chunk × modes × √K) beside the
output. Subjects whose rates are too close for the closed form (modes.Modes.exact) are stepped
with matrix exponentials (stepper.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

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

CHUNK_SUBJECTS = 512  # measured best for 1 and 2 outputs of 1,441 times (bench/pk_bench.py)
_MIN_TABLE_RUN = 16  # shorter runs: one exponential per point and mode
_UNIFORM_TOLERANCE = 1e-12  # relative: a run's times must be τ_0 + j·h to this precision


@dataclass(frozen=True)
class Inputs:
    """The regimen as input changes, with each compartment's fraction applied per subject.

    breaks: (K,) sorted input-change times; boluses: (K, N, n) mg entering at each break;
    rates: (K, N, n) mg/min entering from each break to the next.
    """

    breaks: FloatArray
    boluses: FloatArray
    rates: FloatArray

    @classmethod
    def of(cls, regimen: Regimen, system: LinearSystem) -> Inputs:
        """Return the input changes of `regimen` into `system`."""
        return _Regimen.of(regimen, system.compartments).inputs(system.input_fraction)


@dataclass(frozen=True)
class _Regimen:
    """The input changes before the fractions: the same for every subject."""

    breaks: FloatArray
    boluses: FloatArray  # (K, n)
    rates: FloatArray  # (K, n)

    @classmethod
    def of(cls, regimen: Regimen, compartments: int) -> _Regimen:
        breaks = sorted(set(input_times(regimen)))
        boluses = [bolus_amounts(regimen, compartments, t) for t in breaks]
        rates = [infusion_rates(regimen, compartments, t) for t in breaks]
        shape = (len(breaks), compartments)
        return cls(
            np.array(breaks, dtype=np.float64),
            np.array(boluses).reshape(shape),
            np.array(rates).reshape(shape),
        )

    def inputs(self, fraction: FloatArray) -> Inputs:
        """Return the per-subject inputs of the subjects whose fractions are `fraction` (N, n)."""
        return Inputs(
            self.breaks,
            self.boluses[:, None, :] * fraction[None, :, :],
            self.rates[:, None, :] * fraction[None, :, :],
        )


@dataclass(frozen=True)
class Lumped:
    """A system with identical depots merged: its matrix, inputs and compartment numbers."""

    a: FloatArray
    inputs: Inputs
    index: dict[int, int]  # original compartment → compartment of the lumped system


def lump(a: FloatArray, inputs: Inputs, keep: Sequence[int]) -> Lumped:
    """Merge pure-source compartments (no inflow) whose outflows are identical in every subject.

    Linear and identical, two such depots behave as one that receives both inputs. A compartment
    in `keep` is never merged away, so its own amount can still be read.
    """
    n = a.shape[1]
    inflow = np.any(a != 0.0, axis=0) & ~np.eye(n, dtype=bool)
    source = ~inflow.any(axis=1)
    into = list(range(n))
    for j in range(n):
        if not source[j] or j in keep:
            continue
        for i in range(j):
            if into[i] != i or not source[i] or i in keep:
                continue
            others = [r for r in range(n) if r not in (i, j)]
            if np.array_equal(a[:, others, i], a[:, others, j]) and np.array_equal(
                a[:, i, i], a[:, j, j]
            ):
                into[j] = i
                break
    kept = [c for c in range(n) if into[c] == c]
    if len(kept) == n:
        return Lumped(a, inputs, {c: c for c in range(n)})
    boluses, rates = inputs.boluses.copy(), inputs.rates.copy()
    for j, i in enumerate(into):
        if i != j:
            boluses[:, :, i] += boluses[:, :, j]
            rates[:, :, i] += rates[:, :, j]
    position = {c: p for p, c in enumerate(kept)}
    return Lumped(
        np.ascontiguousarray(a[:, kept][:, :, kept]),
        Inputs(inputs.breaks, boluses[:, :, kept], rates[:, :, kept]),
        {c: position[into[c]] for c in range(n) if into[c] == c},
    )


def phi(rates: FloatArray, dt: float | FloatArray) -> FloatArray:
    """(e^(λ·dt) − 1)/λ, and dt where λ = 0: the integral of e^(λs) over [0, dt]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.expm1(rates * dt) / rates
    return np.asarray(np.where(rates == 0.0, dt, value), dtype=np.float64)


@dataclass(frozen=True)
class Pieces:
    """Per subject, interval and compartment: Σ_m coef·e^(λ_m τ) + const + slope·τ.

    rates: (N, M) of the modes kept; coef: (K, N, C, M); const, slope: (K, N, C); breaks: (K,).
    """

    breaks: FloatArray
    rates: FloatArray
    coef: FloatArray
    const: FloatArray
    slope: FloatArray

    def compartment(self, c: int) -> Sums:
        """Return the sums of the c-th compartment asked for."""
        return Sums(
            self.breaks, self.rates, self.coef[:, :, c], self.const[:, :, c], self.slope[:, :, c]
        )


@dataclass(frozen=True)
class Sums:
    """One compartment's Pieces: coef (K, N, M); const, slope (K, N)."""

    breaks: FloatArray
    rates: FloatArray
    coef: FloatArray
    const: FloatArray
    slope: FloatArray


def pieces(modes: Modes, inputs: Inputs, compartments: Sequence[int], scales: FloatArray) -> Pieces:
    """Return the exponential sums of `compartments` (each times its scale, (C, N))."""
    rates = modes.rates
    weight = modes.right[:, list(compartments), :] * scales.T[:, :, None]  # (N, C, n)
    reaching = np.flatnonzero(np.any(weight != 0.0, axis=(0, 1)))
    rates_kept = rates[:, reaching]
    weight = weight[:, :, reaching]
    left = modes.left[:, reaching, :]
    zero = rates_kept == 0.0
    with np.errstate(divide="ignore"):
        inverse = np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, rates_kept))
    k_count = inputs.breaks.size
    n_sub, c_count, m_count = weight.shape
    coef = np.empty((k_count, n_sub, c_count, m_count))
    const = np.empty((k_count, n_sub, c_count))
    slope = np.empty((k_count, n_sub, c_count))
    z = np.zeros_like(rates_kept)
    for k in range(k_count):
        if inputs.boluses[k].any():
            z += np.einsum("nmj,nj->nm", left, inputs.boluses[k])
        rho = np.einsum("nmj,nj->nm", left, inputs.rates[k])
        steady = rho * inverse
        coef[k] = weight * (z + steady)[:, None, :]
        const[k] = -np.einsum("ncm,nm->nc", weight, steady)
        slope[k] = np.einsum("ncm,nm->nc", weight, np.where(zero, rho, 0.0))
        if k + 1 < k_count:
            dt = float(inputs.breaks[k + 1] - inputs.breaks[k])
            z = np.exp(rates_kept * dt) * z + rho * phi(rates_kept, dt)
    return Pieces(inputs.breaks, rates_kept, coef, const, slope)


def _runs(tau: FloatArray) -> list[tuple[int, int]]:
    """Split sorted times into maximal uniform runs: (first index, count)."""
    runs: list[tuple[int, int]] = []
    start, size = 0, tau.size
    tolerance = _UNIFORM_TOLERANCE * max(1.0, abs(float(tau[0])), abs(float(tau[-1])))
    diffs = np.diff(tau)
    while start < size:
        end = start + 1
        if end < size:
            bad = np.flatnonzero(np.abs(diffs[start:] - diffs[start]) > tolerance)
            end = start + 1 + (int(bad[0]) if bad.size else size - 1 - start)
        runs.append((start, end - start))
        start = end
    return runs


def powers(base: FloatArray, count: int) -> FloatArray:
    """Return base^j for j < count, shaped (count, *base.shape), computed by doubling.

    The power index comes first, so that each doubling is one contiguous product whatever the
    number of modes; matmul reads the result through strided views, without a copy.
    """
    out = np.empty((count, *base.shape))
    out[0] = 1.0
    filled = 1
    while filled < count:
        take = min(filled, count - filled)
        factor = base if filled == 1 else out[filled - 1] * base
        np.multiply(out[:take], factor, out=out[filled : filled + take])
        filled += take
    return out


def _table_width(count: int) -> int:
    """Return the points per row of a run's table: about √count, or all of a short run."""
    return count if count < _MIN_TABLE_RUN else math.isqrt(count - 1) + 1


def evaluate_run(
    piece: Pieces, k: int, tau0: float, step: float, count: int, out: FloatArray
) -> None:
    """Write interval k's sums at τ = tau0 + j·step (j < count) into out (C, N, count)."""
    rates, coef = piece.rates, piece.coef[k]
    const, slope = piece.const[k], piece.slope[k]
    n_sub = rates.shape[0]
    if count < _MIN_TABLE_RUN:
        tau = tau0 + step * np.arange(count)
        exps = np.exp(rates[:, None, :] * tau[None, :, None])  # (N, count, M)
        for c in range(coef.shape[1]):
            value = np.matmul(exps, coef[:, c, :, None])[:, :, 0]
            value += const[:, c, None] + slope[:, c, None] * tau
            out[c] = value
        return
    width = _table_width(count)
    rows = -(-count // width)
    # τ_j = tau0 + (a·width + b)·step: coarse[a] = e^(λ(tau0 + a·width·step)), fine[b] = e^(λb·step)
    right = np.transpose(powers(np.exp(rates * step), width), (1, 2, 0))  # (N, M, width) view
    coarse = powers(np.exp(rates * (step * width)), rows)  # (rows, N, M)
    coarse *= np.exp(rates * tau0)
    left = np.empty_like(coarse)
    per_subject = np.transpose(left, (1, 0, 2))  # (N, rows, M) view
    whole, rest = count // width, count % width
    infusion = bool(np.any(const != 0.0) or np.any(slope != 0.0))
    tau = tau0 + step * np.arange(count)
    for c in range(coef.shape[1]):
        np.multiply(coarse, coef[:, c], out=left)
        target = out[c]
        if whole:
            block = target[:, : whole * width].reshape(n_sub, whole, width)
            np.matmul(per_subject[:, :whole], right, out=block)
        if rest:
            target[:, whole * width :] = np.matmul(per_subject[:, whole:], right[:, :, :rest])[:, 0]
        if infusion:  # only while an infusion runs: short runs
            target += const[:, c, None] + slope[:, c, None] * tau


def evaluate(piece: Pieces, times: FloatArray, out: FloatArray, clamp: bool) -> None:
    """Write the sums at sorted, distinct `times` into out (C, N, len(times)).

    With `clamp`, the values just after each input change are kept ≥ 0 (each run's first row,
    `_table_width` points): there a compartment can still be (nearly) empty while the terms of
    its sum are of the order of the dose, so the sum can round to −1e-16. Further on, an amount
    is either exactly 0 (nothing reaches it) or well above that rounding.
    """
    breaks = piece.breaks
    bounds = np.searchsorted(times, breaks, side="left")
    out[:, :, : bounds[0] if breaks.size else times.size] = 0.0
    for k in range(breaks.size):
        lo = int(bounds[k])
        hi = int(bounds[k + 1]) if k + 1 < breaks.size else times.size
        if hi <= lo:
            continue
        tau = times[lo:hi] - breaks[k]
        for first, count in _runs(tau):
            last = float(tau[first + count - 1])
            step = (last - float(tau[first])) / (count - 1) if count > 1 else 0.0
            region = out[:, :, lo + first : lo + first + count]
            evaluate_run(piece, k, float(tau[first]), step, count, region)
            if clamp:
                head = region[:, :, : _table_width(count)]
                np.maximum(head, 0.0, out=head)


def _sorted_distinct(times: FloatArray) -> tuple[FloatArray, np.ndarray | None]:
    if times.size < 2 or np.all(np.diff(times) > 0):
        return times, None
    unique, inverse = np.unique(times, return_inverse=True)
    return unique, inverse


@dataclass(frozen=True)
class Chunk:
    """A chunk of subjects with its exponential sums; `stepped` (indices into the chunk) are
    the subjects to step with matrix exponentials instead."""

    rows: slice
    system: LinearSystem
    pieces: Pieces
    stepped: npt.NDArray[np.intp]


def chunks(
    system: LinearSystem,
    regimen: Regimen,
    compartments: Sequence[int],
    scales: FloatArray,
) -> Iterator[Chunk]:
    """Yield the exponential sums of `compartments` (times scales, (C, N)), chunk by chunk.

    Nothing is yielded for a regimen without doses.
    """
    n_sub, n = system.subjects, system.compartments
    check_regimen(regimen, n)
    if any(not 0 <= c < n for c in compartments):
        raise ValueError("keep names a compartment that does not exist")
    changes = _Regimen.of(regimen, n)
    if changes.breaks.size == 0:
        return
    for start in range(0, n_sub, CHUNK_SUBJECTS):
        rows = slice(start, min(start + CHUNK_SUBJECTS, n_sub))
        chunk = system.subset(rows)
        lumped = lump(chunk.a, changes.inputs(chunk.input_fraction), compartments)
        modes = decompose(lumped.a)[1]
        index = [lumped.index[c] for c in compartments]
        piece = pieces(modes, lumped.inputs, index, scales[:, rows])
        yield Chunk(rows, chunk, piece, np.flatnonzero(~modes.exact))


def nonnegative(regimen: Regimen) -> bool:
    """Return whether every dose is ≥ 0 (then so is every amount)."""
    return all((d.amount_mg if isinstance(d, Bolus) else d.rate_mg_per_min) >= 0 for d in regimen)


def amounts(
    system: LinearSystem,
    regimen: Regimen,
    times_min: FloatArray,
    compartments: Sequence[int],
    scales: Sequence[FloatArray] | None = None,
    on_chunk: Callable[[Chunk], None] | None = None,
) -> FloatArray:
    """Return scale·amount of each compartment, shaped (len(compartments), N, len(times)).

    `scales` (one (N,) array per compartment, default 1) turn amounts into concentrations in
    the same pass, so the output is written once. `on_chunk` sees each chunk's sums (to compute
    exposure metrics from the same decomposition).
    """
    times = np.asarray(times_min, dtype=np.float64)
    if times.ndim != 1:
        raise ValueError("times_min must be one-dimensional")
    n_sub = system.subjects
    factor = np.ones((len(compartments), n_sub))
    if scales is not None:
        factor[:] = np.array([np.asarray(s, dtype=np.float64) for s in scales])
    clamp = nonnegative(regimen)
    distinct, inverse = _sorted_distinct(times)
    out = np.zeros((len(compartments), n_sub, distinct.size))
    for chunk in chunks(system, regimen, compartments, factor):
        evaluate(chunk.pieces, distinct, out[:, chunk.rows], clamp)
        if chunk.stepped.size:
            who = chunk.stepped
            reference = stepped_amounts(chunk.system.subset(who), regimen, distinct, compartments)
            rows = chunk.rows.start + who
            out[:, rows] = np.moveaxis(reference, 2, 0) * factor[:, rows, None]
        if on_chunk is not None:
            on_chunk(chunk)
    if inverse is not None:
        return np.asarray(out[:, :, inverse], dtype=np.float64)
    return out
