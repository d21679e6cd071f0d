"""One prediction request, checked and computed: what the `pk` command and the API share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from ketamine_clinic.clinical.anthropometrics import MeasurementError, check_weight_kg

from . import esketamine as esk
from .metrics import exposure
from .models import CENTRAL, IM_KETAMINE, IV_MODELS, im_depot, im_system, iv_system
from .population import VARIABILITY, percentiles, population_system
from .solver import Bolus, Dose, Infusion, LinearSystem, simulate, simulate_amounts

# The upper limit for an IV dose (sub-anaesthetic to anaesthetic range, issue #6).
IV_MAX_DOSE_MG_PER_KG = 5.0
MAX_POPULATION = 100_000
AVAILABLE = {("ketamine", "iv"), ("ketamine", "im"), ("esketamine", "intranasal")}
NOT_YET: set[tuple[str, str]] = set()


class PredictionError(ValueError):
    """A request that cannot be computed; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class PredictionRequest:
    weight_kg: Any = None  # required for ketamine; not used for esketamine (no weight effect)
    dose_mg_per_kg: Any = None  # ketamine only
    times_min: Sequence[Any] = ()
    drug: str = "ketamine"
    route: str = "iv"
    model: str = "clements"
    infusion_min: Any = 40
    population: int = 0
    seed: int = 0
    variability: str = "otto2021"
    dose_mg: Any = None  # esketamine only: 28, 56 or 84 mg (28-mg devices)
    age_years: Any = None  # esketamine covariate (hepatic blood flow above 60 years)
    asian: bool = False  # esketamine covariate (kel, noresketamine CLn/F)


