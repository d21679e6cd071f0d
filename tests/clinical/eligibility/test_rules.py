"""Built-in rules: each fires and does not fire at its edges; every rule is well formed."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from ketamine_clinic.clinical.eligibility import (
    BUILTIN_RULES,
    DEFAULT_RULESET,
    KINDS,
    LEVELS,
    ROUTES,
    rule_from_dict,
)

from .helpers import fired, screen

# (rule id, changes to the clean intake, whether the rule fires). Every built-in rule has at
# least one case that fires and one that does not.
TABLE: list[tuple[str, dict[str, Any], bool]] = [
    # Blood pressure: fires if SBP > limit OR DBP > limit.
    ("bp_above_180_100", {"systolic_bp": 180, "diastolic_bp": 100}, False),
    ("bp_above_180_100", {"systolic_bp": 181, "diastolic_bp": 100}, True),
    ("bp_above_180_100", {"systolic_bp": 180, "diastolic_bp": 101}, True),
    ("bp_above_180_100", {"systolic_bp": 181, "diastolic_bp": 60}, True),
    ("bp_above_180_100", {"systolic_bp": 150, "diastolic_bp": 101}, True),
    ("bp_above_180_100", {"systolic_bp": None, "diastolic_bp": None}, False),
    ("bp_above_140_90", {"systolic_bp": 140, "diastolic_bp": 90}, False),
    ("bp_above_140_90", {"systolic_bp": 141, "diastolic_bp": 90}, True),
    ("bp_above_140_90", {"systolic_bp": 140, "diastolic_bp": 91}, True),
    ("bp_above_140_90", {"systolic_bp": 139, "diastolic_bp": 89}, False),
    ("bp_above_140_90", {"systolic_bp": 181, "diastolic_bp": 101}, True),  # both fire
    ("bp_above_140_90", {"systolic_bp": None, "diastolic_bp": None}, False),
    ("bp_not_recorded", {"systolic_bp": None, "diastolic_bp": None}, True),
    ("bp_not_recorded", {}, False),
    # Esketamine label contraindications, every route.
    ("aneurysmal_vascular_disease", {"conditions": ["aneurysmal_vascular_disease"]}, True),
    ("aneurysmal_vascular_disease", {"conditions": ["arteriovenous_malformation"]}, False),
    ("arteriovenous_malformation", {"conditions": ["arteriovenous_malformation"]}, True),
    ("arteriovenous_malformation", {"conditions": ["stroke_history"]}, False),
    ("intracerebral_haemorrhage", {"conditions": ["intracerebral_haemorrhage"]}, True),
    ("intracerebral_haemorrhage", {"conditions": ["stroke_history"]}, False),
    ("ketamine_hypersensitivity", {"conditions": ["ketamine_hypersensitivity"]}, True),
    ("ketamine_hypersensitivity", {"conditions": ["ketamine_or_pcp_misuse"]}, False),
    # Cardiovascular and cerebrovascular.
    ("unstable_cardiovascular_disease", {"conditions": ["unstable_cardiovascular_disease"]}, True),
    ("unstable_cardiovascular_disease", {"conditions": ["coronary_artery_disease"]}, False),
    (
        "unstable_cerebrovascular_disease",
        {"conditions": ["unstable_cerebrovascular_disease"]},
        True,
    ),
    ("unstable_cerebrovascular_disease", {"conditions": ["stroke_history"]}, False),
    ("hypertension_uncontrolled", {"conditions": ["hypertension_uncontrolled"]}, True),
    ("hypertension_uncontrolled", {"conditions": ["hypertension"]}, False),
    ("stroke_history", {"conditions": ["stroke_history"]}, True),
    ("stroke_history", {"conditions": ["intracerebral_haemorrhage"]}, False),
    ("heart_disease", {"conditions": ["coronary_artery_disease"]}, True),
    ("heart_disease", {"conditions": ["heart_failure"]}, True),
    ("heart_disease", {"conditions": ["arrhythmia"]}, False),
    ("arrhythmia", {"conditions": ["arrhythmia"]}, True),
    ("arrhythmia", {"conditions": ["heart_failure"]}, False),
    ("hypertension", {"conditions": ["hypertension"]}, True),
    ("hypertension", {"conditions": ["hypertension_uncontrolled"]}, False),
    # Mental health.
    ("psychosis_current", {"conditions": ["psychosis_current"]}, True),
    ("psychosis_current", {"conditions": ["psychosis_history"]}, False),
    ("mania_current", {"conditions": ["mania_current"]}, True),
    ("mania_current", {"conditions": ["bipolar_disorder"]}, False),
    ("psychotic_disorder_history", {"conditions": ["psychosis_history"]}, True),
    ("psychotic_disorder_history", {"conditions": ["schizophrenia"]}, True),
    ("psychotic_disorder_history", {"conditions": ["psychosis_current"]}, False),
    ("bipolar_disorder", {"conditions": ["bipolar_disorder"]}, True),
    ("bipolar_disorder", {"conditions": ["mania_current"]}, False),
    # Substance use.
    ("substance_use_current", {"substance_use": "current", "substances": ["alcohol"]}, True),
    ("substance_use_current", {"substance_use": "past"}, False),
    ("substance_use_current", {"substance_use": "none"}, False),
    ("substance_use_past", {"substance_use": "past"}, True),
    ("substance_use_past", {"substance_use": "current"}, False),
    ("ketamine_or_pcp_misuse", {"conditions": ["ketamine_or_pcp_misuse"]}, True),
    ("ketamine_or_pcp_misuse", {"substance_use": "current"}, False),
    # Pregnancy and breastfeeding (None = not recorded: no finding).
    ("pregnancy", {"pregnant": True}, True),
    ("pregnancy", {"pregnant": False}, False),
    ("pregnancy", {"pregnant": None}, False),
    ("breastfeeding", {"breastfeeding": True}, True),
    ("breastfeeding", {"breastfeeding": False}, False),
    ("breastfeeding", {"breastfeeding": None, "pregnant": True}, False),
    ("pre_eclampsia", {"conditions": ["pre_eclampsia"]}, True),
    ("pre_eclampsia", {"pregnant": True}, False),
    # Other label and guideline items.
    ("hyperthyroidism_untreated", {"conditions": ["hyperthyroidism_untreated"]}, True),
    ("hyperthyroidism_untreated", {"conditions": ["hypertension"]}, False),
    ("hepatic_impairment_severe", {"conditions": ["hepatic_impairment_severe"]}, True),
    ("hepatic_impairment_severe", {"conditions": ["hepatic_impairment_moderate"]}, False),
    ("hepatic_impairment_moderate", {"conditions": ["hepatic_impairment_moderate"]}, True),
    ("hepatic_impairment_moderate", {"conditions": ["hepatic_impairment_severe"]}, False),
    ("raised_intracranial_pressure", {"conditions": ["raised_intracranial_pressure"]}, True),
    ("raised_intracranial_pressure", {"conditions": ["raised_intraocular_pressure"]}, False),
    ("raised_intraocular_pressure", {"conditions": ["raised_intraocular_pressure"]}, True),
    ("raised_intraocular_pressure", {"conditions": ["raised_intracranial_pressure"]}, False),
    ("sleep_apnoea", {"conditions": ["sleep_apnoea"]}, True),
    ("sleep_apnoea", {"conditions": ["bladder_symptoms"]}, False),
    ("bladder_symptoms", {"conditions": ["bladder_symptoms"]}, True),
    ("bladder_symptoms", {"conditions": ["sleep_apnoea"]}, False),
    # Medication classes (lamotrigine is read by no rule).
    ("benzodiazepine", {"medication_classes": ["benzodiazepine"]}, True),
    ("benzodiazepine", {"medication_classes": ["other_sedative"]}, False),
    ("other_sedative", {"medication_classes": ["other_sedative"]}, True),
    ("other_sedative", {"medication_classes": ["benzodiazepine"]}, False),
    ("opioid", {"medication_classes": ["opioid"]}, True),
    ("opioid", {"medication_classes": ["lamotrigine"]}, False),
    ("maoi", {"medication_classes": ["maoi"]}, True),
    ("maoi", {"medication_classes": ["psychostimulant"]}, False),
    ("psychostimulant", {"medication_classes": ["psychostimulant"]}, True),
    ("psychostimulant", {"medication_classes": ["maoi"]}, False),
    # TRD definition: only for a depressive indication; fewer than 2, or not recorded.
    ("trd_not_met", {"depressive_indication": True, "failed_antidepressant_trials": 1}, True),
    ("trd_not_met", {"depressive_indication": True, "failed_antidepressant_trials": 0}, True),
    ("trd_not_met", {"depressive_indication": True, "failed_antidepressant_trials": 2}, False),
    ("trd_not_met", {"depressive_indication": True}, True),  # not recorded
    ("trd_not_met", {"depressive_indication": False, "failed_antidepressant_trials": 0}, False),
    ("trd_not_met", {"failed_antidepressant_trials": 1}, False),  # indication not depressive
    # Age.
    ("under_adult_age", {"age_years": 17}, True),
    ("under_adult_age", {"age_years": 0}, True),
    ("under_adult_age", {"age_years": 18}, False),
    ("age_65_or_over", {"age_years": 64}, False),
    ("age_65_or_over", {"age_years": 65}, True),
    ("age_65_or_over", {"age_years": 120}, True),
]


@pytest.mark.parametrize(
    ("rule_id", "changes", "fires"),
    TABLE,
    ids=[f"{rule}-{i}" for i, (rule, _, _) in enumerate(TABLE)],
)
@pytest.mark.parametrize("route", ROUTES)
def test_builtin_rule(rule_id: str, changes: dict[str, Any], fires: bool, route: str) -> None:
    decision = screen(route=route, **changes)
    assert (rule_id in fired(decision)) is fires
    if fires:
        finding = next(f for f in decision.findings if f.rule == rule_id)
        rule = DEFAULT_RULESET.rule(rule_id)
        assert (finding.level, finding.source) == (rule.level, rule.source)
        assert finding.reason


def test_the_table_covers_every_builtin_rule_both_ways() -> None:
    ids = {rule.id for rule in BUILTIN_RULES}
    assert {r for r, _, fires in TABLE if fires} == ids
    assert {r for r, _, fires in TABLE if not fires} == ids


def test_the_clean_intake_has_no_findings() -> None:
    decision = screen()
    assert decision.findings == ()
    assert decision.decision == "eligible"


def test_lamotrigine_alone_fires_nothing() -> None:
    assert fired(screen(medication_classes=["lamotrigine"])) == []


@pytest.mark.parametrize("rule", BUILTIN_RULES, ids=lambda r: r.id)
def test_every_rule_is_well_formed(rule: Any) -> None:
    assert re.fullmatch(r"[a-z0-9_]+", rule.id)
    assert rule.statement.strip() and rule.statement.endswith(".")
    assert rule.source.strip().startswith("docs/clinical/reference.md §")
    assert rule.rationale.strip()
    assert rule.level in LEVELS
    assert rule.kind in KINDS
    assert rule.routes and rule.routes <= set(ROUTES)
    assert rule_from_dict(json.loads(json.dumps(rule.as_dict()))) == rule


def test_rule_ids_are_unique_and_the_version_is_set() -> None:
    ids = [rule.id for rule in DEFAULT_RULESET.rules]
    assert len(ids) == len(set(ids))
    assert DEFAULT_RULESET.version == "builtin-2026.11"
    json.dumps(DEFAULT_RULESET.as_dict())


def test_statements_name_no_threshold_a_clinic_can_change() -> None:
    # The numbers are in the reason (from the thresholds in force), never in the fixed statement.
    for rule in BUILTIN_RULES:
        if rule.kind in ("bp_above", "failed_trials_below") or "key" in rule.params:
            assert not re.search(r"\d", rule.statement), rule.id


@pytest.mark.parametrize(
    ("rule_id", "level"),
    [
        ("aneurysmal_vascular_disease", "contraindicated"),
        ("arteriovenous_malformation", "contraindicated"),
        ("intracerebral_haemorrhage", "contraindicated"),
        ("ketamine_hypersensitivity", "contraindicated"),
        ("bp_above_180_100", "contraindicated"),
        ("bp_above_140_90", "prescriber_review"),
        ("unstable_cardiovascular_disease", "contraindicated"),
        ("hypertension_uncontrolled", "contraindicated"),
        ("psychosis_current", "contraindicated"),
        ("mania_current", "contraindicated"),
        ("substance_use_current", "contraindicated"),
        ("pregnancy", "contraindicated"),
        ("hepatic_impairment_severe", "contraindicated"),
        ("hepatic_impairment_moderate", "caution"),
        ("hyperthyroidism_untreated", "contraindicated"),
        ("pre_eclampsia", "contraindicated"),
        ("benzodiazepine", "caution"),
        ("maoi", "prescriber_review"),
        ("psychostimulant", "prescriber_review"),
        ("trd_not_met", "caution"),
    ],
)
def test_levels_the_brief_fixes(rule_id: str, level: str) -> None:
    assert DEFAULT_RULESET.rule(rule_id).level == level


def test_bp_reason_uses_the_patients_values() -> None:
    decision = screen(systolic_bp=185, diastolic_bp=95)
    reasons = {f.rule: f.reason for f in decision.findings}
    assert reasons["bp_above_180_100"] == (
        "Your blood pressure today, 185/95 mm Hg, is above 180/100 mm Hg, the level at which "
        "ketamine must not be given."
    )
    assert reasons["bp_above_140_90"] == (
        "Your blood pressure today, 185/95 mm Hg, is above 140/90 mm Hg, the level at which a "
        "prescriber must weigh the risk before ketamine is given."
    )


def test_reason_names_esketamine_for_the_nasal_route() -> None:
    decision = screen(route="intranasal", systolic_bp=190, diastolic_bp=100)
    assert "the level at which esketamine must not be given" in decision.findings[0].reason


@pytest.mark.parametrize(
    ("changes", "rule_id", "text"),
    [
        ({"conditions": ["heart_failure"]}, "heart_disease", "Recorded: Heart failure."),
        ({"medication_classes": ["maoi"]}, "maoi", "Recorded medicine: MAO inhibitor."),
        (
            {"substance_use": "current", "substances": ["alcohol", "cocaine"]},
            "substance_use_current",
            "Recorded: Current substance use disorder (alcohol, cocaine).",
        ),
        (
            {"depressive_indication": True, "failed_antidepressant_trials": 1},
            "trd_not_met",
            "1 adequate antidepressant trial that did not work in this episode, fewer than 2.",
        ),
        ({"depressive_indication": True}, "trd_not_met", "Not recorded: how many"),
        ({"age_years": 16}, "under_adult_age", "Your age, 16 years, is below 18 years."),
        ({"age_years": 70}, "age_65_or_over", "Your age, 70 years, is at or above 65 years."),
        ({"systolic_bp": None, "diastolic_bp": None}, "bp_not_recorded", "Not recorded: blood"),
        ({"pregnant": True}, "pregnancy", "Recorded: pregnant."),
    ],
)
def test_reasons_carry_the_recorded_facts(changes: dict[str, Any], rule_id: str, text: str) -> None:
    finding = next(f for f in screen(**changes).findings if f.rule == rule_id)
    assert text in finding.reason
    assert finding.reason.endswith(DEFAULT_RULESET.rule(rule_id).statement)
