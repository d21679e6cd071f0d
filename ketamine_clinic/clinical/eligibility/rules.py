"""Eligibility rules as data, the built-in rule set, and `evaluate`.

A `Rule` is data: an id, a plain-language statement, the routes it applies to, a level, its
source, and a `kind` with `params` (see KINDS). Clinics add their own rules as data
(`rule_from_dict`, `RuleSet.with_clinic`) and change the numbers in `Thresholds`; they cannot
remove or rename a built-in rule.

Levels, most severe first (LEVELS):
- "contraindicated": ketamine must not be given; the decision is "ineligible";
- "prescriber_review": a prescriber must weigh the risk first; the decision is "needs_review";
- "caution": given with extra care; a caution alone leaves the decision "eligible".
The decision is support for a licensed clinician, who decides and documents any override.

The built-in rules themselves are data, in `builtin_rules.py`.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ketamine_clinic.clinical import anthropometrics
from ketamine_clinic.clinical.medications import LABELS as MEDICATION_LABELS
from ketamine_clinic.clinical.medications import KetamineInteractionClass

from .intake import (
    CONDITIONS,
    DIASTOLIC_BP_RANGE,
    MEDICATION_CLASSES,
    ROUTES,
    SUBSTANCE_USE_LABELS,
    SYSTOLIC_BP_RANGE,
    Intake,
)

LEVELS = ("contraindicated", "prescriber_review", "caution")
LEVEL_LABELS: dict[str, str] = {
    "contraindicated": "Contraindicated",
    "prescriber_review": "Prescriber review",
    "caution": "Caution",
}
DECISIONS = ("eligible", "needs_review", "ineligible")

KINDS = (
    "condition",  # {"conditions": [ids]}: fires if any is recorded
    "medication_class",  # {"classes": [classes]}: fires if any is recorded
    "bp_above",  # {"systolic_key", "diastolic_key"} or {"systolic", "diastolic"}: SBP>s or DBP>d
    "substance_use",  # {"values": ["past" and/or "current"]}
    "pregnant",  # {}: fires if pregnant is true
    "breastfeeding",  # {}: fires if breastfeeding is true
    "failed_trials_below",  # {"key"} or {"value"}: depressive indication, trials < n or not given
    "number_above",  # {"field", "value" or "key"}: fires if the field is given and > n
    "number_below",  # … < n
    "number_at_least",  # … >= n
    "number_at_most",  # … <= n
    "missing",  # {"fields": [optional intake fields]}: fires if any is not recorded
)

ALL_ROUTES: frozenset[str] = frozenset(ROUTES)

# Numeric facts a "number_*" rule may read: field -> (plain-language name, unit). "bmi" is
# computed from weight and height (clinical.anthropometrics) when both are recorded.
NUMERIC_FIELDS: dict[str, tuple[str, str]] = {
    "age_years": ("age", "years"),
    "systolic_bp": ("systolic blood pressure", "mm Hg"),
    "diastolic_bp": ("diastolic blood pressure", "mm Hg"),
    "heart_rate": ("heart rate", "beats a minute"),
    "weight_kg": ("weight", "kg"),
    "height_cm": ("height", "cm"),
    "bmi": ("body mass index", "kg/m²"),
    "failed_antidepressant_trials": ("number of failed antidepressant trials", ""),
}
# Optional intake facts a "missing" rule may ask for: field -> plain-language name.
OPTIONAL_FIELDS: dict[str, str] = {
    "systolic_bp": "systolic blood pressure",
    "diastolic_bp": "diastolic blood pressure",
    "heart_rate": "heart rate",
    "weight_kg": "weight",
    "height_cm": "height",
    "pregnant": "whether you are pregnant",
    "breastfeeding": "whether you are breastfeeding",
    "failed_antidepressant_trials": "how many antidepressant trials have not worked",
}

_DRUG_BY_ROUTE = {
    "iv": "ketamine",
    "im": "ketamine",
    "intranasal": "esketamine",
    "oral": "ketamine",
}
_LEVEL_PHRASES = {
    "contraindicated": "{drug} must not be given",
    "prescriber_review": "a prescriber must weigh the risk before {drug} is given",
    "caution": "extra care is needed with {drug}",
}
_RULE_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_RULE_FIELDS = ("id", "statement", "routes", "level", "source", "kind", "params", "rationale")


class RuleError(ValueError):
    """A rule, rule set or thresholds that cannot be used: `errors` maps each bad field (for
    params, "params.<name>") to the reason; `field` is the first of them."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        self.field = next(iter(self.errors), "")
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in self.errors.items()))


