"""Properties: evaluate never raises on a valid intake, and the decision matches the findings."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.clinical.eligibility import (
    CONDITIONS,
    DECISIONS,
    DEFAULT_RULESET,
    LEVELS,
    Decision,
    IntakeError,
    Thresholds,
    evaluate,
    parse_intake,
)
from ketamine_clinic.clinical.eligibility.intake import FIELDS

from .helpers import intake_dicts

SEVERITY = {"eligible": 0, "needs_review": 1, "ineligible": 2}


def expected_decision(levels: list[str]) -> str:
    if "contraindicated" in levels:
        return "ineligible"
    if "prescriber_review" in levels:
        return "needs_review"
    return "eligible"


def check_consistent(decision: Decision, route: str) -> None:
    levels = [f.level for f in decision.findings]
    assert decision.decision in DECISIONS
    assert decision.decision == expected_decision(levels)
    assert levels == sorted(levels, key=LEVELS.index)  # most severe first
    rule_ids = [f.rule for f in decision.findings]
    assert len(rule_ids) == len(set(rule_ids))
    for finding in decision.findings:
        rule = DEFAULT_RULESET.rule(finding.rule)
        assert route in rule.routes
        assert (finding.level, finding.source) == (rule.level, rule.source)
        assert finding.reason.strip()
    json.dumps(decision.as_dict())


@given(intake_dicts())
def test_evaluate_never_raises_and_is_consistent(data: dict[str, Any]) -> None:
    intake = parse_intake(data)
    decision = evaluate(intake)
    check_consistent(decision, intake.route)
    assert decision.ruleset == DEFAULT_RULESET.version


@given(intake_dicts())
def test_intake_round_trips(data: dict[str, Any]) -> None:
    intake = parse_intake(data)
    assert parse_intake(json.loads(json.dumps(intake.as_dict()))) == intake


@given(
    intake_dicts(),
    st.builds(
        Thresholds,
        bp_contraindicated_systolic=st.integers(50, 300),
        bp_contraindicated_diastolic=st.integers(20, 200),
        bp_review_systolic=st.integers(50, 300),
        bp_review_diastolic=st.integers(20, 200),
        trd_min_failed_trials=st.integers(1, 10),
        adult_age_years=st.integers(0, 120),
        older_adult_age_years=st.integers(0, 120),
    ),
)
def test_any_clinic_thresholds_evaluate(data: dict[str, Any], thresholds: Thresholds) -> None:
    ruleset = DEFAULT_RULESET.with_clinic("clinic-x", [], thresholds)
    intake = parse_intake(data)
    decision = evaluate(intake, ruleset)
    assert decision.decision == expected_decision([f.level for f in decision.findings])


@given(intake_dicts(), st.sampled_from(sorted(CONDITIONS)))
def test_recording_a_condition_never_makes_the_decision_milder(
    data: dict[str, Any], condition: str
) -> None:
    before = evaluate(parse_intake(data))
    worse = parse_intake({**data, "conditions": [*data.get("conditions", []), condition]})
    after = evaluate(worse)
    assert SEVERITY[after.decision] >= SEVERITY[before.decision]
    assert {f.rule for f in before.findings} <= {f.rule for f in after.findings}


# A fixed alphabet: st.text() without one builds Hypothesis's Unicode table on first use, which
# trips the too-slow health check in a fresh checkout.
TEXT = st.text(alphabet="abcivmnoral_- 0", max_size=12)
SCALARS = st.none() | st.booleans() | st.integers(-500, 500) | st.floats() | TEXT
JSON_VALUES = (
    SCALARS
    | st.lists(SCALARS | st.sampled_from(sorted(CONDITIONS)), max_size=3)
    | st.dictionaries(TEXT, SCALARS, max_size=2)
)


@given(st.dictionaries(st.sampled_from([*FIELDS, "junk"]), JSON_VALUES))
def test_parse_intake_raises_only_intake_error(data: dict[str, Any]) -> None:
    try:
        intake = parse_intake(data)
    except IntakeError as error:
        assert error.errors
        assert all(isinstance(k, str) and v for k, v in error.errors.items())
    else:
        check_consistent(evaluate(intake), intake.route)
