"""Exposure metrics from the closed form, vectorised over subjects.

Between two input changes a subject's concentration is a sum of exponentials (closed_form.py),
so the metrics need no fine grid:
- AUC 0–∞ is the integral of those sums, interval by interval, to infinity after the last input;
- each interval is sampled at a few dozen times, geometrically denser after its start (where the
  fast phases are), to bracket the peaks (a sign change of the derivative) and the threshold
  crossings; each bracket is then refined by Newton steps (kept inside it) on the exact
  expression. Cmax and Tmax are the highest of the samples, interval ends and refined peaks.
Cmax/Tmax, the time above a threshold and the time at which the concentration last falls below
it are taken from the first input to `horizon_min` (default: 24 h after the last input change);
"still above" at the horizon gives an infinite time until below.

A subject whose rates are too close for the closed form (modes.Modes.exact) is computed on a
0.5-min grid stepped by matrix exponentials instead; its AUC 0–∞ is −(A⁻¹·D)/V, exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .closed_form import Chunk, Sums, amounts, phi
from .stepper import stepped_amounts
from .system import (
    NG_PER_ML_PER_MG_PER_L,
    Bolus,
    FloatArray,
    LinearSystem,
    Regimen,
    input_times,
)

# PK ref §3.1 and §4: 100–250 ng/mL is associated with dissociation during 0.5 mg/kg over 40 min
# (Zanos et al. 2018 Pharmacol Rev Table 1, citing Krystal 1994). The lower end is the default.
DISSOCIATION_THRESHOLD_NG_PER_ML = 100.0
DEFAULT_TAIL_MIN = 24 * 60.0  # metrics run this long after the last input change
# Sampling of each interval: from FIRST_SAMPLE_MIN, each sample at most SAMPLE_RATIO times the
# one before, plus UNIFORM_SAMPLES evenly spaced ones.
FIRST_SAMPLE_MIN = 0.05
SAMPLE_RATIO = 1.5
UNIFORM_SAMPLES = 6
MAX_ITERATIONS = 60  # Newton steps inside the bracket (bisection when Newton leaves it)
TOLERANCE = 1e-12  # relative step at which a root counts as found
FALLBACK_STEP_MIN = 0.5

IntArray = npt.NDArray[np.intp]


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


def _horizon(regimen: Regimen, horizon_min: float | None) -> tuple[float, float]:
    events = input_times(regimen) or [0.0]
    end = max(events) + DEFAULT_TAIL_MIN if horizon_min is None else horizon_min
    return min(events), max(end, max(events))


def _samples(length: float) -> FloatArray:
    if length <= 0:
        return np.zeros(1)
    first = min(length, FIRST_SAMPLE_MIN)
    count = int(np.ceil(np.log(length / first) / np.log(SAMPLE_RATIO))) + 1
    points = np.concatenate(
        [[0.0, length], np.geomspace(first, length, count), np.linspace(0, length, UNIFORM_SAMPLES)]
    )
    return np.unique(np.clip(points, 0.0, length))


def exposure(
    system: LinearSystem,
    regimen: Regimen,
    threshold_ng_per_ml: float = DISSOCIATION_THRESHOLD_NG_PER_ML,
    horizon_min: float | None = None,
) -> Exposure:
    """Return Cmax, Tmax, AUC 0–∞, time above and time until below the threshold."""
    return concentrations_and_exposure(
        system,
        regimen,
        np.zeros(0),
        [system.observed],
        [system.volume_l],
        threshold_ng_per_ml,
        horizon_min,
    )[1]


def concentrations_and_exposure(
    system: LinearSystem,
    regimen: Regimen,
    times_min: FloatArray,
    compartments: Sequence[int],
    volumes_l: Sequence[FloatArray],
    threshold_ng_per_ml: float = DISSOCIATION_THRESHOLD_NG_PER_ML,
    horizon_min: float | None = None,
) -> tuple[FloatArray, Exposure]:
    """Return concentrations (ng/mL, (C, N, T)) of `compartments` and the first one's exposure.

    One decomposition per subject serves both.
    """
    start, end = _horizon(regimen, horizon_min)
    n_sub = system.subjects
    result = {name: np.zeros(n_sub) for name in ("cmax", "tmax", "auc", "above", "until")}
    result["tmax"][:] = start

    def metrics_of(chunk: Chunk) -> None:
        values = _closed_form_metrics(chunk.pieces.compartment(0), end, threshold_ng_per_ml)
        if chunk.stepped.size:
            stepped = chunk.system.subset(chunk.stepped)
            volume = np.asarray(volumes_l[0], dtype=np.float64)[chunk.rows][chunk.stepped]
            grid = _grid_metrics(
                stepped, compartments[0], volume, regimen, start, end, threshold_ng_per_ml
            )
            for name in values:
                values[name][chunk.stepped] = grid[name]
        for name in values:
            result[name][chunk.rows] = values[name]

    scales = [NG_PER_ML_PER_MG_PER_L / np.asarray(v, dtype=np.float64) for v in volumes_l]
    conc = amounts(system, regimen, times_min, compartments, scales, on_chunk=metrics_of)
    return conc, _exposure(result, threshold_ng_per_ml)


def _exposure(values: dict[str, FloatArray], threshold: float) -> Exposure:
    return Exposure(
        cmax_ng_per_ml=values["cmax"],
        tmax_min=values["tmax"],
        auc_ng_min_per_ml=values["auc"],
        time_above_min=values["above"],
        time_until_below_min=values["until"],
        threshold_ng_per_ml=threshold,
    )


def _sampled(piece: Sums, k: int, tau: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return the value and slope (N, S) of the interval-k sums at τ (S,), sharing the exps."""
    exps = np.exp(piece.rates[:, :, None] * tau)
    value = np.einsum("nm,nms->ns", piece.coef[k], exps)
    slope = np.einsum("nm,nms->ns", piece.coef[k] * piece.rates, exps)
    value += piece.const[k][:, None] + piece.slope[k][:, None] * tau
    slope += piece.slope[k][:, None]
    return value, slope