def _number(value: Any, field: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PredictionError(field, "not a number.") from None
    if not np.isfinite(number):
        raise PredictionError(field, "not a number.")
    return number


def check_times(values: Sequence[Any]) -> list[float]:
    """The sampling times as floats: non-negative and strictly increasing."""
    times: list[float] = []
    for raw in values:
        value = _number(raw, "times_min")
        if value < 0:
            raise PredictionError("times_min", f"times must be non-negative minutes ({raw}).")
        if times and value <= times[-1]:
            raise PredictionError("times_min", "times must be sorted in increasing order.")
        times.append(value)
    if not times:
        raise PredictionError("times_min", "give at least one time.")
    return times


def rounded(values: Any, digits: int = 2) -> Any:
    return np.round(np.asarray(values, dtype=np.float64), digits).tolist()


def predict(request: PredictionRequest) -> dict[str, Any]:
    """Check the request and return the prediction as plain data (times in min, ng/mL)."""
    drug, route = request.drug.lower(), request.route.lower()
    if (drug, route) in NOT_YET:
        raise PredictionError("route", f"{drug} {route} is not available yet.")
    if (drug, route) not in AVAILABLE:
        raise PredictionError("route", f"unknown drug and route pair {drug} {route}.")
    if drug == "esketamine":
        return _predict_esketamine(request)
    for field in ("dose_mg", "age_years"):
        if getattr(request, field) is not None:
            raise PredictionError(field, "applies to intranasal esketamine only.")
    if request.asian:
        raise PredictionError("asian", "applies to intranasal esketamine only.")
    if request.weight_kg is None:
        raise PredictionError("weight_kg", "required for ketamine.")
    if request.dose_mg_per_kg is None:
        raise PredictionError("dose_mg_per_kg", "required for ketamine.")
    try:
        weight = float(check_weight_kg(Decimal(str(request.weight_kg))))
    except InvalidOperation:
        raise PredictionError("weight_kg", "not a number.") from None
    except MeasurementError as error:
        raise PredictionError("weight_kg", error.message) from None
    dose_per_kg = _number(request.dose_mg_per_kg, "dose_mg_per_kg")
    if dose_per_kg <= 0:
        raise PredictionError("dose_mg_per_kg", "the dose must be greater than 0.")
    if route == "iv" and dose_per_kg > IV_MAX_DOSE_MG_PER_KG:
        raise PredictionError("dose_mg_per_kg", f"an IV dose above {IV_MAX_DOSE_MG_PER_KG} mg/kg.")
    times = check_times(request.times_min)
    model_name = request.model.lower()
    if model_name not in IV_MODELS:
        raise PredictionError("model", f"unknown model {model_name!r} ({', '.join(IV_MODELS)}).")
    if route == "im" and model_name != "clements":
        raise PredictionError("model", "the IM model uses the clements disposition only.")
    n = request.population
    if not 0 <= n <= MAX_POPULATION:
        raise PredictionError("population", f"between 0 and {MAX_POPULATION} subjects.")
    if request.variability not in VARIABILITY:
        raise PredictionError("variability", f"unknown preset {request.variability!r}.")
    dose_mg = dose_per_kg * weight
    regimen: list[Dose]
    model_obj: Any
    if route == "iv":
        duration = _number(request.infusion_min, "infusion_min")
        if duration < 0:
            raise PredictionError("infusion_min", "0 (a bolus) or more minutes.")
        model_obj = IV_MODELS[model_name]
        regimen = (
            [Infusion(0.0, duration, dose_mg / duration, CENTRAL)]
            if duration > 0
            else [Bolus(0.0, dose_mg, CENTRAL)]
        )
        typical: LinearSystem = iv_system(model_obj, weight)
    else:
        model_obj = IM_KETAMINE
        regimen = [Bolus(0.0, dose_mg, im_depot(IM_KETAMINE))]
        typical = im_system(IM_KETAMINE, weight)
    system = (
        population_system(model_obj, weight, n, request.seed, VARIABILITY[request.variability])
        if n
        else typical
    )
    conc = simulate(system, regimen, np.asarray(times))
    metrics = exposure(system, regimen)
    result: dict[str, Any] = {"model": model_obj.name, "times_min": times}
    if n:
        bands = percentiles(conc)
        result.update(
            concentration_ng_per_ml=rounded(bands.median),
            p05=rounded(bands.p05),
            p95=rounded(bands.p95),
            cmax_ng_per_ml=round(float(np.median(metrics.cmax_ng_per_ml)), 2),
            tmax_min=float(np.median(metrics.tmax_min)),
            auc_ng_h_per_ml=round(float(np.median(metrics.auc_ng_h_per_ml)), 2),
            time_above_threshold_min=round(float(np.median(metrics.time_above_min)), 1),
            time_until_below_threshold_min=round(float(np.median(metrics.time_until_below_min)), 1),
            population=n,
            seed=request.seed,
            variability=request.variability,
            statistic="median",
        )
    else:
        result.update(
            concentration_ng_per_ml=rounded(conc[0]),
            cmax_ng_per_ml=round(float(metrics.cmax_ng_per_ml[0]), 2),
            tmax_min=float(metrics.tmax_min[0]),
            auc_ng_h_per_ml=round(float(metrics.auc_ng_h_per_ml[0]), 2),
            time_above_threshold_min=round(float(metrics.time_above_min[0]), 1),
            time_until_below_threshold_min=round(float(metrics.time_until_below_min[0]), 1),
        )
    result["threshold_ng_per_ml"] = metrics.threshold_ng_per_ml
    return result


def _predict_esketamine(request: PredictionRequest) -> dict[str, Any]:
    """Intranasal esketamine (Perez-Ruixo 2021): typical subject, 28-mg devices 5 min apart."""
    if request.dose_mg_per_kg is not None:
        raise PredictionError("dose_mg_per_kg", "esketamine is dosed in mg (use dose_mg).")
    if request.dose_mg is None:
        raise PredictionError("dose_mg", "required for esketamine (28, 56 or 84 mg).")
    dose_mg = _number(request.dose_mg, "dose_mg")
    try:
        esk.devices_for(dose_mg)
    except ValueError as error:
        raise PredictionError("dose_mg", str(error)) from None
    age: float | None = None
    if request.age_years is not None:
        age = _number(request.age_years, "age_years")
        if not esk.MIN_AGE_YEARS <= age <= esk.MAX_AGE_YEARS:
            raise PredictionError(
                "age_years",
                f"the model was built on ages {esk.MIN_AGE_YEARS:g}–{esk.MAX_AGE_YEARS:g} years.",
            )
    if request.population:
        raise PredictionError("population", "no population variability for esketamine yet.")
    times = check_times(request.times_min)
    model = esk.PEREZ_RUIXO_2021
    asian = bool(request.asian)
    regimen = esk.intranasal_regimen(dose_mg, model=model)
    full = esk.esketamine_system(model, age, asian)
    amounts = simulate_amounts(full, regimen, np.asarray(times))
    conc = amounts[:, :, full.observed] / full.volume_l[:, None] * 1000.0
    # Metrics on the parent-only system, so that λz (AUC tail) is esketamine's own.
    metrics = exposure(esk.esketamine_system(model, age, asian, metabolite=False), regimen)
    return {
        "model": model.name,
        "times_min": times,
        "concentration_ng_per_ml": rounded(conc[0]),
        "noresketamine_ng_per_ml": rounded(esk.noresketamine_ng_per_ml(amounts, model)[0]),
        "cmax_ng_per_ml": round(float(metrics.cmax_ng_per_ml[0]), 2),
        "tmax_min": float(metrics.tmax_min[0]),
        "auc_ng_h_per_ml": round(float(metrics.auc_ng_h_per_ml[0]), 2),
        "time_above_threshold_min": round(float(metrics.time_above_min[0]), 1),
        "time_until_below_threshold_min": round(float(metrics.time_until_below_min[0]), 1),
        "threshold_ng_per_ml": metrics.threshold_ng_per_ml,
        "dose_mg": dose_mg,
        "devices": esk.devices_for(dose_mg),
        "device_times_min": [dose.time_min for dose in regimen if isinstance(dose, Bolus)],
    }
