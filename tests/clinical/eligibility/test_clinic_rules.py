"""Clinic rules as data (rule_from_dict, RuleSet.with_clinic) and clinic thresholds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ketamine_clinic.clinical.eligibility import (
    DEFAULT_RULESET,
    Rule,
    RuleError,
    RuleSet,
    Thresholds,
    rule_from_dict,
    thresholds_from_dict,
)

from .helpers import fired, screen

# A clinic's own rule. The 110 beats a minute is this clinic's choice: the reference does not
# confirm a heart-rate limit (docs/clinical/reference.md §1.6, §6), so no built-in rule reads heart
# rate.
HEART_RATE_RULE: dict[str, Any] = {
    "id": "clinic_heart_rate_above_110",
    "statement": "Our clinic asks a prescriber to review a resting heart rate above 110.",
    "routes": ["iv", "im"],
    "level": "prescriber_review",
    "source": "North clinic protocol v3, section 2",
    "kind": "number_above",
    "params": {"field": "heart_rate", "value": 110},
}


def clinic_rule(**changes: Any) -> dict[str, Any]:
    data = {**HEART_RATE_RULE, **changes}
    return {k: v for k, v in data.items() if v is not None}


def test_rule_from_dict_and_with_clinic() -> None:
    rule = rule_from_dict(HEART_RATE_RULE)
    assert rule.routes == frozenset({"iv", "im"})
    assert rule.rationale == ""
    ruleset = DEFAULT_RULESET.with_clinic("north-v3", [rule], None)
    assert ruleset.version == "north-v3"
    assert ruleset.thresholds == DEFAULT_RULESET.thresholds
    assert ruleset.rules[: len(DEFAULT_RULESET.rules)] == DEFAULT_RULESET.rules

    assert "clinic_heart_rate_above_110" not in fired(screen(ruleset, heart_rate=110))
    decision = screen(ruleset, heart_rate=111)
    assert decision.decision == "needs_review"
    assert decision.findings[0].reason == (
        "Your heart rate, 111 beats a minute, is above 110 beats a minute. "
        "Our clinic asks a prescriber to review a resting heart rate above 110."
    )
    assert decision.findings[0].source == "North clinic protocol v3, section 2"
    # Route filtering: the clinic rule is for IV and IM only.
    assert "clinic_heart_rate_above_110" not in fired(screen(ruleset, route="oral", heart_rate=130))
    # Heart rate not recorded: no finding.
    assert "clinic_heart_rate_above_110" not in fired(screen(ruleset))


def test_clinic_rule_round_trips_as_data() -> None:
    rule = rule_from_dict({**HEART_RATE_RULE, "rationale": "Our anaesthetist's advice."})
    assert rule_from_dict(json.loads(json.dumps(rule.as_dict()))) == rule


@pytest.mark.parametrize(
    ("data", "fires_on", "quiet_on"),
    [
        (
            {"kind": "condition", "params": {"conditions": ["sleep_apnoea"]}, "level": "caution"},
            {"conditions": ["sleep_apnoea"]},
            {},
        ),
        (
            {"kind": "medication_class", "params": {"classes": ["lamotrigine"]}},
            {"medication_classes": ["lamotrigine"]},
            {"medication_classes": ["opioid"]},
        ),
        (
            {"kind": "bp_above", "params": {"systolic": 160, "diastolic": 95}},
            {"systolic_bp": 150, "diastolic_bp": 96},
            {"systolic_bp": 160, "diastolic_bp": 95},
        ),
        (
            {"kind": "substance_use", "params": {"values": ["past", "current"]}},
            {"substance_use": "past"},
            {"substance_use": "none"},
        ),
        ({"kind": "pregnant", "params": {}}, {"pregnant": True}, {"pregnant": False}),
        ({"kind": "breastfeeding"}, {"breastfeeding": True}, {}),
        (
            {"kind": "failed_trials_below", "params": {"value": 3}},
            {"depressive_indication": True, "failed_antidepressant_trials": 2},
            {"depressive_indication": True, "failed_antidepressant_trials": 3},
        ),
        (
            {"kind": "number_below", "params": {"field": "weight_kg", "value": 45.5}},
            {"weight_kg": 45.4},
            {"weight_kg": 45.5},
        ),
        (
            {"kind": "number_at_least", "params": {"field": "bmi", "value": 35}},
            {"weight_kg": 113.4, "height_cm": 180},  # 35.0 kg/m²
            {"weight_kg": 113.0, "height_cm": 180},  # 34.9 kg/m²
        ),
        (
            {"kind": "number_at_most", "params": {"field": "age_years", "key": "adult_age_years"}},
            {"age_years": 18},
            {"age_years": 19},
        ),
        (
            {"kind": "missing", "params": {"fields": ["weight_kg", "height_cm"]}},
            {"weight_kg": 70},
            {"weight_kg": 70, "height_cm": 170},
        ),
    ],
)
def test_every_kind_from_data(
    data: dict[str, Any], fires_on: dict[str, Any], quiet_on: dict[str, Any]
) -> None:
    rule = rule_from_dict({**HEART_RATE_RULE, "routes": ["iv"], "params": {}, **data})
    ruleset = DEFAULT_RULESET.with_clinic("clinic-1", [rule], None)
    assert rule.id in fired(screen(ruleset, **fires_on))
    assert rule.id not in fired(screen(ruleset, **quiet_on))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"id": None}, "id", "Required."),
        ({"id": "Heart Rate"}, "id", "lower-case"),
        ({"id": 5}, "id", "non-empty string"),
        ({"statement": None}, "statement", "Required."),
        ({"statement": "  "}, "statement", "non-empty string"),
        ({"source": ""}, "source", "non-empty string"),
        ({"routes": None}, "routes", "Required."),
        ({"routes": []}, "routes", "at least one route"),
        ({"routes": "iv"}, "routes", "Expected a list"),
        ({"routes": ["iv", "nasal"]}, "routes", "Unknown route 'nasal'"),
        ({"level": "warning"}, "level", "Unknown level 'warning'"),
        ({"kind": "heart_rate_above"}, "kind", "Unknown kind"),
        ({"params": [1]}, "params", "Expected an object."),
        ({"params": {"field": "pulse", "value": 110}}, "params.field", "Unknown numeric field"),
        ({"params": {"field": "heart_rate"}}, "params.value", 'either "value"'),
        (
            {"params": {"field": "heart_rate", "value": 110, "key": "bp_review_systolic"}},
            "params.value",
            'either "value"',
        ),
        ({"params": {"field": "heart_rate", "key": "hr_limit"}}, "params.key", "Unknown threshold"),
        ({"params": {"field": "heart_rate", "value": True}}, "params.value", "Expected a number"),
        ({"params": {"field": "age_years", "value": 17.5}}, "params.value", "whole number"),
        (
            {"params": {"field": "heart_rate", "value": 110, "when": "always"}},
            "params.when",
            "Unknown parameter",
        ),
        (
            {"kind": "condition", "params": {"conditions": ["flu"]}},
            "params.conditions",
            "Unknown condition 'flu'",
        ),
        ({"kind": "condition", "params": {"conditions": []}}, "params.conditions", "at least one"),
        ({"kind": "condition", "params": {}}, "params.conditions", "non-empty list"),
        (
            {"kind": "medication_class", "params": {"classes": ["none"]}},
            "params.classes",
            "Unknown medication class 'none'",
        ),
        (
            {"kind": "substance_use", "params": {"values": ["none"]}},
            "params.values",
            "Unknown substance use value 'none'",
        ),
        (
            {"kind": "bp_above", "params": {"systolic": 160}},
            "params.diastolic",
            "whole number",
        ),
        (
            {"kind": "bp_above", "params": {"systolic": 400, "diastolic": 95}},
            "params.systolic",
            "between 50 and 300",
        ),
        (
            {"kind": "bp_above", "params": {"systolic_key": "bp_review_systolic"}},
            "params.diastolic_key",
            "Unknown threshold",
        ),
        ({"kind": "pregnant", "params": {"weeks": 12}}, "params.weeks", "Unknown parameter"),
        (
            {"kind": "missing", "params": {"fields": ["route"]}},
            "params.fields",
            "Unknown optional field 'route'",
        ),
        ({"colour": "red"}, "colour", "Unknown field."),
        ({"rationale": 3}, "rationale", "Expected a string."),
    ],
)
def test_rule_from_dict_names_the_bad_field(
    changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(RuleError) as caught:
        rule_from_dict(clinic_rule(**changes))
    assert isinstance(caught.value, ValueError)
    assert message in caught.value.errors[field]
    assert field in str(caught.value)


def test_rule_from_dict_names_every_bad_field() -> None:
    with pytest.raises(RuleError) as caught:
        rule_from_dict(clinic_rule(id="X", level="severe", routes=["nose"], extra=1))
    assert list(caught.value.errors) == ["id", "routes", "level", "extra"]
    assert caught.value.field == "id"


def test_rule_from_dict_refuses_a_non_object() -> None:
    with pytest.raises(RuleError, match="Expected an object"):
        rule_from_dict(["not", "a", "rule"])  # type: ignore[arg-type]


def test_a_rule_built_directly_is_checked_too() -> None:
    with pytest.raises(RuleError, match="level"):
        Rule("x", "s.", frozenset({"iv"}), "fatal", "src", "pregnant", {})


def test_a_clinic_cannot_reuse_a_builtin_id() -> None:
    rule = rule_from_dict(clinic_rule(id="bp_above_180_100"))
    with pytest.raises(RuleError, match="Two rules have the id 'bp_above_180_100'"):
        DEFAULT_RULESET.with_clinic("clinic-2", [rule], None)


def test_a_ruleset_needs_a_version() -> None:
    with pytest.raises(RuleError, match="version"):
        RuleSet(version=" ", rules=())


# --- Thresholds -------------------------------------------------------------------------------


def test_default_thresholds_are_the_cited_values() -> None:
    assert Thresholds().as_dict() == {
        "bp_contraindicated_systolic": 180,  # Swiss label, docs/clinical/reference.md §1.6
        "bp_contraindicated_diastolic": 100,
        "bp_review_systolic": 140,  # Spravato PI, docs/clinical/reference.md §1.6
        "bp_review_diastolic": 90,
        "trd_min_failed_trials": 2,  # docs/clinical/reference.md §1.2
        "adult_age_years": 18,  # convention, configurable
        "older_adult_age_years": 65,  # Spravato PI table split, docs/clinical/reference.md §2.3
    }


@pytest.mark.parametrize(
    ("systolic", "diastolic", "fires"),
    [(170, 100, False), (171, 100, True), (170, 101, True), (175, 95, True), (165, 99, False)],
)
def test_a_clinic_lowers_the_contraindicated_bp_to_170_100(
    systolic: int, diastolic: int, fires: bool
) -> None:
    thresholds = thresholds_from_dict({"bp_contraindicated_systolic": 170})
    ruleset = DEFAULT_RULESET.with_clinic("strict-clinic-1", [], thresholds)
    decision = screen(ruleset, systolic_bp=systolic, diastolic_bp=diastolic)
    assert ("bp_above_180_100" in fired(decision)) is fires  # the id stays stable
    assert decision.decision == ("ineligible" if fires else "needs_review")
    if fires:
        assert "is above 170/100 mm Hg" in decision.findings[0].reason


def test_a_clinic_changes_the_trd_definition() -> None:
    ruleset = DEFAULT_RULESET.with_clinic("c", [], Thresholds(trd_min_failed_trials=3))
    assert "trd_not_met" in fired(
        screen(ruleset, depressive_indication=True, failed_antidepressant_trials=2)
    )
    assert "trd_not_met" not in fired(
        screen(ruleset, depressive_indication=True, failed_antidepressant_trials=3)
    )


def test_thresholds_from_dict_keeps_the_rest() -> None:
    base = Thresholds(bp_review_systolic=150)
    changed = thresholds_from_dict({"bp_review_diastolic": 95}, base)
    assert (changed.bp_review_systolic, changed.bp_review_diastolic) == (150, 95)
    assert thresholds_from_dict({}) == Thresholds()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"bp_limit": 170}, "bp_limit", "Unknown threshold."),
        ({"bp_review_systolic": "150"}, "bp_review_systolic", "whole number"),
        ({"bp_review_systolic": True}, "bp_review_systolic", "whole number"),
        ({"bp_review_systolic": 140.5}, "bp_review_systolic", "whole number"),
        ({"bp_contraindicated_systolic": 400}, "bp_contraindicated_systolic", "between 50 and 300"),
        ({"bp_review_diastolic": 10}, "bp_review_diastolic", "between 20 and 200"),
        ({"trd_min_failed_trials": 0}, "trd_min_failed_trials", "between 1 and"),
        ({"adult_age_years": 130}, "adult_age_years", "between 0 and 120"),
    ],
)
def test_bad_thresholds_name_the_field(data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        thresholds_from_dict(data)
    assert message in caught.value.errors[field]