@dataclass(frozen=True)
class _Brackets:
    """One exponential sum per bracket (subject `rows`, interval `k`), shaped (B, M)."""

    rates: FloatArray
    coef: FloatArray
    const: FloatArray
    slope: FloatArray

    @classmethod
    def of(cls, piece: Sums, k: IntArray, rows: IntArray) -> _Brackets:
        return cls(
            piece.rates[rows], piece.coef[k, rows], piece.const[k, rows], piece.slope[k, rows]
        )

    def value(self, tau: FloatArray) -> FloatArray:
        exps = np.exp(self.rates * tau[:, None])
        return np.asarray(
            np.sum(self.coef * exps, axis=1) + self.const + self.slope * tau, dtype=np.float64
        )

    def root(self, lo: FloatArray, hi: FloatArray, order: int, level: float) -> FloatArray:
        """Return the root of (d/dτ)^order sum = level in [lo, hi]: Newton kept in the bracket."""
        weights = self.coef * self.rates**order
        rates, const, slope_term = self.rates, self.const, self.slope

        def f(tau: FloatArray, who: IntArray) -> tuple[FloatArray, FloatArray]:
            exps = np.exp(rates[who] * tau[:, None])
            value = np.sum(weights[who] * exps, axis=1) - level
            slope = np.sum(weights[who] * rates[who] * exps, axis=1)
            if order == 0:
                value += const[who] + slope_term[who] * tau
                slope += slope_term[who]
            else:
                value += slope_term[who]
            return value, slope

        everyone = np.arange(lo.size)
        lo, hi = lo.copy(), hi.copy()
        sign_lo = np.sign(f(lo, everyone)[0])
        tau = 0.5 * (lo + hi)
        active = everyone
        for _ in range(MAX_ITERATIONS):
            t = tau[active]
            value, slope = f(t, active)
            below = np.sign(value) == sign_lo[active]
            a, b = np.where(below, t, lo[active]), np.where(below, hi[active], t)
            lo[active], hi[active] = a, b
            with np.errstate(divide="ignore", invalid="ignore"):
                newton = t - value / slope
            inside = np.isfinite(newton) & (newton >= a) & (newton <= b)
            step = np.where(inside, newton, 0.5 * (a + b))
            tau[active] = step
            moving = (np.abs(step - t) > TOLERANCE * (1.0 + np.abs(t))) & (value != 0.0)
            active = active[moving]
            if active.size == 0:
                break
        return np.asarray(tau, dtype=np.float64)


