"""One prediction request, checked and computed: what the `pk` command, the API and the charts
share.

A request is either a planned dose in its simple form (ketamine: mg/kg as one IV infusion, an IV
bolus or one IM injection; esketamine: 28, 56 or 84 mg, devices 5 minutes apart) or, after a
session, the doses as given: `doses` (ketamine: boluses and infusion segments in mg; a rate
change is two segments) or `device_times_min` (esketamine: when each device was used). Time 0
is the start of dosing: the first dose starts at 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from ketamine_clinic.clinical.anthropometrics import MeasurementError, check_weight_kg

from . import esketamine as esk
from . import norketamine as nor
from .metrics import DISSOCIATION_THRESHOLD_NG_PER_ML, Exposure, concentrations_and_exposure
from .models import CENTRAL, IM_KETAMINE, IV_MODELS, im_depot, im_system, iv_system
from .population import VARIABILITY, percentiles, population_system
from .solver import (
    Bolus,
    Dose,
    FloatArray,
    Infusion,
    LinearSystem,
)

# The upper limit for an IV dose (sub-anaesthetic to anaesthetic range, issue #6); it
# applies to the total of a session's doses. The reference publishes no IM maximum (its "usual
# IM dose 0.5–1 mg/kg" is unconfirmed, docs/clinical/reference.md §1.3), so the same bound
# refuses absurd IM doses: an input check, not a dosing recommendation.
MAX_DOSE_MG_PER_KG = 5.0
# Bounds on the work one request may ask for (a request runs inside a web worker): not clinical.
# 2,000 virtual patients give stable 5th–95th percentiles; bench/pk_bench.py runs 10,000 through
# the core directly. 1,500 times cover 24 h at 1-minute resolution.
MAX_POPULATION = 2_000
MAX_TIMES = 1_500
MAX_DOSING_MIN = 24 * 60.0  # ketamine doses and infusions of one session, within 24 h
MAX_DEVICE_SPREAD_MIN = 60.0  # the devices of one esketamine session, within an hour
# Not a clinical limit: a threshold above this is a typing error (anaesthetic concentrations are
# 1200–2400 ng/mL, PK ref §3.1), so it is refused rather than drawn off the chart.
MAX_THRESHOLD_NG_PER_ML = 10_000.0
MAX_DOSES = 50
AVAILABLE = {("ketamine", "iv"), ("ketamine", "im"), ("esketamine", "intranasal")}
ESKETAMINE_VARIABILITY = "perez-ruixo2021"
DEFAULT_VARIABILITY = {"ketamine": "otto2021", "esketamine": ESKETAMINE_VARIABILITY}
# The 100 ng/mL line is a racemic-ketamine value (PK ref §4, Zanos 2018 citing Krystal 1994);
# the reference gives no concentration linked to dissociation for esketamine.
ESKETAMINE_THRESHOLD_NOTE = (
    "No esketamine concentration linked to dissociation is published in our reference; the "
    "default line is the racemic-ketamine value."
)


class PredictionError(ValueError):
    """A request that cannot be computed; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class PredictionRequest:
    weight_kg: Any = None  # required for ketamine; not used for esketamine (no weight effect)
    dose_mg_per_kg: Any = None  # ketamine, simple form
    times_min: Sequence[Any] = ()
    drug: str = "ketamine"
    route: str = "iv"
    model: str = "clements"
    infusion_min: Any = 40
    population: int = 0
    seed: int = 0
    variability: str | None = None  # default per drug (DEFAULT_VARIABILITY)
    dose_mg: Any = None  # esketamine only: 28, 56 or 84 mg (28-mg devices)
    age_years: Any = None  # esketamine covariate (hepatic blood flow above 60 years)
    asian: bool = False  # esketamine covariate (kel, noresketamine CLn/F)
    japanese: bool = False  # esketamine covariate (FRn); Japanese subjects are also Asian
    threshold_ng_per_ml: Any = None  # default DISSOCIATION_THRESHOLD_NG_PER_ML
    # ketamine as given: [{"start_min", "end_min" (absent or equal: a bolus), "mg"}, ...]
    doses: Sequence[Mapping[str, Any]] | None = None
    device_times_min: Sequence[Any] | None = None  # esketamine as given


