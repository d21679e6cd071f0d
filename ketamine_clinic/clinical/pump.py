"""What an infusion delivered, from the pump's events as recorded at the bedside.

The bag holds `dose_mg` in `total_volume_ml` (the drug volume added to the diluent, dosing.py),
so every millilitre the pump runs carries dose_mg / total_volume_ml of drug. The pump runs at the
prepared rate from `start`, stops running at `pause` and `stop`, runs again at `resume` and
changes its rate at `rate_change`. The bag cannot give more than it holds: once `dose_mg` is
delivered the infusion is over, whatever the pump's clock says.

Example: 40 mg in 104 mL at 156 mL/h (40 min), stopped at 20 min: 52 mL ran, 20 mg given.

An infusion stopped within `COMPLETE_WITHIN_MIN` of the moment its bag would run dry is counted
as complete: bedside times are written to the minute, so a smaller shortfall is the clock's
rounding, not drug left in the bag (clinic policy default, no published source).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

COMPLETE_WITHIN_MIN = Decimal(1)  # clinic policy default, no published source
RUNNING = ("start", "resume", "rate_change")
KINDS = (*RUNNING, "pause", "stop")


class PumpError(ValueError):
    """Events that no pump could have recorded; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class PumpEvent:
    kind: str  # start, pause, resume, rate_change, stop
    minute: Decimal  # since the start
    rate_ml_per_h: Decimal | None = None  # the new rate, for rate_change


@dataclass(frozen=True)
class Segment:
    start_min: Decimal
    end_min: Decimal
    mg: Decimal


@dataclass(frozen=True)
class Delivery:
    segments: list[Segment]
    mg: Decimal  # delivered so far (all of dose_mg when complete)
    dose_mg: Decimal  # what the bag held
    complete: bool  # the bag ran to its end
    over: bool  # stopped, or the bag ran dry

    @property
    def left_in_bag_mg(self) -> Decimal:
        return self.dose_mg - self.mg


def delivered(
    events: Sequence[PumpEvent],
    *,
    rate_ml_per_h: Decimal,
    total_volume_ml: Decimal,
    dose_mg: Decimal,
    until_min: Decimal | None = None,
) -> Delivery:
    """Return what the infusion delivered by its stop (or by `until_min`, while it runs): each
    running stretch with its mg, the total, and whether the bag ran to its end."""
    if rate_ml_per_h <= 0 or total_volume_ml <= 0 or dose_mg <= 0:
        raise PumpError("rate_ml_per_h", "the rate, the volume and the dose must be above zero.")
    if not events or events[0].kind != "start" or events[0].minute != 0:
        raise PumpError("events", "an infusion begins with its start, at minute 0.")
    mg_per_ml = dose_mg / total_volume_ml
    segments: list[Segment] = []
    total = Decimal(0)
    rate: Decimal | None = None  # running at this rate, or None when stopped or paused
    since = Decimal(0)
    last_rate = rate_ml_per_h
    current = rate_ml_per_h
    stopped = False
    ends = [*events, PumpEvent("until", until_min)] if until_min is not None else list(events)
    for event in ends:
        if event.minute < since:
            raise PumpError("events", "events must be in time order.")
        if rate is not None and event.minute > since:
            mg_per_min = rate / 60 * mg_per_ml
            mg = mg_per_min * (event.minute - since)
            end = event.minute
            if total + mg >= dose_mg:
                mg = dose_mg - total
                end = since + mg / mg_per_min
            segments.append(Segment(since, end, mg))
            total += mg
        if total >= dose_mg or event.kind in ("stop", "until"):
            stopped = stopped or event.kind == "stop"
            break
        if event.kind not in KINDS:
            raise PumpError("events", f"unknown pump event {event.kind!r}.")
        if event.kind == "rate_change":
            if event.rate_ml_per_h is None or event.rate_ml_per_h <= 0:
                raise PumpError("rate_ml_per_h", "a rate change needs the new rate.")
            current = event.rate_ml_per_h
        if event.kind in RUNNING:
            rate = current
            last_rate = current
        else:
            rate = None
        since = event.minute
    shortfall = dose_mg - total
    complete = shortfall <= 0
    if stopped and segments and 0 < shortfall <= last_rate / 60 * mg_per_ml * COMPLETE_WITHIN_MIN:
        last = segments[-1]
        segments[-1] = Segment(last.start_min, last.end_min, last.mg + shortfall)
        total, complete = dose_mg, True
    return Delivery(segments, total, dose_mg, complete, stopped or complete)
