"""A prediction block: charts, a metrics table and the caveats for one or more regimens.

The reusable unit that pages embed (with `pk/_prediction_block.html`): the PK explorer with
planned regimens; a treatment plan with its planned dose; a session page with the doses as given
(`PredictionRequest.doses` / `device_times_min`, minutes from the first dose).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ketamine_clinic.clinical.pharmacokinetics.metrics import DISSOCIATION_THRESHOLD_NG_PER_ML
from ketamine_clinic.clinical.pharmacokinetics.prediction import (
    PredictionError,
    PredictionRequest,
    predict,
)

from .charts import Curve, concentration_chart

# What a clinician must know about each model's limits (PK ref = docs/clinical/pharmacokinetics.md).
CAVEATS = {
    "borrowed-iiv": "The spread between patients for racemic ketamine is borrowed from published "
    "S-ketamine data (Fanta 2015 / Otto 2021): no published set exists for these models.",
    "im-ka": "The IM absorption rate is an assumption (no adult value is published); "
    "bioavailability 93% is from the reference.",
    "bolus": "After a bolus, early concentrations are under-predicted: the Clements model starts "
    "a bolus in a large central volume (about 1.75 L/kg), while 296 ng/mL was measured 2 minutes "
    "after a 10 mg IV bolus (PK ref §3.1).",
    "domino": "The Domino set falls steeply after the infusion ends; probably too steep for the "
    "venous samples a clinic draws (PK ref §0).",
    "norketamine": "Norketamine is a surrogate: the S-norketamine disposition of Otto 2021, fed "
    "by all of the parent's clearance (no racemic parent-and-metabolite model was found).",
    "esketamine-threshold": "No esketamine concentration linked to dissociation is published in "
    "our reference: the 100 ng/mL line is the racemic-ketamine value.",
    "esketamine-iiv": "The spread between patients is the published one (Perez-Ruixo 2021), "
    "except on the formation of noresketamine, whose value the paper omits (30% assumed).",
    "noresketamine": "The published model over-predicts the noresketamine AUC by about 1.4–1.6× "
    "(its peak is reproduced within 2%).",
}


@dataclass(frozen=True)
class PredictionBlock:
    results: list[dict[str, Any]]
    chart: str | None
    metabolite_chart: str | None
    metabolite: str
    problems: list[str]
    caveats: list[str]
    threshold_ng_per_ml: float


def _curve(label: str, result: dict[str, Any], key: str = "concentration_ng_per_ml") -> Curve:
    doses = result.get("doses") or []
    bands = key == "concentration_ng_per_ml"
    return Curve(
        label,
        result["times_min"],
        result[key],
        result.get("p05") if bands else None,
        result.get("p95") if bands else None,
        dose_times_min=[d["start_min"] for d in doses if d["end_min"] == d["start_min"]]
        or result.get("device_times_min", []),
        infusions_min=[
            (d["start_min"], d["end_min"]) for d in doses if d["end_min"] > d["start_min"]
        ],
    )


def _caveats(request: PredictionRequest, result: dict[str, Any]) -> list[str]:
    drug, route, model = request.drug.lower(), request.route.lower(), request.model.lower()
    if drug == "esketamine":
        keys = ["esketamine-threshold", "noresketamine"]
        if result.get("population"):
            keys.append("esketamine-iiv")
        return keys
    keys = ["norketamine"]
    if result.get("population"):
        keys.append("borrowed-iiv")
    if route == "im":
        keys.append("im-ka")
    elif any(d["end_min"] == d["start_min"] for d in result.get("doses", [])):
        keys.append("bolus")
    if route == "iv" and model == "domino":
        keys.append("domino")
    return keys


def prediction_block(regimens: Sequence[tuple[str, PredictionRequest]]) -> PredictionBlock:
    """Predict each labelled regimen; a regimen that cannot be computed becomes a problem line."""
    results: list[dict[str, Any]] = []
    problems: list[str] = []
    caveat_keys: list[str] = []
    for label, request in regimens:
        try:
            result = predict(request)
        except PredictionError as error:
            problems.append(f"{label}: {error.message}")
            continue
        results.append({"label": label, **result})
        caveat_keys += [k for k in _caveats(request, result) if k not in caveat_keys]
    threshold = results[0]["threshold_ng_per_ml"] if results else DISSOCIATION_THRESHOLD_NG_PER_ML
    esketamine = bool(results) and "noresketamine_ng_per_ml" in results[0]
    substance, metabolite_key, metabolite = (
        ("esketamine", "noresketamine_ng_per_ml", "noresketamine")
        if esketamine
        else ("ketamine", "norketamine_ng_per_ml", "norketamine (surrogate)")
    )
    chart = metabolite_chart = None
    if results:
        chart = concentration_chart(
            [_curve(r["label"], r) for r in results], threshold, substance=substance
        )
        metabolite_chart = concentration_chart(
            [_curve(r["label"], r, metabolite_key) for r in results if metabolite_key in r],
            None,
            substance=metabolite,
            title=f"Predicted {metabolite} (median)",
        )
    return PredictionBlock(
        results=results,
        chart=chart,
        metabolite_chart=metabolite_chart,
        metabolite=metabolite,
        problems=problems,
        caveats=[CAVEATS[k] for k in caveat_keys],
        threshold_ng_per_ml=threshold,
    )