@dataclass(frozen=True)
class Thresholds:
    """Clinic-configurable numbers. The defaults are the cited values
    (docs/clinical/reference.md §1.6: "make every threshold a configurable, clinic-signed protocol
    value with these as defaults").
    """

    bp_contraindicated_systolic: int = 180
    """Resting BP above 180/100 mm Hg is a contraindication: Swiss ketamine label (ch.oddb.org
    fachinfo reg 67199), docs/clinical/reference.md §1.2 and §1.6."""
    bp_contraindicated_diastolic: int = 100
    """See bp_contraindicated_systolic (Swiss label, docs/clinical/reference.md §1.6)."""
    bp_review_systolic: int = 140
    """Baseline BP above 140/90 mm Hg: weigh the short-term rise against the benefit. Spravato
    US PI wording (exact sentence unconfirmed verbatim), widely borrowed for IV;
    docs/clinical/reference.md §1.6 and §2.3."""
    bp_review_diastolic: int = 90
    """See bp_review_systolic (Spravato PI, docs/clinical/reference.md §1.6, §2.3)."""
    trd_min_failed_trials: int = 2
    """TRD = non-response to at least 2 adequate antidepressant trials in the current episode:
    docs/clinical/reference.md §1.2 (PMC11193313; link.springer.com/10.1007/s40263-023-01026-3)."""
    adult_age_years: int = 18
    """Age from which a patient counts as an adult. Esketamine is indicated in adults
    (docs/clinical/reference.md §2.1) and the CANMAT task force covers adult MDD (§1.1), but the
    reference gives no age: 18 is the common legal age of adulthood, a conservative default that the
    clinic sets for its jurisdiction, not a clinical number from the sources."""
    older_adult_age_years: int = 65
    """Age from which larger blood-pressure rises are expected: the Spravato PI reports its BP
    outlier table for adults <65 and >=65 (SBP rise >=40 mm Hg in 17% vs 8%; table layout to
    re-verify), docs/clinical/reference.md §2.3; the non-US label starts patients >=65 on 28 mg
    (§2.2); age predicted BP surges with IV ketamine (Yale 2024, §1.5)."""

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            low, high = _THRESHOLD_BOUNDS[f.name]
            if isinstance(value, bool) or not isinstance(value, int):
                errors[f.name] = f"Expected a whole number, got {type(value).__name__}."
            elif not low <= value <= high:
                errors[f.name] = f"Must be between {low} and {high}."
        if errors:
            raise RuleError(errors)

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


# Entry guards for threshold values (not clinical numbers): blood pressures within the ranges an
# intake accepts, ages within 0–120, at least one failed trial.
_THRESHOLD_BOUNDS: dict[str, tuple[int, int]] = {
    "bp_contraindicated_systolic": SYSTOLIC_BP_RANGE,
    "bp_contraindicated_diastolic": DIASTOLIC_BP_RANGE,
    "bp_review_systolic": SYSTOLIC_BP_RANGE,
    "bp_review_diastolic": DIASTOLIC_BP_RANGE,
    "trd_min_failed_trials": (1, 1000),
    "adult_age_years": (0, anthropometrics.MAX_AGE_YEARS),
    "older_adult_age_years": (0, anthropometrics.MAX_AGE_YEARS),
}
THRESHOLD_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Thresholds))


def thresholds_from_dict(data: Mapping[str, Any], base: Thresholds | None = None) -> Thresholds:
    """Return `base` (default: the built-in thresholds) with the values in `data` changed.

    RuleError names every unknown key and every bad value.
    """
    if not isinstance(data, Mapping):
        raise RuleError({"thresholds": "Expected an object."})
    unknown = {str(k): "Unknown threshold." for k in data if k not in THRESHOLD_KEYS}
    if unknown:
        raise RuleError(unknown)
    return dataclasses.replace(base or Thresholds(), **dict(data))


