"""`ketamine-clinic dose`: the session's dose arithmetic from the command line (the same core
the dose step uses, clinical/dosing.py).

    ketamine-clinic dose --weight-kg 82.4 --mg-per-kg 0.5 --concentration-mg-per-ml 10 \
        --bag-ml 100 --minutes 40 --json

Bad input ends with exit status 2 and a message naming the field.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketamine_clinic.clinical.dosing import (
    DEFAULT_PUMP_RESOLUTION_ML_PER_H,
    DEFAULT_SYRINGE_RESOLUTION_ML,
    DoseError,
    weight_based_infusion,
)


class Command(BaseCommand):
    help = "Compute a weight-based dose: mg, volume to draw, bag total and pump rate."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--weight-kg", required=True)
        parser.add_argument("--mg-per-kg", required=True)
        parser.add_argument("--concentration-mg-per-ml", required=True)
        parser.add_argument("--bag-ml", default="0", help="diluent in the bag (0: undiluted)")
        parser.add_argument("--minutes", required=True)
        parser.add_argument("--syringe-resolution-ml", default=str(DEFAULT_SYRINGE_RESOLUTION_ML))
        parser.add_argument(
            "--pump-resolution-ml-per-h", default=str(DEFAULT_PUMP_RESOLUTION_ML_PER_H)
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            dose = weight_based_infusion(
                weight_kg=options["weight_kg"],
                mg_per_kg=options["mg_per_kg"],
                concentration_mg_per_ml=options["concentration_mg_per_ml"],
                bag_ml=options["bag_ml"],
                minutes=options["minutes"],
                syringe_resolution_ml=options["syringe_resolution_ml"],
                pump_resolution_ml_per_h=options["pump_resolution_ml_per_h"],
            )
        except DoseError as error:
            field = error.field.replace("_", "-")
            raise CommandError(f"--{field}: {error.message}", returncode=2) from error
        if options["json"]:
            self.stdout.write(json.dumps(dose.as_dict()))
            return
        for step in dose.steps:
            self.stdout.write(step)
        self.stdout.write("undiluted" if dose.undiluted else "the drug is added to the bag")
