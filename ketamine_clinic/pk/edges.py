"""The checks at the edges of the PK prediction (API and command) that the solver leaves out.

A seed must fit the random generator (0 to 2**32 - 1); times are bounded so that the solver's
arithmetic stays finite; the answer is made plain JSON: `-0.0` (a late concentration that
underflowed) reads 0, and a prediction that is not finite is refused, never printed as NaN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ketamine_clinic.clinical.pharmacokinetics.prediction import PredictionError

MAX_SEED = 2**32 - 1  # numpy's SeedSequence takes 0 … 2**32 - 1 as one word
# An input bound, no clinical fact: a week, far past any session's monitoring.
MAX_TIME_MIN = 7 * 24 * 60


def check_request(*, seed: int, times: Sequence[Any]) -> None:
    """Refuse a seed the generator cannot take and times past MAX_TIME_MIN."""
    if not 0 <= seed <= MAX_SEED:
        raise PredictionError("seed", f"between 0 and {MAX_SEED}.")
    for raw in times:
        try:
            value = float(raw)
        except (TypeError, ValueError):
            continue  # the solver names it
        if value > MAX_TIME_MIN:
            raise PredictionError("times_min", f"at most {MAX_TIME_MIN} minutes ({raw}).")


def plain(result: Any) -> Any:
    """`result` with -0.0 as 0.0; PredictionError if any number is NaN or infinite."""
    if isinstance(result, float):
        if not math.isfinite(result):
            raise PredictionError("times_min", "the model gives no finite prediction here.")
        return result + 0.0  # -0.0 + 0.0 is 0.0
    if isinstance(result, dict):
        return {key: plain(value) for key, value in result.items()}
    if isinstance(result, list | tuple):
        return [plain(value) for value in result]
    return result