def _closed_form_metrics(piece: Sums, end: float, threshold: float) -> dict[str, FloatArray]:
    breaks = piece.breaks
    n_sub = piece.rates.shape[0]
    lengths = np.append(np.diff(breaks), end - breaks[-1])
    taus = [_samples(float(length)) for length in lengths]
    interval = np.concatenate([np.full(t.size, k) for k, t in enumerate(taus)])
    tau = np.concatenate(taus)
    sampled = [_sampled(piece, k, t) for k, t in enumerate(taus)]
    value = np.concatenate([v for v, _ in sampled], axis=1)
    slope = np.concatenate([d for _, d in sampled], axis=1)
    same = interval[1:] == interval[:-1]  # gaps inside one interval (not across a break)

    # Each gap gets a middle sample: its peak or trough where the slope changes sign, else a
    # copy of its first sample. Every segment is then monotone: at most one crossing each.
    mid_tau = np.broadcast_to(tau[:-1], (n_sub, tau.size - 1)).copy()
    mid_value = value[:, :-1].copy()
    subj, gap = np.nonzero((slope[:, :-1] * slope[:, 1:] < 0) & same[None, :])
    if subj.size:
        brackets = _Brackets.of(piece, interval[gap], subj)
        at = brackets.root(tau[gap], tau[gap + 1], 1, 0.0)
        mid_tau[subj, gap] = at
        mid_value[subj, gap] = brackets.value(at)
    ext_tau = _interleave(np.broadcast_to(tau, value.shape), mid_tau)
    ext_value = _interleave(value, mid_value)
    ext_interval = _interleave(interval[None, :], interval[None, :-1])[0]
    times = breaks[ext_interval][None, :] + ext_tau

    peak = np.argmax(ext_value, axis=1)
    rows = np.arange(n_sub)
    above = ext_value > threshold
    inside = (ext_interval[1:] == ext_interval[:-1])[None, :]
    crossing = (above[:, :-1] != above[:, 1:]) & inside
    roots = np.full(crossing.shape, np.nan)
    subj, gap = np.nonzero(crossing)
    if subj.size:
        k = ext_interval[gap]
        lo, hi = ext_tau[subj, gap], ext_tau[subj, gap + 1]
        brackets = _Brackets.of(piece, k, subj)
        roots[subj, gap] = breaks[k] + brackets.root(lo, hi, 0, threshold)
    start_above = above[:, :-1]
    partial = np.where(start_above, roots - times[:, :-1], times[:, 1:] - roots)
    full = np.where(start_above & above[:, 1:], np.diff(times, axis=1), 0.0)
    time_above = np.sum(full + np.where(crossing, partial, 0.0), axis=1)

    until = np.zeros(n_sub)
    ever = above.any(axis=1)
    last = above.shape[1] - 1 - np.argmax(above[:, ::-1], axis=1)
    still = ever & (last == above.shape[1] - 1)
    until[still] = np.inf
    who = np.flatnonzero(ever & ~still)
    root = roots[who, last[who]]
    until[who] = np.where(np.isnan(root), times[who, last[who]], root)
    return {
        "cmax": ext_value[rows, peak],
        "tmax": times[rows, peak],
        "auc": _auc(piece, lengths),
        "above": np.asarray(time_above, dtype=np.float64),
        "until": until,
    }


