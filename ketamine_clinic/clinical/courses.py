"""A treatment course's arithmetic: session dose, titration, cumulative exposure and its caps,
and when a booster is due.

Sources:
- Dose rules: IV racemic ketamine 0.5 mg/kg over 40 min, range 0.1–0.75 mg/kg (reference.md
  §1.3); esketamine 28 mg per device, 56 or 84 mg a session, day 1 56 mg (§2.1, §2.2); CRPS
  0.35 mg/kg/h over 4 h (§1.7).
- Titration "+0.1–0.25 mg/kg per session when the response is insufficient and the last
  session was tolerated, up to the protocol maximum" is the issue's clinic rule (issue #10),
  within the published range of §1.3; the step is a protocol value.
- Response: a fall of at least 50% from baseline (clinical/outcomes.py, reference.md §3.1).
- The booster trigger (half of the improvement lost, or back above the response threshold) and
  every cap (sessions and mg per 30 days) are clinic policy values: no published source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .outcomes import RESPONSE_FALL

ESKETAMINE_DEVICE_MG = Decimal(28)  # reference.md §2.1: 28 mg per device
MG_PER_KG = "mg_per_kg"
MG = "mg"
MG_PER_KG_PER_HOUR = "mg_per_kg_per_hour"
DOSE_UNITS = (MG_PER_KG, MG, MG_PER_KG_PER_HOUR)
_TENTH = Decimal("0.1")


class DoseError(ValueError):
    """A dose that the protocol does not allow; the message says why and what would."""


def session_dose_mg(
    unit: str, dose: Decimal, weight_kg: Decimal | None, administration_minutes: int
) -> Decimal:
    """Return one session's dose in mg, rounded to 0.1 mg.

    0.5 mg/kg for 82.4 kg is 41.2 mg; 0.35 mg/kg/h over 240 min for 70 kg is 98.0 mg.
    """
    if unit == MG:
        return dose.quantize(_TENTH, rounding=ROUND_HALF_UP)
    if weight_kg is None or weight_kg <= 0:
        raise DoseError("A weight-based dose needs the patient's weight: record it on the chart.")
    if unit == MG_PER_KG:
        mg = dose * weight_kg
    elif unit == MG_PER_KG_PER_HOUR:
        mg = dose * weight_kg * Decimal(administration_minutes) / Decimal(60)
    else:
        raise DoseError(f"Unknown dose unit {unit!r}.")
    return mg.quantize(_TENTH, rounding=ROUND_HALF_UP)


def check_dose(
    dose: Decimal,
    *,
    unit: str,
    dose_min: Decimal,
    dose_max: Decimal,
    route: str,
    step: Decimal = Decimal(0),
) -> None:
    """Refuse a dose outside the protocol's range (or, for esketamine, not whole devices)."""
    label = {MG_PER_KG: "mg/kg", MG: "mg", MG_PER_KG_PER_HOUR: "mg/kg/h"}.get(unit, unit)
    if dose > dose_max:
        raise DoseError(
            f"{dose} {label} is above this protocol's maximum of {dose_max} {label}: choose "
            f"{dose_max} {label} or less, or have the protocol changed (a signed new version)."
        )
    if dose < dose_min:
        raise DoseError(
            f"{dose} {label} is below this protocol's minimum of {dose_min} {label}: choose "
            f"between {dose_min} and {dose_max} {label}."
        )
    if route == "intranasal" and dose % ESKETAMINE_DEVICE_MG != 0:
        raise DoseError(
            f"{dose} mg is not a whole number of 28 mg devices (reference.md §2.1): choose 56 or "
            "84 mg."
        )


@dataclass(frozen=True)
class Titration:
    dose: Decimal
    changed: bool
    reason: str


def titrate(
    current: Decimal,
    *,
    step: Decimal,
    maximum: Decimal,
    response_insufficient: bool,
    last_tolerated: bool,
) -> Titration:
    """Return the next session's dose under the protocol's titration rule.

    The dose rises by one step only when the response is insufficient and the last session was
    tolerated, and never above the protocol maximum.
    """
    if not response_insufficient:
        return Titration(current, False, "Response sufficient: keep the dose.")
    if not last_tolerated:
        return Titration(current, False, "The last session was not well tolerated: no increase.")
    if step <= 0:
        return Titration(current, False, "This protocol has no titration step.")
    if current >= maximum:
        return Titration(current, False, f"Already at the protocol maximum ({maximum}).")
    new = min(current + step, maximum)
    return Titration(new, True, f"Response insufficient and tolerated: {current} → {new}.")


