"""Change over a course of treatment: baseline, latest score, response and remission.

Definitions (docs/clinical/reference.md §3.1, "Response / remission (common)"):
- Response: a fall of at least 50% from baseline. PHQ-9: Psychiatric Services,
  doi 10.1176/appi.ps.201900295; MADRS: ≥50% drop (Murrough et al. 2013, docs/clinical/reference.md
  §1.4, and PsychBridge); QIDS-SR16: "response ≥50%" is marked general knowledge in
  docs/clinical/reference.md; GAD-7: docs/clinical/reference.md gives no response rule, the same 50%
  is applied (unconfirmed, see below).
- Remission, judged on the latest score:
  PHQ-9 < 5 (Psychiatric Services, doi 10.1176/appi.ps.201900295; SUSTAIN-3 table PMC10439056);
  MADRS ≤ 10 (the ketamine literature via PsychBridge; esketamine trials use ≤ 12);
  QIDS-SR16 ≤ 5 (docs/clinical/reference.md: "unconfirmed beyond secondary" — PsychBridge);
  GAD-7 < 5 (docs/clinical/reference.md: "unconfirmed, general knowledge").
  The GAD-7 and QIDS-SR16 rules are the ones the brief asked for; docs/clinical/reference.md marks
  them unconfirmed, so treat them as defaults a clinic should confirm.
- Other instruments (PCL-5, C-SSRS, CADSS-6, MOAA/S) have no response or remission rule here:
  PCL-5 change is judged in points (docs/clinical/reference.md: reliable change ≥5, meaningful ≥10),
  CADSS-6 is a safety measure, the C-SSRS screener has no total, and a higher MOAA/S is better.
  Their `responder` and `remission` are None; `change` and `percent_change` are still given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

# A fall of at least this fraction of baseline is a response (docs/clinical/reference.md §3.1: "≥50%
# drop").
RESPONSE_FALL = 0.5
# The same fraction as integers (1, 2), so that "fall ≥ 50% of baseline" is judged without
# rounding error: (baseline - latest) * 2 >= baseline * 1.
RESPONSE_FALL_RATIO: tuple[int, int] = RESPONSE_FALL.as_integer_ratio()
RESPONSE_INSTRUMENTS = frozenset({"phq9", "madrs", "qids-sr16", "gad7"})


@dataclass(frozen=True)
class RemissionCutoff:
    """Remission when the latest score is below `limit`, or at it too when `inclusive`.

    Data rather than a function, so that a database query can apply the same cut-off.
    """

    limit: int
    inclusive: bool

    def __call__(self, score: int) -> bool:
        return score <= self.limit if self.inclusive else score < self.limit


# Remission on the latest score, by instrument (docs/clinical/reference.md §3.1; see the module
# docstring).
REMISSION: dict[str, RemissionCutoff] = {
    "phq9": RemissionCutoff(5, inclusive=False),  # < 5
    "madrs": RemissionCutoff(10, inclusive=True),  # ≤ 10
    "qids-sr16": RemissionCutoff(5, inclusive=True),  # ≤ 5
    "gad7": RemissionCutoff(5, inclusive=False),  # < 5
}


@dataclass(frozen=True)
class Trajectory:
    instrument: str
    # The first score at or before the first treatment (or the first score when there is no
    # treatment yet); None when every score comes after the first treatment.
    baseline: int | None
    latest: int | None  # the most recent score
    change: int | None  # latest - baseline (negative = improvement on symptom scales)
    percent_change: float | None  # change as a percentage of baseline (None if baseline is 0)
    responder: bool | None  # ≥50% fall from baseline (None when baseline is 0 or missing)
    remission: bool | None  # PHQ-9 < 5, MADRS ≤ 10, QIDS-SR16 ≤ 5, GAD-7 < 5; None otherwise


def trajectory(
    instrument_id: str,
    scores: Sequence[tuple[datetime, int]],
    first_treatment_at: datetime | None = None,
) -> Trajectory:
    """Return the trajectory of one instrument's totals; `scores` may come in any order.

    A score taken at the very moment of the first treatment counts as before it (a pre-dose
    questionnaire recorded with the treatment's time). Naive and aware datetimes must not be
    mixed (Python refuses to compare them).
    """
    ordered = sorted(scores, key=lambda pair: pair[0])
    if first_treatment_at is None:
        before = ordered
    else:
        before = [pair for pair in ordered if pair[0] <= first_treatment_at]
    baseline = before[0][1] if before else None
    latest = ordered[-1][1] if ordered else None

    change = None
    responder = None
    if baseline is not None and latest is not None:
        change = latest - baseline
        if baseline != 0 and instrument_id in RESPONSE_INSTRUMENTS:
            fall, of = RESPONSE_FALL_RATIO
            responder = (baseline - latest) * of >= baseline * fall
    rule = REMISSION.get(instrument_id)
    remission = rule(latest) if rule is not None and latest is not None else None
    return Trajectory(
        instrument=instrument_id,
        baseline=baseline,
        latest=latest,
        change=change,
        percent_change=percent_change(change, baseline),
        responder=responder,
        remission=remission,
    )


def percent_change(change: int | None, baseline: int | None) -> float | None:
    """Return `change` as a percentage of `baseline` (None without both, or if baseline is 0)."""
    if change is None or not baseline:
        return None
    return 100.0 * change / baseline
