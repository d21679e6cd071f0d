"""parse_intake: every bad input named by its field; as_dict round-trips; the example file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ketamine_clinic.clinical.eligibility import (
    CONDITIONS,
    MEDICATION_CLASSES,
    Intake,
    IntakeError,
    parse_intake,
)
from ketamine_clinic.clinical.medications import KetamineInteractionClass

from .helpers import CLEAN

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "intake-example.json"


def errors_for(**changes: Any) -> dict[str, str]:
    data = {**CLEAN, **changes}
    with pytest.raises(IntakeError) as caught:
        parse_intake(data)
    assert isinstance(caught.value, ValueError)
    return caught.value.errors


def test_minimal_intake_gets_defaults() -> None:
    intake = parse_intake({"route": "intranasal", "age_years": 30})
    assert intake == Intake(route="intranasal", age_years=30)
    assert intake.substance_use == "none"
    assert intake.conditions == frozenset()
    assert intake.depressive_indication is False
    assert intake.pregnant is None


def test_conditions_listed_in_the_brief_exist() -> None:
    required = [
        "hypertension",
        "hypertension_uncontrolled",
        "coronary_artery_disease",
        "heart_failure",
        "arrhythmia",
        "stroke_history",
        "unstable_cardiovascular_disease",
        "aneurysmal_vascular_disease",
        "arteriovenous_malformation",
        "intracerebral_haemorrhage",
        "psychosis_current",
        "psychosis_history",
        "schizophrenia",
        "mania_current",
        "bipolar_disorder",
        "hepatic_impairment_moderate",
        "hepatic_impairment_severe",
        "raised_intracranial_pressure",
        "raised_intraocular_pressure",
        "hyperthyroidism_untreated",
        "bladder_symptoms",
        "sleep_apnoea",
        "ketamine_hypersensitivity",
        "ketamine_or_pcp_misuse",
        "pre_eclampsia",
    ]
    assert set(required) <= set(CONDITIONS)
    assert all(label.strip() for label in CONDITIONS.values())


def test_medication_classes_are_the_interaction_classes_but_none() -> None:
    expected = {c.value for c in KetamineInteractionClass} - {"none"}
    assert set(MEDICATION_CLASSES) == expected


def test_full_intake_round_trips_through_json() -> None:
    data = {
        "route": "im",
        "age_years": 52,
        "systolic_bp": 132,
        "diastolic_bp": 84,
        "heart_rate": 71,
        "weight_kg": 70.5,
        "height_cm": 168,
        "pregnant": True,  # recorded as its own fact, whatever the patient's sex
        "breastfeeding": False,
        "conditions": ["sleep_apnoea", "hypertension"],
        "substance_use": "past",
        "substances": [" alcohol "],
        "medication_classes": ["opioid", "lamotrigine"],
        "failed_antidepressant_trials": 0,
        "prior_treatments": {"ect": "partial", "ketamine": "good"},
        "depressive_indication": True,
    }
    intake = parse_intake(data)
    assert intake.conditions == frozenset({"sleep_apnoea", "hypertension"})
    assert intake.substances == ("alcohol",)  # stripped
    assert intake.height_cm == 168.0
    again = parse_intake(json.loads(json.dumps(intake.as_dict())))
    assert again == intake
    assert intake.as_dict()["conditions"] == ["hypertension", "sleep_apnoea"]  # sorted


def test_example_file_parses() -> None:
    intake = parse_intake(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    assert (intake.route, intake.systolic_bp, intake.diastolic_bp) == ("iv", 150, 95)
    assert intake.medication_classes == frozenset({"benzodiazepine"})


def test_an_intake_hashes_despite_its_mapping() -> None:
    intake = parse_intake({**CLEAN, "prior_treatments": {"tms": "none"}})
    assert hash(intake) == hash(parse_intake({**CLEAN, "prior_treatments": {"tms": "none"}}))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        # required fields
        ({"route": None}, "route", "Required."),
        ({"age_years": None}, "age_years", "Required."),
        # unknown values
        ({"route": "nasal"}, "route", "Unknown route 'nasal' (iv, im, intranasal, oral)."),
        ({"route": "IV"}, "route", "Unknown route 'IV'"),
        ({"substance_use": "sometimes"}, "substance_use", "Unknown substance use value"),
        ({"conditions": ["hypertension", "gout"]}, "conditions", "Unknown condition 'gout'."),
        ({"medication_classes": ["ssri"]}, "medication_classes", "Unknown medication class"),
        ({"medication_classes": ["none"]}, "medication_classes", "'none'"),
        ({"prior_treatments": {"dbs": "good"}}, "prior_treatments", "Unknown treatment 'dbs'"),
        ({"prior_treatments": {"ect": "great"}}, "prior_treatments", "unknown response 'great'"),
        # wrong types
        ({"route": 1}, "route", "Expected a string, got int."),
        ({"age_years": True}, "age_years", "Expected a whole number, got bool."),
        ({"age_years": 40.0}, "age_years", "Expected a whole number, got float."),
        ({"age_years": "40"}, "age_years", "Expected a whole number, got a string."),
        ({"systolic_bp": 120.5}, "systolic_bp", "Expected a whole number"),
        ({"heart_rate": False}, "heart_rate", "Expected a whole number, got bool."),
        ({"weight_kg": "80"}, "weight_kg", "Expected a number, got a string."),
        ({"height_cm": True}, "height_cm", "Expected a number, got bool."),
        ({"pregnant": 1}, "pregnant", "Expected true or false, got int."),
        ({"pregnant": "no"}, "pregnant", "Expected true or false"),
        ({"breastfeeding": 0}, "breastfeeding", "Expected true or false"),
        ({"depressive_indication": "yes"}, "depressive_indication", "Expected true or false"),
        ({"conditions": "hypertension"}, "conditions", "Expected a list, got a string."),
        ({"conditions": [1]}, "conditions", "Expected strings in the list"),
        ({"medication_classes": {"maoi": True}}, "medication_classes", "Expected a list"),
        ({"substances": "alcohol", "substance_use": "current"}, "substances", "Expected a list"),
        ({"prior_treatments": ["ect"]}, "prior_treatments", "Expected an object"),
        ({"failed_antidepressant_trials": 1.5}, "failed_antidepressant_trials", "whole number"),
        # ranges
        ({"failed_antidepressant_trials": -1}, "failed_antidepressant_trials", "negative"),
        ({"age_years": -1}, "age_years", "Age must be between 0 and 120 years."),
        ({"age_years": 121}, "age_years", "Age must be between 0 and 120 years."),
        ({"systolic_bp": 49, "diastolic_bp": 30}, "systolic_bp", "between 50 and 300"),
        ({"systolic_bp": 301}, "systolic_bp", "between 50 and 300"),
        ({"diastolic_bp": 19}, "diastolic_bp", "between 20 and 200"),
        ({"systolic_bp": 260, "diastolic_bp": 201}, "diastolic_bp", "between 20 and 200"),
        ({"heart_rate": 19}, "heart_rate", "between 20 and 250"),
        ({"heart_rate": 251}, "heart_rate", "between 20 and 250"),
        ({"weight_kg": 24.9}, "weight_kg", "between 25 and 350 kg"),
        ({"weight_kg": 350.1}, "weight_kg", "between 25 and 350 kg"),
        ({"weight_kg": float("nan")}, "weight_kg", "between 25 and 350 kg"),
        ({"height_cm": 99}, "height_cm", "between 100 and 250 cm"),
        ({"height_cm": 250.5}, "height_cm", "between 100 and 250 cm"),
        # blood pressure as a pair, diastolic below systolic
        ({"diastolic_bp": None}, "diastolic_bp", "Give the diastolic pressure with the systolic."),
        ({"systolic_bp": None}, "systolic_bp", "Give the systolic pressure with the diastolic."),
        ({"systolic_bp": 90, "diastolic_bp": 90}, "diastolic_bp", "must be below the systolic"),
        ({"systolic_bp": 90, "diastolic_bp": 95}, "diastolic_bp", "must be below the systolic"),
        # consistency and unknown fields
        ({"substances": ["alcohol"]}, "substances", "substance use is 'none'"),
        ({"substances": [" "], "substance_use": "past"}, "substances", "cannot be blank"),
        ({"sex": "male"}, "sex", "Unknown field."),
        ({"bp": "120/80"}, "bp", "Unknown field."),
    ],
)
def test_bad_input_names_its_field(changes: dict[str, Any], field: str, message: str) -> None:
    data = {**CLEAN, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(IntakeError) as caught:
        parse_intake(data)
    assert message in caught.value.errors[field]
    assert field in str(caught.value)


def test_every_bad_field_is_named_at_once() -> None:
    errors = errors_for(
        route="oral-ish",
        age_years=130,
        systolic_bp=None,
        heart_rate="fast",
        conditions=["flu"],
        failed_antidepressant_trials=-2,
        colour="blue",
    )
    assert list(errors) == [
        "route",
        "age_years",
        "systolic_bp",
        "heart_rate",
        "conditions",
        "failed_antidepressant_trials",
        "colour",
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {"age_years": 0},
        {"age_years": 120},
        {"systolic_bp": 50, "diastolic_bp": 20},
        {"systolic_bp": 300, "diastolic_bp": 200},
        {"heart_rate": 20},
        {"heart_rate": 250},
        {"weight_kg": 25},
        {"weight_kg": 350.0},
        {"height_cm": 100},
        {"height_cm": 250},
        {"failed_antidepressant_trials": 0},
        {"pregnant": None, "breastfeeding": None, "heart_rate": None},  # null = not recorded
        {"pregnant": True},  # no sex field: pregnancy is never checked against sex
    ],
)
def test_edges_of_the_ranges_are_accepted(changes: dict[str, Any]) -> None:
    intake = parse_intake({**CLEAN, **changes})
    assert {name: getattr(intake, name) for name in changes} == changes  # kept as given


@pytest.mark.parametrize("document", [[], "iv", None, 3])
def test_an_intake_must_be_an_object(document: Any) -> None:
    with pytest.raises(IntakeError) as caught:
        parse_intake(document)
    assert caught.value.errors == {"intake": "An intake must be a JSON object."}