@dataclass(frozen=True)
class Rule:
    """One eligibility rule. Construction checks every field (RuleError) and stores list
    params as tuples, so a Rule that exists can always be evaluated."""

    id: str  # stable, lower-case letters, digits and underscores, e.g. "bp_above_180_100"
    statement: str  # plain language, can be read to the patient
    routes: frozenset[str]  # the routes it applies to
    level: str  # one of LEVELS
    source: str  # docs/clinical/reference.md section and the source it names
    kind: str  # one of KINDS
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    rationale: str = ""  # why this level and these routes, where the source left it open

    def __post_init__(self) -> None:
        errors, routes, params = _check_rule({name: getattr(self, name) for name in _RULE_FIELDS})
        if errors:
            raise RuleError(errors)
        object.__setattr__(self, "routes", routes)
        object.__setattr__(self, "params", params)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict that `rule_from_dict` reads back to an equal rule."""
        return {
            "id": self.id,
            "statement": self.statement,
            "routes": [r for r in ROUTES if r in self.routes],
            "level": self.level,
            "source": self.source,
            "kind": self.kind,
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()},
            "rationale": self.rationale,
        }


def rule_from_dict(data: Mapping[str, Any]) -> Rule:
    """Return the rule given as data (a JSON object); RuleError (a ValueError) names every bad
    field. Required: id, statement, routes (a non-empty list), level, source, kind; params as
    the kind needs (see KINDS); rationale optional. Unknown fields are refused."""
    if not isinstance(data, Mapping):
        raise RuleError({"rule": "Expected an object."})
    errors: dict[str, str] = {}
    for name in data:
        if name not in _RULE_FIELDS:
            errors[str(name)] = "Unknown field."
    for name in ("id", "statement", "routes", "level", "source", "kind"):
        if data.get(name) is None:
            errors[name] = "Required."
    values: dict[str, Any] = {name: data.get(name) for name in _RULE_FIELDS}
    if values["params"] is None:
        values["params"] = {}
    if values["rationale"] is None:
        values["rationale"] = ""
    check_errors, routes, params = _check_rule(values)
    for name, reason in check_errors.items():
        errors.setdefault(name, reason)
    if errors:
        raise RuleError({k: errors[k] for k in sorted(errors, key=_rule_field_order)})
    return Rule(
        id=values["id"],
        statement=values["statement"],
        routes=routes,
        level=values["level"],
        source=values["source"],
        kind=values["kind"],
        params=params,
        rationale=values["rationale"],
    )


def _rule_field_order(name: str) -> int:
    top = name.split(".", 1)[0]
    return _RULE_FIELDS.index(top) if top in _RULE_FIELDS else len(_RULE_FIELDS)


def _check_rule(values: Mapping[str, Any]) -> tuple[dict[str, str], frozenset[str], dict[str, Any]]:
    """Return (errors, routes, normalised params) for raw rule values."""
    errors: dict[str, str] = {}
    rule_id = values["id"]
    if not isinstance(rule_id, str) or not rule_id:
        errors["id"] = "Expected a non-empty string."
    elif not set(rule_id) <= _RULE_ID_CHARS:
        errors["id"] = "Use lower-case letters, digits and underscores only."
    for name in ("statement", "source"):
        value = values[name]
        if not isinstance(value, str) or not value.strip():
            errors[name] = "Expected a non-empty string."
    if not isinstance(values["rationale"], str):
        errors["rationale"] = "Expected a string."
    routes: frozenset[str] = frozenset()
    raw_routes = values["routes"]
    if isinstance(raw_routes, str) or not isinstance(raw_routes, list | tuple | set | frozenset):
        errors["routes"] = "Expected a list of routes."
    else:
        unknown = [r for r in raw_routes if r not in ROUTES]
        if unknown:
            errors["routes"] = f"Unknown route {unknown[0]!r} ({', '.join(ROUTES)})."
        elif not raw_routes:
            errors["routes"] = "Give at least one route."
        else:
            routes = frozenset(raw_routes)
    if values["level"] not in LEVELS:
        errors["level"] = f"Unknown level {values['level']!r} ({', '.join(LEVELS)})."
    params: dict[str, Any] = {}
    kind = values["kind"]
    if kind not in KINDS:
        errors["kind"] = f"Unknown kind {kind!r} ({', '.join(KINDS)})."
    elif not isinstance(values["params"], Mapping):
        errors["params"] = "Expected an object."
    else:
        param_errors, params = _check_params(kind, values["params"])
        errors.update(param_errors)
    return errors, routes, params


def _check_params(kind: str, raw: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """Return (errors keyed "params.<name>", normalised params) for a rule of `kind`."""
    checker = _ParamChecker(raw)
    if kind == "condition":
        checker.id_list("conditions", tuple(CONDITIONS), "condition")
    elif kind == "medication_class":
        checker.id_list("classes", MEDICATION_CLASSES, "medication class")
    elif kind == "substance_use":
        checker.id_list("values", ("past", "current"), "substance use value")
    elif kind == "missing":
        checker.id_list("fields", tuple(OPTIONAL_FIELDS), "optional field")
    elif kind == "bp_above":
        if "systolic_key" in raw or "diastolic_key" in raw:
            checker.threshold_key("systolic_key")
            checker.threshold_key("diastolic_key")
        else:
            checker.integer("systolic", SYSTOLIC_BP_RANGE)
            checker.integer("diastolic", DIASTOLIC_BP_RANGE)
    elif kind == "failed_trials_below":
        checker.key_or_value(number_field=None)
    elif kind.startswith("number_"):
        field_name = checker.choice("field", tuple(NUMERIC_FIELDS), "numeric field")
        checker.key_or_value(number_field=field_name)
    # "pregnant" and "breastfeeding" take no params: anything given is unknown.
    checker.refuse_unknown()
    return checker.errors, checker.params


class _ParamChecker:
    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.errors: dict[str, str] = {}
        self.params: dict[str, Any] = {}

    def fail(self, name: str, reason: str) -> None:
        self.errors[f"params.{name}"] = reason

    def id_list(self, name: str, allowed: tuple[str, ...], what: str) -> None:
        value = self.raw.get(name)
        if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
            self.fail(name, f"Expected a non-empty list of {what}s.")
            return
        unknown = [v for v in value if v not in allowed]
        if unknown:
            self.fail(name, f"Unknown {what} {unknown[0]!r}.")
        elif not value:
            self.fail(name, f"Give at least one {what}.")
        else:
            self.params[name] = tuple(dict.fromkeys(value))

    def choice(self, name: str, allowed: tuple[str, ...], what: str) -> str | None:
        value = self.raw.get(name)
        if value not in allowed:
            self.fail(name, f"Unknown {what} {value!r} ({', '.join(allowed)}).")
            return None
        self.params[name] = value
        return str(value)

    def threshold_key(self, name: str) -> None:
        self.choice(name, THRESHOLD_KEYS, "threshold")

    def integer(self, name: str, bounds: tuple[int, int]) -> None:
        value = self.raw.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, "Expected a whole number.")
        elif not bounds[0] <= value <= bounds[1]:
            self.fail(name, f"Must be between {bounds[0]} and {bounds[1]}.")
        else:
            self.params[name] = value

    def key_or_value(self, number_field: str | None) -> None:
        """Exactly one of "key" (a threshold name) or "value" (a number)."""
        has_key, has_value = "key" in self.raw, "value" in self.raw
        if has_key == has_value:
            self.fail("value", 'Give either "value" (a number) or "key" (a threshold name).')
        elif has_key:
            self.threshold_key("key")
        else:
            value = self.raw["value"]
            whole_only = number_field in (None, "age_years", "failed_antidepressant_trials")
            allowed: tuple[type, ...] = (int,) if whole_only else (int, float)
            if isinstance(value, bool) or not isinstance(value, allowed):
                self.fail(
                    "value", "Expected a whole number." if whole_only else "Expected a number."
                )
            else:
                self.params["value"] = value

    def refuse_unknown(self) -> None:
        known = set(self.params) | {k.removeprefix("params.") for k in self.errors}
        for name in self.raw:
            if name not in known:
                self.fail(str(name), "Unknown parameter for this kind of rule.")


@dataclass(frozen=True)
class RuleSet:
    """A version of the rules and thresholds. Rule ids are unique within a set."""

    version: str  # e.g. "builtin-2026.11"; clinic versions are made by the Django side
    rules: tuple[Rule, ...]
    thresholds: Thresholds = Thresholds()

    def __post_init__(self) -> None:
        if not isinstance(self.version, str) or not self.version.strip():
            raise RuleError({"version": "Expected a non-empty string."})
        object.__setattr__(self, "rules", tuple(self.rules))
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise RuleError({"rules": f"Two rules have the id {rule.id!r}."})
            seen.add(rule.id)

    def with_clinic(
        self, version: str, extra_rules: Sequence[Rule], thresholds: Thresholds | None
    ) -> RuleSet:
        """Return a new set: these rules plus `extra_rules` (an id already used is refused, so
        a clinic cannot replace a built-in rule), with `thresholds` if given, else these."""
        return RuleSet(
            version=version,
            rules=self.rules + tuple(extra_rules),
            thresholds=self.thresholds if thresholds is None else thresholds,
        )

    def rule(self, rule_id: str) -> Rule:
        """Return the rule with this id (KeyError if there is none)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "rules": [rule.as_dict() for rule in self.rules],
            "thresholds": self.thresholds.as_dict(),
        }


