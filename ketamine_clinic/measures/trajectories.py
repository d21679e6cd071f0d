"""Outcomes computed by the database: per patient and instrument, the baseline, latest score,
change, response and remission of `clinical/outcomes.py`, for one patient or for many at once.

One query, whatever the number of patients: window functions over the complete responses,
partitioned by patient and instrument, keep one row per partition. The definitions (which score
is the baseline, the ≥50% fall, the remission cut-offs) are read from `clinical/outcomes.py`, so
the database and the pure core cannot disagree on a number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    When,
    Window,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import FirstValue, RowNumber
from django.db.models.lookups import GreaterThanOrEqual

from ketamine_clinic.clinical import outcomes

from .models import Assessment

# Each capability that gives treatments registers a function returning its treatments as a
# queryset with a `patient_id` column and the moment of treatment annotated as `treated_at`
# (e.g. the treatment sessions' administration start). They mark the score charts, and a
# baseline is a score taken at or before the first of them.
TreatmentTimes = Callable[[], QuerySet[Any]]
TREATMENT_TIMES_PROVIDERS: list[TreatmentTimes] = []


@dataclass(frozen=True)
class InstrumentOutcome:
    """One patient's trajectory on one instrument, with what a booster rule needs."""

    patient_id: int
    trajectory: outcomes.Trajectory
    responses: int  # complete responses with a total
    latest_at: datetime
    best: tuple[datetime, int]  # the lowest total, the earliest of equals

    @property
    def latest(self) -> tuple[datetime, int]:
        return (self.latest_at, self.trajectory.latest or 0)


def treatment_times(patient_id: int) -> list[datetime]:
    """Return every treatment time of the patient, oldest first (one query per provider)."""
    times: list[datetime] = []
    for provider in TREATMENT_TIMES_PROVIDERS:
        times += provider().filter(patient_id=patient_id).values_list("treated_at", flat=True)
    return sorted(times)


def _at_or_before_first_treatment() -> Q:
    """True for a response that no treatment of its patient precedes."""
    condition = Q()
    for provider in TREATMENT_TIMES_PROVIDERS:
        earlier = provider().filter(
            patient_id=OuterRef("patient_id"), treated_at__lt=OuterRef("administered_at")
        )
        condition &= Q(~Exists(earlier))
    return condition


def _remission() -> Case:
    whens = []
    for instrument_id, cutoff in outcomes.REMISSION.items():
        lookup = "lte" if cutoff.inclusive else "lt"
        whens += [
            When(Q(instrument_id=instrument_id, **{f"latest__{lookup}": cutoff.limit}), then=True),
            When(instrument_id=instrument_id, then=False),
        ]
    return Case(*whens, default=None, output_field=BooleanField())


def _responder() -> Case:
    fall, of = outcomes.RESPONSE_FALL_RATIO
    fell_enough = GreaterThanOrEqual(
        ExpressionWrapper((F("baseline") - F("latest")) * of, output_field=IntegerField()),
        ExpressionWrapper(F("baseline") * fall, output_field=IntegerField()),
    )
    applies = Q(instrument_id__in=sorted(outcomes.RESPONSE_INSTRUMENTS), baseline__gt=0)
    return Case(
        When(applies & Q(fell_enough), then=True),
        When(applies, then=False),
        default=None,
        output_field=BooleanField(),
    )


def outcome_rows(assessments: QuerySet[Assessment]) -> QuerySet[Any, Any]:
    """Return one row per patient and instrument of `assessments` (already scoped by the
    caller), with baseline, latest, change, responder, remission, latest_at, best, best_at and
    responses; ordered by patient and instrument."""
    partition = [F("patient_id"), F("instrument_id")]
    oldest_first = [F("administered_at").asc(), F("pk").asc()]
    newest_first = [F("administered_at").desc(), F("pk").desc()]
    baseline_first: list[Combinable | Any] = [F("before_treatment").desc(), *oldest_first]

    def window(expression: Any, order_by: list[Any] | None = None) -> Window:
        return Window(expression, partition_by=partition, order_by=order_by)

    return (
        assessments.filter(status=Assessment.Status.COMPLETE, total__isnull=False)
        .annotate(
            before_treatment=ExpressionWrapper(
                _at_or_before_first_treatment(), output_field=BooleanField()
            )
        )
        .annotate(
            nth=window(RowNumber(), oldest_first),
            baseline=window(
                FirstValue(Case(When(before_treatment=True, then=F("total")), default=None)),
                baseline_first,
            ),
            latest=window(FirstValue("total"), newest_first),
            latest_at=window(FirstValue("administered_at"), newest_first),
            best=window(Min("total")),
            best_at=window(FirstValue("administered_at"), [F("total").asc(), *oldest_first]),
            responses=window(Count("pk")),
        )
        .annotate(
            change=F("latest") - F("baseline"),
            responder=_responder(),
            remission=_remission(),
        )
        .filter(nth=1)
        .order_by("patient_id", "instrument_id")
        .values(
            "patient_id",
            "instrument_id",
            "baseline",
            "latest",
            "change",
            "responder",
            "remission",
            "latest_at",
            "best",
            "best_at",
            "responses",
        )
    )


def outcomes_of(assessments: QuerySet[Assessment]) -> dict[tuple[int, str], InstrumentOutcome]:
    """Return the outcomes of `outcome_rows`, keyed by (patient id, instrument id)."""
    found = {}
    for row in outcome_rows(assessments):
        trajectory = outcomes.Trajectory(
            instrument=row["instrument_id"],
            baseline=row["baseline"],
            latest=row["latest"],
            change=row["change"],
            percent_change=outcomes.percent_change(row["change"], row["baseline"]),
            responder=row["responder"],
            remission=row["remission"],
        )
        found[(row["patient_id"], row["instrument_id"])] = InstrumentOutcome(
            patient_id=row["patient_id"],
            trajectory=trajectory,
            responses=row["responses"],
            latest_at=row["latest_at"],
            best=(row["best_at"], row["best"]),
        )
    return found
