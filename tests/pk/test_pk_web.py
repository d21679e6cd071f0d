"""The PK explorer page and POST /api/v1/pk/simulate."""

from __future__ import annotations

import json
import re

import pytest


def test_api_simulate_matches_the_command(world, client, token_for, capsys):
    from django.core.management import call_command

    body = {
        "route": "iv",
        "weight_kg": 70,
        "dose_mg_per_kg": 0.5,
        "infusion_min": 40,
        "at_min": [40, 80, 110, 230],
    }
    response = client.post(
        "/api/v1/pk/simulate", body, content_type="application/json", **token_for(world.nurse)
    )
    assert response.status_code == 200
    api = response.json()
    call_command(
        "pk",
        "--weight-kg",
        "70",
        "--dose-mg-per-kg",
        "0.5",
        "--infusion-min",
        "40",
        "--at-min",
        "40,80,110,230",
        "--json",
    )
    cli = json.loads(capsys.readouterr().out)
    assert api["concentration_ng_per_ml"] == cli["concentration_ng_per_ml"]
    assert api["concentration_ng_per_ml"][0] == pytest.approx(177.3, abs=0.5)
    assert api["threshold_ng_per_ml"] == 100
    assert api["time_above_threshold_min"] == pytest.approx(50.6, abs=0.5)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight_kg": 400}, "weight_kg"),
        ({"dose_mg_per_kg": 6}, "dose_mg_per_kg"),
        ({"at_min": [80, 40]}, "at_min"),
        ({"route": "intranasal", "drug": "esketamine"}, "dose_mg_per_kg"),
        ({"route": "intranasal", "drug": "aspirin"}, "route"),
        ({"dose_mg_per_kg": None}, "dose_mg_per_kg"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_api_bad_input_names_the_field(world, client, token_for, change, field):
    body = {"weight_kg": 70, "dose_mg_per_kg": 0.5, "at_min": [40], **change}
    response = client.post(
        "/api/v1/pk/simulate", body, content_type="application/json", **token_for(world.nurse)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_api_esketamine_intranasal_matches_the_command(world, client, token_for, capsys):
    from django.core.management import call_command

    body = {"drug": "esketamine", "route": "intranasal", "dose_mg": 56, "at_min": [0, 30, 60]}
    response = client.post(
        "/api/v1/pk/simulate", body, content_type="application/json", **token_for(world.nurse)
    )
    assert response.status_code == 200
    api = response.json()
    call_command(
        "pk",
        "--drug",
        "esketamine",
        "--route",
        "intranasal",
        "--dose-mg",
        "56",
        "--at-min",
        "0,30,60",
        "--json",
    )
    cli = json.loads(capsys.readouterr().out)
    assert api["concentration_ng_per_ml"] == cli["concentration_ng_per_ml"]
    assert api["noresketamine_ng_per_ml"] == cli["noresketamine_ng_per_ml"]
    assert api["devices"] == 2
    assert api["device_times_min"] == [0, 5]


@pytest.mark.parametrize("dose_mg", [70, 112])
def test_api_esketamine_bad_dose_names_the_field(world, client, token_for, dose_mg):
    body = {"drug": "esketamine", "route": "intranasal", "dose_mg": dose_mg, "at_min": [30]}
    response = client.post(
        "/api/v1/pk/simulate", body, content_type="application/json", **token_for(world.nurse)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "dose_mg"


def test_the_explorer_prefills_the_patients_weight_and_compares_two_regimens(world, login):
    client = login(world.prescriber)
    from ketamine_clinic.audit.models import AuditEvent

    page = client.get("/pk/", {"patient": world.patient1.pk}).content.decode()
    assert 'value="82.4"' in page  # the latest weight on the chart
    # Name, MRN, age and weight are shown: the read is audited like opening the chart.
    read = AuditEvent.objects.filter(patient=world.patient1, action="chart.view").latest("pk")
    assert read.actor == world.prescriber
    assert 'src="data:image/svg+xml;base64,' in page
    rows = re.findall(r"<tr><td>(0\.[0-9]+ mg/kg over 40 min)</td>", page)
    assert rows == ["0.5 mg/kg over 40 min", "0.75 mg/kg over 40 min"]
    assert client.get("/pk/", {"patient": world.patient2.pk}).status_code == 404
    bad = client.get(
        "/pk/",
        {
            "weight_kg": "82",
            "route": "iv",
            "model": "clements",
            "dose_1": "9",
            "minutes_1": "40",
            "population": "0",
        },
    )
    assert "9 mg/kg over 40 min: an IV dose above 5.0 mg/kg." in bad.content.decode()


def test_the_explorer_compares_56_and_84_mg_of_esketamine(world, login):
    client = login(world.prescriber)
    page = client.get(
        "/pk/",
        {
            "route": "intranasal",
            "spray_1": "56",
            "spray_2": "84",
            "age_years": "42",
            "population": "0",
        },
    ).content.decode()
    assert re.findall(r"<tr><td>(esketamine \d+ mg)</td>", page) == [
        "esketamine 56 mg",
        "esketamine 84 mg",
    ]
    assert "perez-ruixo2021" in page


def _simulate(client, token, body):
    return client.post("/api/v1/pk/simulate", body, content_type="application/json", **token)


def test_api_doses_as_given_and_bad_items_named(world, client, token_for):
    token = token_for(world.nurse)
    given = _simulate(
        client,
        token,
        {"weight_kg": 70, "doses": [{"start_min": 0, "end_min": 40, "mg": 35}], "at_min": [40]},
    )
    assert given.status_code == 200
    assert given.json()["concentration_ng_per_ml"] == [pytest.approx(177.3, abs=0.5)]
    assert given.json()["norketamine_model"].startswith("norketamine (surrogate")
    bad = _simulate(
        client,
        token,
        {
            "weight_kg": 70,
            "doses": [{"start_min": 0, "mg": 10}, {"start_min": 5, "end_min": 2, "mg": 5}],
            "at_min": [40],
        },
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "doses[2].end_min"
    unknown = _simulate(
        client,
        token,
        {"weight_kg": 70, "doses": [{"start_min": 0, "mg": 10, "rate": 1}], "at_min": [40]},
    )
    assert unknown.status_code == 422


def test_api_esketamine_device_times_population_and_threshold(world, client, token_for):
    response = _simulate(
        client,
        token_for(world.nurse),
        {
            "drug": "esketamine",
            "route": "intranasal",
            "device_times_min": [0, 6, 12],
            "at_min": [30, 60],
            "population": 200,
            "seed": 1,
            "threshold_ng_per_ml": 50,
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["dose_mg"] == 84 and body["devices"] == 3
    assert body["device_times_min"] == [0, 6, 12]
    assert body["threshold_ng_per_ml"] == 50
    assert body["variability"] == "perez-ruixo2021"
    assert all(
        lo < mid < hi
        for lo, mid, hi in zip(body["p05"], body["concentration_ng_per_ml"], body["p95"])
    )


def test_the_prediction_block_names_each_models_limits():
    from ketamine_clinic.clinical.pharmacokinetics.prediction import PredictionRequest
    from ketamine_clinic.pk.prediction_block import CAVEATS, prediction_block

    bolus = PredictionRequest(weight_kg=70, doses=[{"start_min": 0, "mg": 10}], times_min=[0, 5])
    block = prediction_block([("10 mg bolus", bolus)])
    assert block.results[0]["label"] == "10 mg bolus"
    assert CAVEATS["bolus"] in block.caveats and CAVEATS["norketamine"] in block.caveats
    assert CAVEATS["borrowed-iiv"] not in block.caveats  # a typical patient: no borrowed spread
    spray = PredictionRequest(drug="esketamine", route="intranasal", dose_mg=56, times_min=[30])
    bad = PredictionRequest(drug="esketamine", route="intranasal", dose_mg=70, times_min=[30])
    block = prediction_block([("56 mg", spray), ("70 mg", bad)])
    assert CAVEATS["esketamine-threshold"] in block.caveats
    assert block.problems == ["70 mg: the dose must be a multiple of 28 mg (one device)."]
    assert block.metabolite == "noresketamine"
    assert block.chart and block.metabolite_chart