@dataclass(frozen=True)
class Finding:
    rule: str  # the rule's id
    level: str
    reason: str  # plain language with the patient's own values
    source: str

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "level": self.level,
            "reason": self.reason,
            "source": self.source,
        }


@dataclass(frozen=True)
class Decision:
    decision: str  # one of DECISIONS
    findings: tuple[Finding, ...]  # every rule that fired, most severe first
    ruleset: str  # the rule set's version

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "findings": [f.as_dict() for f in self.findings],
            "ruleset": self.ruleset,
        }


def decision_for(levels: Sequence[str]) -> str:
    """Any contraindicated -> "ineligible"; else any prescriber_review -> "needs_review";
    cautions alone (or nothing) -> "eligible"."""
    if "contraindicated" in levels:
        return "ineligible"
    if "prescriber_review" in levels:
        return "needs_review"
    return "eligible"


# --- Reasons: the patient's own values, in plain language -----------------------------------


def _number_text(value: float | int | Decimal) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def _with_unit(value: float | int | Decimal, unit: str) -> str:
    return f"{_number_text(value)} {unit}" if unit else _number_text(value)


def _threshold(params: Mapping[str, Any], thresholds: Thresholds) -> int | float:
    if "key" in params:
        value: int = getattr(thresholds, params["key"])
        return value
    number: int | float = params["value"]
    return number


