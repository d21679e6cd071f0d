"""Simulate ketamine plasma concentrations: `ketamine-clinic pk --route iv --weight-kg 70 …`.

Time 0 is the start of the IV infusion (or the IM injection). Prints one JSON object with
--json, else a short summary. --population N --seed S simulates N virtual subjects with
between-subject variability: the concentrations and metrics are then population medians, with
5th/95th percentile arrays `p05` and `p95`. Bad input ends with exit status 2 and a message
naming the field. Models and sources: ketamine_clinic/clinical/pharmacokinetics/.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketamine_clinic.clinical.anthropometrics import MeasurementError, check_weight_kg
from ketamine_clinic.clinical.pharmacokinetics.metrics import exposure
from ketamine_clinic.clinical.pharmacokinetics.models import (
    CENTRAL,
    IM_KETAMINE,
    IV_MODELS,
    im_depot,
    im_system,
    iv_system,
)
from ketamine_clinic.clinical.pharmacokinetics.population import (
    VARIABILITY,
    percentiles,
    population_system,
)
from ketamine_clinic.clinical.pharmacokinetics.solver import (
    Bolus,
    Dose,
    Infusion,
    LinearSystem,
    simulate,
)

USAGE_ERROR = 2
# The upper limit for an IV dose (sub-anaesthetic to anaesthetic range).
IV_MAX_DOSE_MG_PER_KG = 5.0
MAX_POPULATION = 100_000
AVAILABLE = {("ketamine", "iv"), ("ketamine", "im")}
NOT_YET = {("esketamine", "intranasal")}


def fail(message: str) -> CommandError:
    return CommandError(message, returncode=USAGE_ERROR)


def parse_times(text: str) -> list[float]:
    """Return the sampling times in `text` ("40,80,110"), sorted and non-negative."""
    times: list[float] = []
    for raw in text.split(","):
        try:
            value = float(raw.strip())
        except ValueError:
            raise fail(f"--at-min: {raw.strip()!r} is not a number.") from None
        if not np.isfinite(value) or value < 0:
            raise fail(f"--at-min: times must be non-negative minutes (got {raw.strip()}).")
        if times and value <= times[-1]:
            raise fail("--at-min: times must be sorted in increasing order.")
        times.append(value)
    return times


def rounded(values: Any, digits: int = 2) -> Any:
    return np.round(np.asarray(values, dtype=np.float64), digits).tolist()


class Command(BaseCommand):
    help = (
        "Simulate ketamine plasma concentrations (ng/mL) for an IV infusion or an IM injection; "
        "time 0 is the start of dosing."
    )
    requires_system_checks: list[str] = []  # pure computation: no database, no checks
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--drug", default="ketamine", help="ketamine (racemic)")
        parser.add_argument("--route", default="iv", help="iv or im")
        parser.add_argument(
            "--model", default="clements", help="IV disposition set: clements (default), domino"
        )
        parser.add_argument("--weight-kg", required=True, help="body weight in kg (25–350)")
        parser.add_argument("--dose-mg-per-kg", required=True, help="dose in mg/kg")
        parser.add_argument(
            "--infusion-min", default="40", help="IV infusion duration in min (0 = bolus)"
        )
        parser.add_argument("--at-min", required=True, help="comma-separated sampling times in min")
        parser.add_argument("--population", type=int, default=0, help="virtual subjects")
        parser.add_argument("--seed", type=int, default=0, help="random seed (population)")
        parser.add_argument(
            "--variability",
            default="otto2021",
            help=f"IIV preset: {', '.join(VARIABILITY)} (both borrowed; see population.py)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        drug, route = options["drug"].lower(), options["route"].lower()
        if (drug, route) in NOT_YET:
            raise fail(f"--drug/--route: {drug} {route} is not available yet.")
        if (drug, route) not in AVAILABLE:
            raise fail(f"--drug/--route: unknown drug and route pair {drug} {route}.")
        try:
            weight = float(check_weight_kg(Decimal(options["weight_kg"])))
        except InvalidOperation:
            raise fail("--weight-kg: not a number.") from None
        except MeasurementError as error:
            raise fail(f"--weight-kg: {error.message}") from None
        try:
            dose_per_kg = float(options["dose_mg_per_kg"])
        except ValueError:
            raise fail("--dose-mg-per-kg: not a number.") from None
        if not np.isfinite(dose_per_kg) or dose_per_kg <= 0:
            raise fail("--dose-mg-per-kg: the dose must be greater than 0.")
        if route == "iv" and dose_per_kg > IV_MAX_DOSE_MG_PER_KG:
            raise fail(f"--dose-mg-per-kg: an IV dose above {IV_MAX_DOSE_MG_PER_KG} mg/kg.")
        times = parse_times(options["at_min"])
        model_name = options["model"].lower()
        if model_name not in IV_MODELS:
            raise fail(f"--model: unknown model {model_name!r} (use {', '.join(IV_MODELS)}).")
        if route == "im" and model_name != "clements":
            raise fail("--model: the IM model uses the clements disposition only.")
        n = options["population"]
        if not 0 <= n <= MAX_POPULATION:
            raise fail(f"--population: between 0 and {MAX_POPULATION} subjects.")
        if options["variability"] not in VARIABILITY:
            raise fail(f"--variability: unknown preset {options['variability']!r}.")
        dose_mg = dose_per_kg * weight
        regimen: list[Dose]
        if route == "iv":
            try:
                duration = float(options["infusion_min"])
            except ValueError:
                raise fail("--infusion-min: not a number.") from None
            if not np.isfinite(duration) or duration < 0:
                raise fail("--infusion-min: the duration must be 0 (bolus) or more minutes.")
            iv_model = IV_MODELS[model_name]
            regimen = (
                [Infusion(0.0, duration, dose_mg / duration, CENTRAL)]
                if duration > 0
                else [Bolus(0.0, dose_mg, CENTRAL)]
            )
            label = iv_model.name
            typical: LinearSystem = iv_system(iv_model, weight)
            model_obj: Any = iv_model
        else:
            regimen = [Bolus(0.0, dose_mg, im_depot(IM_KETAMINE))]
            label = IM_KETAMINE.name
            typical = im_system(IM_KETAMINE, weight)
            model_obj = IM_KETAMINE
        system = (
            population_system(
                model_obj, weight, n, options["seed"], VARIABILITY[options["variability"]]
            )
            if n
            else typical
        )
        conc = simulate(system, regimen, np.asarray(times))
        metrics = exposure(system, regimen)
        result: dict[str, Any] = {"model": label, "times_min": times}
        if n:
            conc_p = percentiles(conc)
            result.update(
                concentration_ng_per_ml=rounded(conc_p.median),
                p05=rounded(conc_p.p05),
                p95=rounded(conc_p.p95),
                cmax_ng_per_ml=round(float(np.median(metrics.cmax_ng_per_ml)), 2),
                tmax_min=float(np.median(metrics.tmax_min)),
                auc_ng_h_per_ml=round(float(np.median(metrics.auc_ng_h_per_ml)), 2),
                population=n,
                seed=options["seed"],
                variability=options["variability"],
                statistic="median",
            )
        else:
            result.update(
                concentration_ng_per_ml=rounded(conc[0]),
                cmax_ng_per_ml=round(float(metrics.cmax_ng_per_ml[0]), 2),
                tmax_min=float(metrics.tmax_min[0]),
                auc_ng_h_per_ml=round(float(metrics.auc_ng_h_per_ml[0]), 2),
            )
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            pairs = ", ".join(
                f"{t:g} min {c:g}"
                for t, c in zip(times, result["concentration_ng_per_ml"], strict=True)
            )
            self.stdout.write(
                f"{label}: {pairs} ng/mL; Cmax {result['cmax_ng_per_ml']} ng/mL at "
                f"{result['tmax_min']:g} min; AUC {result['auc_ng_h_per_ml']} ng·h/mL"
            )