def _interleave(samples: FloatArray, middles: FloatArray) -> FloatArray:
    """Interleave (…, S) and (…, S − 1) into (…, 2S − 1): s0, m0, s1, m1, …, s_last."""
    out = np.empty((samples.shape[0], 2 * samples.shape[1] - 1), dtype=samples.dtype)
    out[:, 0::2] = samples
    out[:, 1::2] = middles
    return out


def _auc(piece: Sums, lengths: FloatArray) -> FloatArray:
    """Return the exact integral from the first input to infinity."""
    rates = piece.rates
    auc = np.zeros(rates.shape[0])
    last = piece.breaks.size - 1
    for k in range(last):
        length = float(lengths[k])
        auc += np.sum(piece.coef[k] * phi(rates, length), axis=1)
        auc += piece.const[k] * length + piece.slope[k] * length**2 / 2
    decaying = rates < 0
    with np.errstate(divide="ignore"):
        tail = np.where(decaying, -piece.coef[last] / np.where(decaying, rates, 1.0), 0.0)
    auc += np.sum(tail, axis=1)
    lasting = np.any(~decaying & (piece.coef[last] != 0), axis=1)
    lasting |= (piece.const[last] != 0) | (piece.slope[last] != 0)
    return np.where(lasting, np.inf, auc)


def _grid_metrics(
    system: LinearSystem,
    compartment: int,
    volume_l: FloatArray,
    regimen: Regimen,
    start: float,
    end: float,
    threshold: float,
) -> dict[str, FloatArray]:
    """Return the metrics of `compartment` on a FALLBACK_STEP_MIN grid, stepped by expm."""
    grid = np.arange(start, end + FALLBACK_STEP_MIN / 2, FALLBACK_STEP_MIN)
    times = np.unique(np.concatenate([grid, np.asarray(input_times(regimen), dtype=np.float64)]))
    amounts = stepped_amounts(system, regimen, times, keep=[compartment])[:, :, 0]
    conc = amounts / volume_l[:, None] * NG_PER_ML_PER_MG_PER_L
    peak = np.argmax(conc, axis=1)
    c0, c1 = conc[:, :-1] - threshold, conc[:, 1:] - threshold
    dt = np.diff(times)[None, :]
    crossing = (c0 > 0) != (c1 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.clip(np.where(c0 > 0, c0, c1) / np.abs(c1 - c0), 0.0, 1.0)
    above = np.where((c0 > 0) & (c1 > 0), dt, 0.0) + np.where(crossing, fraction * dt, 0.0)
    until = np.zeros(conc.shape[0])
    for s in np.flatnonzero((conc > threshold).any(axis=1)):
        last = int(np.flatnonzero(conc[s] > threshold)[-1])
        if last == times.size - 1:
            until[s] = np.inf
            continue
        t0, t1 = times[last], times[last + 1]
        until[s] = t0 + (conc[s, last] - threshold) / (conc[s, last] - conc[s, last + 1]) * (
            t1 - t0
        )
    return {
        "cmax": conc[np.arange(conc.shape[0]), peak],
        "tmax": times[peak],
        "auc": _auc_by_solve(system, compartment, volume_l, regimen),
        "above": above.sum(axis=1),
        "until": until,
    }


def _auc_by_solve(
    system: LinearSystem, compartment: int, volume_l: FloatArray, regimen: Regimen
) -> FloatArray:
    """Return AUC 0–∞ = −(A⁻¹·D)_compartment / V, D the total entering each compartment."""
    entered = np.zeros(system.compartments)
    for dose in regimen:
        if isinstance(dose, Bolus):
            entered[dose.compartment] += dose.amount_mg
        else:
            entered[dose.compartment] += dose.rate_mg_per_min * (dose.end_min - dose.start_min)
    given = (system.input_fraction * entered)[:, :, None]
    if np.any(np.abs(np.linalg.det(system.a)) == 0.0):
        return np.full(system.subjects, np.inf)  # something is never eliminated
    integral = -np.linalg.solve(system.a, given)[:, compartment, 0]
    return np.asarray(integral / volume_l * NG_PER_ML_PER_MG_PER_L, dtype=np.float64)