def _numeric(intake: Intake, name: str) -> float | int | Decimal | None:
    if name == "bmi":
        if intake.weight_kg is None or intake.height_cm is None:
            return None
        try:
            return anthropometrics.body_mass_index(
                Decimal(str(intake.weight_kg)), Decimal(str(intake.height_cm))
            ).value
        except (anthropometrics.MeasurementError, ArithmeticError, ValueError):
            return None
    value: float | int | None = getattr(intake, name)
    return value


_COMPARISONS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "number_above": ("above", operator.gt),
    "number_below": ("below", operator.lt),
    "number_at_least": ("at or above", operator.ge),
    "number_at_most": ("at or below", operator.le),
}


def _reason(rule: Rule, intake: Intake, thresholds: Thresholds) -> str | None:
    """Return the plain-language reason if `rule` fires for `intake`, else None."""
    p = rule.params
    kind = rule.kind
    statement = rule.statement
    if kind == "condition":
        present = [c for c in p["conditions"] if c in intake.conditions]
        if not present:
            return None
        return f"Recorded: {'; '.join(CONDITIONS[c] for c in present)}. {statement}"
    if kind == "medication_class":
        present = [c for c in p["classes"] if c in intake.medication_classes]
        if not present:
            return None
        names = "; ".join(MEDICATION_LABELS[KetamineInteractionClass(c)] for c in present)
        return f"Recorded medicine: {names}. {statement}"
    if kind == "bp_above":
        return _bp_reason(rule, intake, thresholds)
    if kind == "substance_use":
        if intake.substance_use not in p["values"]:
            return None
        label = SUBSTANCE_USE_LABELS.get(intake.substance_use, intake.substance_use)
        substances = f" ({', '.join(intake.substances)})" if intake.substances else ""
        return f"Recorded: {label}{substances}. {statement}"
    if kind == "pregnant":
        return f"Recorded: pregnant. {statement}" if intake.pregnant is True else None
    if kind == "breastfeeding":
        return f"Recorded: breastfeeding. {statement}" if intake.breastfeeding is True else None
    if kind == "failed_trials_below":
        return _trials_reason(rule, intake, thresholds)
    if kind in _COMPARISONS:
        relation, compare = _COMPARISONS[kind]
        value = _numeric(intake, p["field"])
        limit = _threshold(p, thresholds)
        if value is None or not compare(float(value), float(limit)):
            return None
        name, unit = NUMERIC_FIELDS[p["field"]]
        return (
            f"Your {name}, {_with_unit(value, unit)}, is {relation} {_with_unit(limit, unit)}. "
            f"{statement}"
        )
    if kind == "missing":
        absent = [f for f in p["fields"] if getattr(intake, f) is None]
        if not absent:
            return None
        if "systolic_bp" in absent and "diastolic_bp" in absent:
            absent = ["blood pressure" if f == "systolic_bp" else f for f in absent]
            absent.remove("diastolic_bp")
        names = ", ".join(OPTIONAL_FIELDS.get(f, f) for f in absent)
        return f"Not recorded: {names}. {statement}"
    return None


