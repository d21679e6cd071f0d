"""POST /api/v1/pk/simulate: the `pk` command's prediction over HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from ketamine_clinic.clinical.pharmacokinetics.prediction import (
    PredictionError,
    PredictionRequest,
    predict,
)
from ketamine_clinic.common.api import ErrorOut, Strict

from .edges import MAX_SEED, MAX_TIME_MIN, check_request, plain

router = Router(tags=["pharmacokinetics"])


class DoseIn(Strict):
    """One dose as given: a bolus (no end_min) or an infusion segment from start to end."""

    start_min: float
    end_min: float | None = None
    mg: float


class SimulateIn(Strict):
    drug: str = "ketamine"
    route: str = "iv"
    model: str = "clements"
    weight_kg: float | None = None  # required for ketamine (checked by `predict`)
    dose_mg_per_kg: float | None = None  # required for ketamine (checked by `predict`)
    dose_mg: float | None = None  # intranasal esketamine: 28, 56 or 84
    age_years: float | None = None  # esketamine covariate
    asian: bool = False  # esketamine covariate
    japanese: bool = False  # esketamine covariate (implies asian)
    threshold_ng_per_ml: float | None = None  # default 100 ng/mL
    doses: list[DoseIn] | None = None  # ketamine as given, instead of dose_mg_per_kg
    device_times_min: list[float] | None = None  # esketamine as given
    infusion_min: float = 40
    at_min: list[Annotated[float, Field(ge=0, le=MAX_TIME_MIN)]]
    population: int = 0
    seed: int = Field(0, ge=0, le=MAX_SEED)
    variability: str | None = None  # per drug: otto2021 (ketamine), perez-ruixo2021


class SimulateOut(Schema):
    model: str
    times_min: list[float]
    concentration_ng_per_ml: list[float]
    cmax_ng_per_ml: float
    tmax_min: float
    auc_ng_h_per_ml: float
    time_above_threshold_min: float
    time_until_below_threshold_min: float
    threshold_ng_per_ml: float
    p05: list[float] | None = None
    p95: list[float] | None = None
    population: int | None = None
    seed: int | None = None
    variability: str | None = None
    statistic: str | None = None
    noresketamine_ng_per_ml: list[float] | None = None
    dose_mg: float | None = None
    devices: int | None = None
    device_times_min: list[float] | None = None
    threshold_note: str | None = None
    norketamine_ng_per_ml: list[float] | None = None
    norketamine_model: str | None = None
    doses: list[dict[str, float]] | None = None


@router.post("/pk/simulate", response={200: SimulateOut, 422: ErrorOut})
def simulate(request: HttpRequest, payload: SimulateIn) -> dict[str, Any]:
    """Predicted plasma concentrations (ng/mL) for a dose; time 0 is the start of dosing."""
    try:
        check_request(seed=payload.seed, times=payload.at_min)
        prediction: dict[str, Any] = plain(
            predict(
                PredictionRequest(
                    drug=payload.drug,
                    route=payload.route,
                    model=payload.model,
                    weight_kg=payload.weight_kg,
                    dose_mg_per_kg=payload.dose_mg_per_kg,
                    infusion_min=payload.infusion_min,
                    times_min=payload.at_min,
                    population=payload.population,
                    seed=payload.seed,
                    variability=payload.variability,
                    dose_mg=payload.dose_mg,
                    age_years=payload.age_years,
                    asian=payload.asian,
                    japanese=payload.japanese,
                    threshold_ng_per_ml=payload.threshold_ng_per_ml,
                    doses=(
                        None
                        if payload.doses is None
                        else [dose.model_dump(exclude_none=True) for dose in payload.doses]
                    ),
                    device_times_min=payload.device_times_min,
                )
            )
        )
    except PredictionError as error:
        field = "at_min" if error.field == "times_min" else error.field
        raise ValidationError({field: error.message}) from None
    return prediction