@dataclass(frozen=True)
class Exposure:
    sessions_30_days: int
    mg_30_days: Decimal
    sessions_365_days: int
    mg_365_days: Decimal
    sessions_total: int
    mg_total: Decimal


def exposure(doses: Sequence[tuple[datetime, Decimal]], at: datetime) -> Exposure:
    """Return the sessions and mg in the 30 and 365 days up to `at` (inclusive) and in all."""
    in_30 = [mg for t, mg in doses if at - timedelta(days=30) < t <= at]
    in_365 = [mg for t, mg in doses if at - timedelta(days=365) < t <= at]
    upto = [mg for t, mg in doses if t <= at]
    return Exposure(
        sessions_30_days=len(in_30),
        mg_30_days=sum(in_30, Decimal(0)),
        sessions_365_days=len(in_365),
        mg_365_days=sum(in_365, Decimal(0)),
        sessions_total=len(upto),
        mg_total=sum(upto, Decimal(0)),
    )


@dataclass(frozen=True)
class CapBreach:
    window_ends: datetime
    sessions: int
    mg: Decimal
    reason: str


def cap_breaches(
    doses: Sequence[tuple[datetime, Decimal]],
    *,
    max_sessions_per_30_days: int,
    max_mg_per_30_days: Decimal,
) -> list[CapBreach]:
    """Return each session at which the rolling 30 days up to it exceed a cap."""
    ordered = sorted(doses)
    breaches = []
    lo = 0
    running = Decimal(0)
    for hi, (t, mg) in enumerate(ordered):
        running += mg
        while ordered[lo][0] <= t - timedelta(days=30):
            running -= ordered[lo][1]
            lo += 1
        count = hi - lo + 1
        reasons = []
        if count > max_sessions_per_30_days:
            reasons.append(f"{count} sessions in 30 days (cap {max_sessions_per_30_days})")
        if running > max_mg_per_30_days:
            reasons.append(f"{running} mg in 30 days (cap {max_mg_per_30_days} mg)")
        if reasons:
            breaches.append(CapBreach(t, count, running, "; ".join(reasons)))
    return breaches


@dataclass(frozen=True)
class BoosterStatus:
    due: bool
    responded: bool
    reason: str


def booster_status(
    scores: Sequence[tuple[datetime, int]],
    *,
    baseline: int | None,
    loss_fraction: Decimal = Decimal("0.5"),
) -> BoosterStatus:
    """Say whether a booster is due from a symptom score history (lower is better).

    The patient must have responded (some score at least 50% below baseline). A booster is due
    when the latest score, after the best one, has lost `loss_fraction` of the improvement
    (baseline − best) or is back above the response threshold (more than half of baseline).
    """
    ordered = sorted(scores)
    if not ordered:
        return booster_status_of(baseline=None, best=None, latest=None)
    best_at, best = min(ordered, key=lambda p: (p[1], p[0]))
    latest_at, latest = ordered[-1]
    return booster_status_of(
        baseline=baseline,
        best=(best_at, best),
        latest=(latest_at, latest),
        loss_fraction=loss_fraction,
    )


def booster_status_of(
    *,
    baseline: int | None,
    best: tuple[datetime, int] | None,
    latest: tuple[datetime, int] | None,
    loss_fraction: Decimal = Decimal("0.5"),
) -> BoosterStatus:
    """Say whether a booster is due from a history's summary: its baseline, its best score
    (the lowest, the earliest of equals) and its latest score, each with its time."""
    if baseline is None or baseline <= 0 or best is None or latest is None:
        return BoosterStatus(False, False, "No baseline score: no booster rule applies.")
    best_at, best_score = best
    responded = (baseline - best_score) >= RESPONSE_FALL * baseline
    if not responded:
        return BoosterStatus(False, False, "No response yet (no fall of 50% from baseline).")
    latest_at, latest_score = latest
    if latest_at <= best_at:
        return BoosterStatus(False, True, f"Responded: best score {best_score}, still the latest.")
    improvement = baseline - best_score
    lost = latest_score - best_score
    threshold = Decimal(baseline) * Decimal(str(RESPONSE_FALL))
    if Decimal(latest_score) > threshold:
        return BoosterStatus(
            True,
            True,
            f"Booster due: the score is back to {latest_score}, above the response threshold "
            f"({threshold:g}, half of the baseline {baseline}).",
        )
    if improvement > 0 and Decimal(lost) >= loss_fraction * improvement:
        return BoosterStatus(
            True,
            True,
            f"Booster due: the score rose from its best {best_score} to {latest_score}, losing "
            f"{lost} of the {improvement}-point improvement (trigger: {loss_fraction:%}).",
        )
    return BoosterStatus(False, True, f"Response holds: latest {latest_score}, best {best_score}.")