def _bp_reason(rule: Rule, intake: Intake, thresholds: Thresholds) -> str | None:
    p = rule.params
    if "systolic_key" in p:
        limit_s: int = getattr(thresholds, p["systolic_key"])
        limit_d: int = getattr(thresholds, p["diastolic_key"])
    else:
        limit_s, limit_d = p["systolic"], p["diastolic"]
    s, d = intake.systolic_bp, intake.diastolic_bp
    if not ((s is not None and s > limit_s) or (d is not None and d > limit_d)):
        return None
    drug = _DRUG_BY_ROUTE.get(intake.route, "ketamine")
    phrase = _LEVEL_PHRASES[rule.level].format(drug=drug)
    shown = f"{'–' if s is None else s}/{'–' if d is None else d}"
    return (
        f"Your blood pressure today, {shown} mm Hg, is above {limit_s}/{limit_d} mm Hg, "
        f"the level at which {phrase}."
    )


def _trials_reason(rule: Rule, intake: Intake, thresholds: Thresholds) -> str | None:
    """Fires only for a depressive indication: when fewer than n failed trials are recorded,
    and also when the number is not recorded (the definition cannot be shown to be met)."""
    if not intake.depressive_indication:
        return None
    needed = int(_threshold(rule.params, thresholds))
    trials = intake.failed_antidepressant_trials
    if trials is None:
        return (
            "Not recorded: how many adequate antidepressant trials have not worked in this "
            f"episode (at least {needed} are asked for). {rule.statement}"
        )
    if trials >= needed:
        return None
    plural = "" if trials == 1 else "s"
    return (
        f"Recorded: {trials} adequate antidepressant trial{plural} that did not work in this "
        f"episode, fewer than {needed}. {rule.statement}"
    )


def evaluate(intake: Intake, ruleset: RuleSet | None = None) -> Decision:
    """Apply every rule of `ruleset` (the built-in rules if None) to the intake's route.

    Findings are ordered most severe first, then in rule-set order.
    """
    if ruleset is None:
        from .builtin_rules import DEFAULT_RULESET  # the data builds on this engine

        ruleset = DEFAULT_RULESET
    found: list[tuple[int, int, Finding]] = []
    for order, rule in enumerate(ruleset.rules):
        if intake.route not in rule.routes:
            continue
        reason = _reason(rule, intake, ruleset.thresholds)
        if reason is not None:
            finding = Finding(rule.id, rule.level, reason, rule.source)
            found.append((LEVELS.index(rule.level), order, finding))
    findings = tuple(f for _, _, f in sorted(found, key=lambda t: (t[0], t[1])))
    return Decision(decision_for([f.level for f in findings]), findings, ruleset.version)
