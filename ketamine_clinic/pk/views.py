"""The PK explorer: predicted concentration curves for up to three regimens, side by side."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketamine_clinic.accounts.access import require
from ketamine_clinic.accounts.http import StaffRequest
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.clinical.pharmacokinetics import esketamine as esk
from ketamine_clinic.clinical.pharmacokinetics.prediction import (
    MAX_POPULATION,
    MAX_THRESHOLD_NG_PER_ML,
    PredictionRequest,
)
from ketamine_clinic.patients.selectors import patient_chart

from .prediction_block import prediction_block

# Curves on a 5-minute grid over 6 hours; the metrics use the core's own fine grid.
GRID_MIN = [float(t) for t in range(0, 361, 5)]
SEED = 20261126  # one fixed seed: the same form gives the same bands


class ExplorerForm(forms.Form):
    # Field groups as the page shows them; the CSS hides the group of the other drug.
    GROUPS = (
        (
            "Ketamine",
            "pk-ketamine",
            ("model", "weight_kg", "dose_1", "minutes_1", "dose_2", "minutes_2"),
        ),
        ("Esketamine", "pk-esketamine", ("spray_1", "spray_2", "age_years", "asian", "japanese")),
        ("Prediction", "pk-common", ("population", "threshold_ng_per_ml")),
    )

    route = forms.ChoiceField(
        choices=[
            ("iv", "IV infusion (ketamine)"),
            ("im", "IM injection (ketamine)"),
            ("intranasal", "Nasal spray (esketamine)"),
        ]
    )
    model = forms.ChoiceField(
        choices=[("clements", "Clements & Nimmo (default)"), ("domino", "Domino 3-compartment")],
        help_text="IV disposition set",
        required=False,
    )
    weight_kg = forms.DecimalField(
        max_digits=5, decimal_places=1, label="Weight (kg)", required=False
    )
    dose_1 = forms.DecimalField(
        max_digits=5, decimal_places=3, label="Regimen 1: mg/kg", required=False
    )
    minutes_1 = forms.DecimalField(
        max_digits=5, decimal_places=1, label="over (min)", required=False
    )
    dose_2 = forms.DecimalField(
        max_digits=5, decimal_places=3, label="Regimen 2: mg/kg", required=False
    )
    minutes_2 = forms.DecimalField(
        max_digits=5, decimal_places=1, label="over (min)", required=False
    )
    spray_1 = forms.ChoiceField(
        choices=[("56", "56 mg (2 devices)"), ("84", "84 mg (3 devices)"), ("28", "28 mg")],
        required=False,
        label="Esketamine regimen 1",
    )
    spray_2 = forms.ChoiceField(
        choices=[("", "none"), ("84", "84 mg (3 devices)"), ("56", "56 mg (2 devices)")],
        required=False,
        label="Esketamine regimen 2",
    )
    age_years = forms.IntegerField(
        required=False,
        min_value=int(esk.MIN_AGE_YEARS),
        max_value=int(esk.MAX_AGE_YEARS),
        label="Age (esketamine covariate)",
    )
    asian = forms.BooleanField(required=False, label="Asian (esketamine covariate)")
    japanese = forms.BooleanField(
        required=False, label="Japanese (esketamine covariate; counts as Asian too)"
    )
    population = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_POPULATION,
        initial=300,
        label="Virtual patients (0: typical patient only)",
    )
    threshold_ng_per_ml = forms.DecimalField(
        max_digits=6,
        decimal_places=1,
        min_value=1,
        max_value=MAX_THRESHOLD_NG_PER_ML,
        required=False,
        label="Line at (ng/mL)",
        help_text="Default 100 ng/mL, the racemic-ketamine level linked to dissociation",
    )


def _request(data: dict[str, Any], n: int) -> tuple[str, PredictionRequest] | None:
    """Regimen `n` of the form as a prediction request, with its label (None if empty)."""
    if data["route"] == "intranasal":
        dose = data.get(f"spray_{n}")
        if not dose:
            return None
        return f"esketamine {dose} mg", PredictionRequest(
            drug="esketamine",
            route="intranasal",
            dose_mg=dose,
            age_years=data.get("age_years"),
            asian=bool(data.get("asian")),
            japanese=bool(data.get("japanese")),
            times_min=GRID_MIN,
            population=int(data.get("population") or 0),
            seed=SEED,
            threshold_ng_per_ml=data.get("threshold_ng_per_ml"),
        )
    dose = data.get(f"dose_{n}")
    if dose in (None, ""):
        return None
    minutes = data.get(f"minutes_{n}") or 0
    label = f"{dose} mg/kg" + (f" over {minutes} min" if data["route"] == "iv" else " IM")
    return label, PredictionRequest(
        route=str(data["route"]),
        model=str(data["model"] or "clements"),
        weight_kg=data["weight_kg"],
        dose_mg_per_kg=dose,
        infusion_min=minutes,
        times_min=GRID_MIN,
        population=int(data.get("population") or 0),
        seed=SEED,
        threshold_ng_per_ml=data.get("threshold_ng_per_ml"),
    )


@login_required
def explorer(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.CHART_VIEW)
    patient = None
    initial: dict[str, Any] = {
        "route": "iv",
        "model": "clements",
        "dose_1": "0.5",
        "minutes_1": "40",
        "dose_2": "0.75",
        "minutes_2": "40",
        "spray_1": "56",
        "spray_2": "84",
        "age_years": None,
        "population": 300,
        "weight_kg": "70",
    }
    if request.GET.get("patient", "").isdigit():
        summary = patient_chart(request.user, int(request.GET["patient"]))  # audited read
        patient = summary.patient
        if summary.latest_weight:
            initial["weight_kg"] = summary.latest_weight.weight_kg
        if esk.MIN_AGE_YEARS <= summary.age <= esk.MAX_AGE_YEARS:
            initial["age_years"] = summary.age
    form = ExplorerForm(request.GET if "route" in request.GET else None, initial=initial)
    data = (
        form.cleaned_data
        if form.is_bound and form.is_valid()
        else (None if form.is_bound else dict(initial))
    )
    block = None
    if data:
        regimens = [r for r in (_request(data, n) for n in (1, 2)) if r is not None]
        block = prediction_block(regimens)
    return render(
        request,
        "pk/explorer.html",
        {
            "form": form,
            "patient": patient,
            "prediction": block,
            "groups": [
                (title, css, [form[name] for name in names])
                for title, css, names in ExplorerForm.GROUPS
            ],
            "today": timezone.localdate(),
        },
    )
