"""Shared intakes and hypothesis strategies for the eligibility tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from ketamine_clinic.clinical.eligibility import (
    CONDITIONS,
    DEFAULT_RULESET,
    MEDICATION_CLASSES,
    PRIOR_RESPONSES,
    PRIOR_TREATMENTS,
    ROUTES,
    SUBSTANCE_USE,
    Decision,
    Intake,
    RuleSet,
    evaluate,
    parse_intake,
)

# An adult with a normal blood pressure, nothing recorded against them: no rule fires.
CLEAN: dict[str, Any] = {"route": "iv", "age_years": 40, "systolic_bp": 120, "diastolic_bp": 80}


def intake(**changes: Any) -> Intake:
    """Return the clean intake with `changes` (None removes a field)."""
    data = {**CLEAN, **changes}
    return parse_intake({k: v for k, v in data.items() if v is not None})


def screen(ruleset: RuleSet = DEFAULT_RULESET, **changes: Any) -> Decision:
    return evaluate(intake(**changes), ruleset)


def fired(decision: Decision) -> list[str]:
    return [f.rule for f in decision.findings]


@st.composite
def intake_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """Any valid intake document (as JSON would carry it), optional fields sometimes left out."""
    data: dict[str, Any] = {
        "route": draw(st.sampled_from(ROUTES)),
        "age_years": draw(st.integers(0, 120)),
    }
    if draw(st.booleans()):
        systolic = draw(st.integers(51, 300))
        data["systolic_bp"] = systolic
        data["diastolic_bp"] = draw(st.integers(20, min(200, systolic - 1)))
    optional: dict[str, st.SearchStrategy[Any]] = {
        "heart_rate": st.integers(20, 250),
        "weight_kg": st.floats(25, 350, allow_nan=False),
        "height_cm": st.floats(100, 250, allow_nan=False),
        "pregnant": st.none() | st.booleans(),
        "breastfeeding": st.none() | st.booleans(),
        "conditions": st.lists(st.sampled_from(sorted(CONDITIONS)), max_size=6),
        "medication_classes": st.lists(st.sampled_from(MEDICATION_CLASSES), max_size=4),
        "failed_antidepressant_trials": st.none() | st.integers(0, 40),
        "prior_treatments": st.dictionaries(
            st.sampled_from(sorted(PRIOR_TREATMENTS)), st.sampled_from(sorted(PRIOR_RESPONSES))
        ),
        "depressive_indication": st.booleans(),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            data[name] = draw(strategy)
    use = draw(st.sampled_from(SUBSTANCE_USE))
    data["substance_use"] = use
    if use != "none":
        data["substances"] = draw(
            st.lists(st.sampled_from(["alcohol", "cannabis", "cocaine", "ketamine"]), max_size=3)
        )
    return data
