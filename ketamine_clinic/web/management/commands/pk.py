"""`ketamine-clinic pk`: predicted ketamine plasma concentrations for a dose."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketamine_clinic.clinical.pharmacokinetics.population import VARIABILITY
from ketamine_clinic.clinical.pharmacokinetics.prediction import (
    PredictionError,
    PredictionRequest,
    predict,
)
from ketamine_clinic.pk.edges import check_request, plain

USAGE_ERROR = 2
# The command's option names for the request's fields, so that errors name the option typed.
OPTION = {
    "route": "--drug/--route",
    "weight_kg": "--weight-kg",
    "dose_mg_per_kg": "--dose-mg-per-kg",
    "times_min": "--at-min",
    "model": "--model",
    "infusion_min": "--infusion-min",
    "population": "--population",
    "variability": "--variability",
    "dose_mg": "--dose-mg",
    "age_years": "--age-years",
    "asian": "--asian",
    "japanese": "--japanese",
    "threshold_ng_per_ml": "--threshold-ng-per-ml",
    "doses": "--doses",
    "device_times_min": "--device-times-min",
    "seed": "--seed",
}


def parse_doses(text: str) -> list[dict[str, str]]:
    """`--doses 0:10,0-40:25`: a 10 mg bolus at 0 and 25 mg infused from 0 to 40 min."""
    doses: list[dict[str, str]] = []
    for item in text.split(","):
        when, sep, mg = item.strip().partition(":")
        start, dash, end = when.partition("-")
        if not sep or not start.strip() or not mg.strip() or (dash and not end.strip()):
            raise CommandError(
                f"--doses: {item.strip()!r} is not MIN:MG or START-END:MG.", returncode=USAGE_ERROR
            )
        dose = {"start_min": start.strip(), "mg": mg.strip()}
        if dash:
            dose["end_min"] = end.strip()
        doses.append(dose)
    return doses


class Command(BaseCommand):
    help = (
        "Simulate ketamine plasma concentrations (ng/mL) for an IV infusion or an IM injection, "
        "or intranasal esketamine (Spravato); time 0 is the start of dosing."
    )
    requires_system_checks: list[str] = []  # pure computation: no database, no checks
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--drug", default="ketamine", help="ketamine (racemic) or esketamine")
        parser.add_argument("--route", default="iv", help="iv or im (ketamine), intranasal")
        parser.add_argument(
            "--model", default="clements", help="IV disposition set: clements (default), domino"
        )
        parser.add_argument("--weight-kg", help="body weight in kg (25–350; ketamine)")
        parser.add_argument("--dose-mg-per-kg", help="dose in mg/kg (ketamine)")
        parser.add_argument(
            "--dose-mg", help="esketamine dose in mg: 28, 56 or 84 (28-mg devices 5 min apart)"
        )
        parser.add_argument("--age-years", help="age in years (esketamine covariate, 18–86)")
        parser.add_argument(
            "--asian", action="store_true", help="Asian race (esketamine covariate)"
        )
        parser.add_argument(
            "--japanese",
            action="store_true",
            help="Japanese (esketamine covariate on the nasal fraction; implies --asian)",
        )
        parser.add_argument(
            "--doses",
            help="ketamine as given, in mg: MIN:MG for a bolus, START-END:MG for an infusion "
            "segment, comma-separated (e.g. 0:10,0-40:25); replaces --dose-mg-per-kg",
        )
        parser.add_argument(
            "--device-times-min",
            help="esketamine as given: minute of each device, comma-separated (e.g. 0,6,12)",
        )
        parser.add_argument(
            "--threshold-ng-per-ml",
            help="concentration line for time above / time until below (default 100 ng/mL)",
        )
        parser.add_argument(
            "--infusion-min", default="40", help="IV infusion duration in min (0 = bolus)"
        )
        parser.add_argument("--at-min", required=True, help="comma-separated sampling times in min")
        parser.add_argument("--population", type=int, default=0, help="virtual subjects")
        parser.add_argument("--seed", type=int, default=0, help="random seed (population)")
        parser.add_argument(
            "--variability",
            default=None,
            help=f"IIV preset: ketamine {', '.join(VARIABILITY)} (borrowed; see population.py, "
            "default otto2021); esketamine perez-ruixo2021 (published, the default)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        request = PredictionRequest(
            drug=options["drug"],
            route=options["route"],
            model=options["model"],
            weight_kg=options["weight_kg"],
            dose_mg_per_kg=options["dose_mg_per_kg"],
            infusion_min=options["infusion_min"],
            times_min=[t.strip() for t in options["at_min"].split(",")],
            population=options["population"],
            seed=options["seed"],
            variability=options["variability"],
            dose_mg=options["dose_mg"],
            age_years=options["age_years"],
            asian=options["asian"],
            japanese=options["japanese"],
            threshold_ng_per_ml=options["threshold_ng_per_ml"],
            doses=parse_doses(options["doses"]) if options["doses"] else None,
            device_times_min=(
                [t.strip() for t in options["device_times_min"].split(",")]
                if options["device_times_min"]
                else None
            ),
        )
        try:
            check_request(seed=request.seed, times=request.times_min)
            result = plain(predict(request))
        except PredictionError as error:
            option = OPTION.get(error.field.split("[")[0], error.field)
            if error.field.startswith("doses["):
                option = f"--doses item {error.field[len('doses') :]}"
            raise CommandError(f"{option}: {error.message}", returncode=USAGE_ERROR) from None
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        pairs = ", ".join(
            f"{t:g} min {c:g}"
            for t, c in zip(result["times_min"], result["concentration_ng_per_ml"], strict=True)
        )
        self.stdout.write(
            f"{result['model']}: {pairs} ng/mL; Cmax {result['cmax_ng_per_ml']} ng/mL at "
            f"{result['tmax_min']:g} min; AUC {result['auc_ng_h_per_ml']} ng·h/mL"
        )