def _number(value: Any, field: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PredictionError(field, "not a number.") from None
    if not np.isfinite(number):
        raise PredictionError(field, "not a number.")
    return number


def _increasing(values: Sequence[Any], field: str, allow_empty: bool = False) -> list[float]:
    numbers: list[float] = []
    for raw in values:
        value = _number(raw, field)
        if value < 0:
            raise PredictionError(field, f"times must be non-negative minutes ({raw}).")
        if numbers and value <= numbers[-1]:
            raise PredictionError(field, "times must be sorted in increasing order.")
        numbers.append(value)
    if not numbers and not allow_empty:
        raise PredictionError(field, "give at least one time.")
    if len(numbers) > MAX_TIMES:
        raise PredictionError(field, f"at most {MAX_TIMES} times.")
    return numbers


def check_times(values: Sequence[Any]) -> list[float]:
    """The sampling times as floats: non-negative and strictly increasing."""
    return _increasing(values, "times_min")


def rounded(values: Any, digits: int = 2) -> Any:
    return np.round(np.asarray(values, dtype=np.float64), digits).tolist()


def _threshold(request: PredictionRequest) -> float:
    if request.threshold_ng_per_ml is None:
        return DISSOCIATION_THRESHOLD_NG_PER_ML
    value = _number(request.threshold_ng_per_ml, "threshold_ng_per_ml")
    if not 0 < value <= MAX_THRESHOLD_NG_PER_ML:
        raise PredictionError(
            "threshold_ng_per_ml", f"between 0 and {MAX_THRESHOLD_NG_PER_ML:g} ng/mL."
        )
    return value


def _population(request: PredictionRequest, drug: str) -> tuple[int, str]:
    n = request.population
    if not isinstance(n, int) or not 0 <= n <= MAX_POPULATION:
        raise PredictionError("population", f"between 0 and {MAX_POPULATION} subjects.")
    name = request.variability or DEFAULT_VARIABILITY[drug]
    allowed = [ESKETAMINE_VARIABILITY] if drug == "esketamine" else list(VARIABILITY)
    if name not in allowed:
        raise PredictionError(
            "variability", f"unknown preset {name!r} for {drug} ({', '.join(allowed)})."
        )
    return n, name


def predict(request: PredictionRequest) -> dict[str, Any]:
    """Check the request and return the prediction as plain data (times in min, ng/mL)."""
    drug, route = request.drug.lower(), request.route.lower()
    if (drug, route) not in AVAILABLE:
        raise PredictionError("route", f"unknown drug and route pair {drug} {route}.")
    if drug == "esketamine":
        return _predict_esketamine(request)
    return _predict_ketamine(request, route)


def _weight(request: PredictionRequest) -> float:
    if request.weight_kg is None:
        raise PredictionError("weight_kg", "required for ketamine.")
    try:
        return float(check_weight_kg(Decimal(str(request.weight_kg))))
    except InvalidOperation:
        raise PredictionError("weight_kg", "not a number.") from None
    except MeasurementError as error:
        raise PredictionError("weight_kg", error.message) from None


def _given_doses(request: PredictionRequest, route: str, weight: float) -> list[Dose]:
    """The `doses` list as boluses and infusions; the total is checked against the IV limit."""
    raw = list(request.doses or [])
    if not raw:
        raise PredictionError("doses", "give at least one dose.")
    if len(raw) > MAX_DOSES:
        raise PredictionError("doses", f"at most {MAX_DOSES} doses.")
    depot = CENTRAL if route == "iv" else im_depot(IM_KETAMINE)
    regimen: list[Dose] = []
    for i, item in enumerate(raw, start=1):
        field = f"doses[{i}]"
        if not isinstance(item, Mapping) or not {"start_min", "mg"} <= set(item):
            raise PredictionError(field, "needs start_min and mg.")
        unknown = set(item) - {"start_min", "end_min", "mg"}
        if unknown:
            raise PredictionError(field, f"unknown keys {', '.join(sorted(unknown))}.")
        start = _number(item["start_min"], f"{field}.start_min")
        mg = _number(item["mg"], f"{field}.mg")
        end = start if item.get("end_min") is None else _number(item["end_min"], f"{field}.end_min")
        if start < 0:
            raise PredictionError(f"{field}.start_min", "must be 0 or later.")
        if mg <= 0:
            raise PredictionError(f"{field}.mg", "the dose must be greater than 0.")
        if end < start:
            raise PredictionError(f"{field}.end_min", "an infusion cannot end before it starts.")
        if end > start and route == "im":
            raise PredictionError(f"{field}.end_min", "an IM injection has no duration.")
        if end > MAX_DOSING_MIN:
            raise PredictionError(
                f"{field}.{'end_min' if end > start else 'start_min'}",
                f"one session's doses fall within {MAX_DOSING_MIN:g} min of the first.",
            )
        if end > start:
            regimen.append(Infusion(start, end, mg / (end - start), depot))
        else:
            regimen.append(Bolus(start, mg, depot))
    first = min(d.time_min if isinstance(d, Bolus) else d.start_min for d in regimen)
    if first != 0:
        raise PredictionError("doses", "time 0 is the start of dosing: the first dose starts at 0.")
    total = sum(d.amount_mg for d in regimen if isinstance(d, Bolus)) + sum(
        d.rate_mg_per_min * (d.end_min - d.start_min) for d in regimen if isinstance(d, Infusion)
    )
    if total / weight > MAX_DOSE_MG_PER_KG + 1e-9:
        raise PredictionError(
            "doses",
            f"{total / weight:.2f} mg/kg in all: above the {MAX_DOSE_MG_PER_KG} mg/kg limit.",
        )
    return regimen


def _planned_dose(request: PredictionRequest, route: str, weight: float) -> list[Dose]:
    if request.dose_mg_per_kg is None:
        raise PredictionError("dose_mg_per_kg", "required for ketamine (or give doses).")
    dose_per_kg = _number(request.dose_mg_per_kg, "dose_mg_per_kg")
    if dose_per_kg <= 0:
        raise PredictionError("dose_mg_per_kg", "the dose must be greater than 0.")
    if dose_per_kg > MAX_DOSE_MG_PER_KG:
        raise PredictionError(
            "dose_mg_per_kg", f"an {route.upper()} dose above {MAX_DOSE_MG_PER_KG} mg/kg."
        )
    dose_mg = dose_per_kg * weight
    if route == "im":
        return [Bolus(0.0, dose_mg, im_depot(IM_KETAMINE))]
    duration = _number(request.infusion_min, "infusion_min")
    if not 0 <= duration <= MAX_DOSING_MIN:
        raise PredictionError(
            "infusion_min", f"0 (a bolus) to {MAX_DOSING_MIN:g} minutes (one session)."
        )
    if duration == 0:
        return [Bolus(0.0, dose_mg, CENTRAL)]
    return [Infusion(0.0, duration, dose_mg / duration, CENTRAL)]


def _predict_ketamine(request: PredictionRequest, route: str) -> dict[str, Any]:
    for field in ("dose_mg", "age_years", "device_times_min"):
        if getattr(request, field) is not None:
            raise PredictionError(field, "applies to intranasal esketamine only.")
    for flag in ("asian", "japanese"):
        if getattr(request, flag):
            raise PredictionError(flag, "applies to intranasal esketamine only.")
    weight = _weight(request)
    if request.doses is not None:
        if request.dose_mg_per_kg is not None:
            raise PredictionError("doses", "give either doses or dose_mg_per_kg, not both.")
        regimen = _given_doses(request, route, weight)
    else:
        regimen = _planned_dose(request, route, weight)
    times = check_times(request.times_min)
    threshold = _threshold(request)
    model_name = request.model.lower()
    if model_name not in IV_MODELS:
        raise PredictionError("model", f"unknown model {model_name!r} ({', '.join(IV_MODELS)}).")
    if route == "im" and model_name != "clements":
        raise PredictionError("model", "the IM model uses the clements disposition only.")
    n, variability = _population(request, "ketamine")
    model_obj: Any = IV_MODELS[model_name] if route == "iv" else IM_KETAMINE
    parent: LinearSystem
    if n:
        parent = population_system(model_obj, weight, n, request.seed, VARIABILITY[variability])
    elif route == "iv":
        parent = iv_system(model_obj, weight)
    else:
        parent = im_system(model_obj, weight)
    nor_cl, nor_v = nor.sample_norketamine_factors(n, request.seed) if n else (None, None)
    full = nor.with_norketamine(parent, weight, cl_factor=nor_cl, v_factor=nor_v)
    conc, metabolite, metrics = _parent_and_metabolite(
        full,
        regimen,
        times,
        nor.norketamine_central(full),
        nor.norketamine_volume_l(weight, v_factor=nor_v, n=max(n, 1)),
        threshold,
    )
    result: dict[str, Any] = {"model": model_obj.name, "times_min": times}
    result.update(_summary(conc, metrics, n, request.seed))
    result.update(
        norketamine_ng_per_ml=rounded(np.median(metabolite, axis=0)),
        norketamine_model=nor.SURROGATE_LABEL,
        threshold_ng_per_ml=threshold,
        doses=_dose_list(regimen),
    )
    if n:
        result["variability"] = variability
    return result


def _parent_and_metabolite(
    system: LinearSystem,
    regimen: Sequence[Dose],
    times: list[float],
    metabolite: int,
    metabolite_volume_l: FloatArray,
    threshold: float,
) -> tuple[FloatArray, FloatArray, Exposure]:
    """Parent and metabolite concentrations (ng/mL), each (N, T), and the parent's exposure.

    One closed-form pass serves the curves and the metrics (the metabolite does not feed back,
    so the parent's exposure is the parent-only system's).
    """
    conc, metrics = concentrations_and_exposure(
        system,
        regimen,
        np.asarray(times, dtype=np.float64),
        [system.observed, metabolite],
        [system.volume_l, metabolite_volume_l],
        threshold,
    )
    return conc[0], conc[1], metrics


def _summary(conc: FloatArray, metrics: Exposure, n: int, seed: int) -> dict[str, Any]:
    """The curve and metrics: a typical subject's, or the median over n subjects with bands."""
    if not n:
        return {
            "concentration_ng_per_ml": rounded(conc[0]),
            "cmax_ng_per_ml": round(float(metrics.cmax_ng_per_ml[0]), 2),
            "tmax_min": round(float(metrics.tmax_min[0]), 1),
            "auc_ng_h_per_ml": round(float(metrics.auc_ng_h_per_ml[0]), 2),
            "time_above_threshold_min": round(float(metrics.time_above_min[0]), 1),
            "time_until_below_threshold_min": round(float(metrics.time_until_below_min[0]), 1),
        }
    bands = percentiles(conc)
    return {
        "concentration_ng_per_ml": rounded(bands.median),
        "p05": rounded(bands.p05),
        "p95": rounded(bands.p95),
        "cmax_ng_per_ml": round(float(np.median(metrics.cmax_ng_per_ml)), 2),
        "tmax_min": round(float(np.median(metrics.tmax_min)), 1),
        "auc_ng_h_per_ml": round(float(np.median(metrics.auc_ng_h_per_ml)), 2),
        "time_above_threshold_min": round(float(np.median(metrics.time_above_min)), 1),
        "time_until_below_threshold_min": round(float(np.median(metrics.time_until_below_min)), 1),
        "population": n,
        "seed": seed,
        "statistic": "median",
    }


def _dose_list(regimen: Sequence[Dose]) -> list[dict[str, float]]:
    """The doses as computed (mg), so a caller can show what was simulated."""
    doses: list[dict[str, float]] = []
    for dose in regimen:
        if isinstance(dose, Bolus):
            doses.append(
                {"start_min": dose.time_min, "end_min": dose.time_min, "mg": dose.amount_mg}
            )
        else:
            mg = dose.rate_mg_per_min * (dose.end_min - dose.start_min)
            doses.append({"start_min": dose.start_min, "end_min": dose.end_min, "mg": round(mg, 3)})
    return doses


def _predict_esketamine(request: PredictionRequest) -> dict[str, Any]:
    """Intranasal esketamine (Perez-Ruixo 2021): 28-mg devices, 5 min apart unless given."""
    if request.dose_mg_per_kg is not None:
        raise PredictionError("dose_mg_per_kg", "esketamine is dosed in mg (use dose_mg).")
    if request.doses is not None:
        raise PredictionError("doses", "esketamine doses are devices (use device_times_min).")
    device_times = None
    if request.device_times_min is not None:
        device_times = _increasing(request.device_times_min, "device_times_min")
        if device_times[0] != 0:
            raise PredictionError(
                "device_times_min", "time 0 is the start of dosing: the first device is at 0."
            )
        if device_times[-1] > MAX_DEVICE_SPREAD_MIN:
            raise PredictionError(
                "device_times_min",
                f"one session's devices are used within {MAX_DEVICE_SPREAD_MIN:g} min.",
            )
    if request.dose_mg is None:
        if device_times is None:
            raise PredictionError("dose_mg", "required for esketamine (28, 56 or 84 mg).")
        dose_mg = esk.DEVICE_MG * len(device_times)
    else:
        dose_mg = _number(request.dose_mg, "dose_mg")
    try:
        devices = esk.devices_for(dose_mg)
    except ValueError as error:
        field = "dose_mg" if request.dose_mg is not None else "device_times_min"
        raise PredictionError(field, str(error)) from None
    if device_times is not None and len(device_times) != devices:
        raise PredictionError(
            "device_times_min", f"{len(device_times)} times for {devices} devices ({dose_mg:g} mg)."
        )
    age: float | None = None
    if request.age_years is not None:
        age = _number(request.age_years, "age_years")
        if not esk.MIN_AGE_YEARS <= age <= esk.MAX_AGE_YEARS:
            raise PredictionError(
                "age_years",
                f"the model was built on ages {esk.MIN_AGE_YEARS:g}–{esk.MAX_AGE_YEARS:g} years.",
            )
    times = check_times(request.times_min)
    threshold = _threshold(request)
    n, variability = _population(request, "esketamine")
    model = esk.PEREZ_RUIXO_2021
    asian = bool(request.asian) or bool(request.japanese)
    japanese = bool(request.japanese)
    regimen = esk.intranasal_regimen(dose_mg, model=model, device_times_min=device_times)
    factors = esk.sample_esketamine_factors(n, request.seed) if n else None

    full = esk.esketamine_system(model, age, asian, True, japanese=japanese, factors=factors)
    conc, noresketamine, metrics = _parent_and_metabolite(
        full,
        regimen,
        times,
        esk.NOR_CENTRAL,
        esk.noresketamine_volume_l(model, factors),
        threshold,
    )
    result: dict[str, Any] = {"model": model.name, "times_min": times}
    result.update(_summary(conc, metrics, n, request.seed))
    result.update(
        noresketamine_ng_per_ml=rounded(np.median(noresketamine, axis=0)),
        threshold_ng_per_ml=threshold,
        threshold_note=ESKETAMINE_THRESHOLD_NOTE,
        dose_mg=dose_mg,
        devices=devices,
        device_times_min=[dose.time_min for dose in regimen if isinstance(dose, Bolus)],
    )
    if n:
        result["variability"] = variability
    return result
