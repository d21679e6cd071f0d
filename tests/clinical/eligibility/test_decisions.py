"""Decisions from combined findings, ordering, route filtering, the example intake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ketamine_clinic.clinical.eligibility import (
    DEFAULT_RULESET,
    ROUTES,
    Decision,
    Finding,
    Rule,
    evaluate,
    parse_intake,
)
from ketamine_clinic.clinical.eligibility.rules import decision_for

from .helpers import fired, screen

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "intake-example.json"


@pytest.mark.parametrize(
    ("levels", "decision"),
    [
        ([], "eligible"),
        (["caution"], "eligible"),
        (["caution", "caution"], "eligible"),
        (["prescriber_review"], "needs_review"),
        (["caution", "prescriber_review"], "needs_review"),
        (["contraindicated"], "ineligible"),
        (["caution", "prescriber_review", "contraindicated"], "ineligible"),
    ],
)
def test_decision_for_levels(levels: list[str], decision: str) -> None:
    assert decision_for(levels) == decision


def test_cautions_alone_are_eligible() -> None:
    decision = screen(conditions=["hypertension", "bladder_symptoms"], age_years=70)
    assert decision.decision == "eligible"
    assert {f.level for f in decision.findings} == {"caution"}
    assert fired(decision) == ["hypertension", "bladder_symptoms", "age_65_or_over"]


def test_a_review_and_cautions_need_review() -> None:
    decision = screen(medication_classes=["benzodiazepine", "maoi"])
    assert decision.decision == "needs_review"
    assert fired(decision) == ["maoi", "benzodiazepine"]  # most severe first


def test_any_contraindication_makes_ineligible_and_comes_first() -> None:
    decision = screen(
        systolic_bp=150,
        diastolic_bp=85,
        conditions=["hepatic_impairment_moderate", "psychosis_current", "sleep_apnoea"],
        pregnant=True,
    )
    assert decision.decision == "ineligible"
    assert [f.level for f in decision.findings] == [
        "contraindicated",
        "contraindicated",
        "prescriber_review",
        "prescriber_review",
        "caution",
    ]
    # Within a level, findings keep the rule-set order.
    assert fired(decision) == [
        "psychosis_current",
        "pregnancy",
        "bp_above_140_90",
        "sleep_apnoea",
        "hepatic_impairment_moderate",
    ]


def test_decision_as_dict() -> None:
    decision = screen(conditions=["arrhythmia"])
    assert decision.as_dict() == {
        "decision": "needs_review",
        "findings": [
            {
                "rule": "arrhythmia",
                "level": "prescriber_review",
                "reason": decision.findings[0].reason,
                "source": DEFAULT_RULESET.rule("arrhythmia").source,
            }
        ],
        "ruleset": "builtin-2026.11",
    }
    json.dumps(decision.as_dict())


def test_example_intake_needs_review() -> None:
    intake = parse_intake(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    decision = evaluate(intake)
    assert decision.decision == "needs_review"
    assert fired(decision) == ["bp_above_140_90", "benzodiazepine"]
    assert "150/95 mm Hg" in decision.findings[0].reason


NASAL_ONLY = Rule(
    id="clinic_nasal_only",
    statement="This clinic reviews bladder symptoms before esketamine.",
    routes=frozenset({"intranasal"}),
    level="prescriber_review",
    source="Clinic protocol (test)",
    kind="condition",
    params={"conditions": ["bladder_symptoms"]},
)


@pytest.mark.parametrize("route", ROUTES)
def test_route_filtering(route: str) -> None:
    ruleset = DEFAULT_RULESET.with_clinic("clinic-test-1", [NASAL_ONLY], None)
    decision = screen(ruleset, route=route, conditions=["bladder_symptoms"])
    assert ("clinic_nasal_only" in fired(decision)) is (route == "intranasal")
    assert decision.decision == ("needs_review" if route == "intranasal" else "eligible")
    assert decision.ruleset == "clinic-test-1"


def test_an_unknown_route_on_a_direct_intake_fires_nothing() -> None:
    # An Intake built without parse_intake is not checked; evaluate still does not fail.
    from ketamine_clinic.clinical.eligibility import Intake

    decision = evaluate(Intake(route="rectal", age_years=40, conditions=frozenset({"x"})))
    assert decision == Decision("eligible", (), "builtin-2026.11")


def test_finding_as_dict() -> None:
    finding = Finding("r", "caution", "why", "where")
    assert finding.as_dict() == {
        "rule": "r",
        "level": "caution",
        "reason": "why",
        "source": "where",
    }
