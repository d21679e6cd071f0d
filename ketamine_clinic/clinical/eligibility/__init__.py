"""Eligibility screening before ketamine treatment: the intake, the rules, the decision.

`parse_intake` checks an intake; `evaluate` applies a `RuleSet` (the built-in rules, or a clinic's
version made with `RuleSet.with_clinic`) and returns a `Decision`: "eligible", "needs_review" or
"ineligible", with every finding, its plain-language reason and its source
(docs/clinical/reference.md).
"""

from __future__ import annotations

from .builtin_rules import BUILTIN_RULES, BUILTIN_VERSION, DEFAULT_RULESET
from .intake import (
    CONDITIONS,
    MEDICATION_CLASSES,
    PRIOR_RESPONSES,
    PRIOR_TREATMENTS,
    ROUTES,
    SUBSTANCE_USE,
    Intake,
    IntakeError,
    parse_intake,
)
from .rules import (
    DECISIONS,
    KINDS,
    LEVELS,
    Decision,
    Finding,
    Rule,
    RuleError,
    RuleSet,
    Thresholds,
    evaluate,
    rule_from_dict,
    thresholds_from_dict,
)

__all__ = [
    "BUILTIN_RULES",
    "BUILTIN_VERSION",
    "CONDITIONS",
    "DECISIONS",
    "DEFAULT_RULESET",
    "KINDS",
    "LEVELS",
    "MEDICATION_CLASSES",
    "PRIOR_RESPONSES",
    "PRIOR_TREATMENTS",
    "ROUTES",
    "SUBSTANCE_USE",
    "Decision",
    "Finding",
    "Intake",
    "IntakeError",
    "Rule",
    "RuleError",
    "RuleSet",
    "Thresholds",
    "evaluate",
    "parse_intake",
    "rule_from_dict",
    "thresholds_from_dict",
]
