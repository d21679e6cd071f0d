"""The facts an eligibility screening reads: an `Intake`, and `parse_intake` to check one.

An intake is plain data (a JSON object on the wire). `parse_intake` refuses anything it cannot
read with certainty and names every bad field at once, so a form can show each message beside its
field. `Intake.as_dict()` gives back a JSON-ready object that `parse_intake` reads to an equal
intake.

Vocabulary (all ids are stable; labels are plain language and may be reworded):
- `ROUTES`: IV and IM racemic ketamine, intranasal esketamine (Spravato), oral racemic ketamine
  (docs/clinical/reference.md §1.3, §2.1).
- `CONDITIONS`: the conditions the screening rules read, each from docs/clinical/reference.md §1.2,
  §2.3, §2.4 or §4 (the rule that reads a condition cites the source).
- `SUBSTANCE_USE`: a substance use disorder (misuse), not occasional social use: "none", "past"
  (a disorder in the past, now in remission) or "current".
- medication classes: the values of `clinical.medications.KetamineInteractionClass` except
  "none" (an empty set means none).
- `PRIOR_TREATMENTS` / `PRIOR_RESPONSES`: earlier treatments for the current illness and how well
  each worked; a treatment not tried is left out. No screening rule reads them yet (the reference
  gives no rule on them); they are recorded for the prescriber.

Sex is not an intake field, and pregnancy is its own fact: the intake never checks pregnancy
against sex (a pregnant patient may be recorded as male).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ketamine_clinic.clinical import anthropometrics
from ketamine_clinic.clinical.medications import KetamineInteractionClass
from ketamine_clinic.clinical.observations import VITAL_SIGNS, VitalSign

ROUTES = ("iv", "im", "intranasal", "oral")
ROUTE_LABELS: dict[str, str] = {
    "iv": "Intravenous racemic ketamine",
    "im": "Intramuscular racemic ketamine",
    "intranasal": "Intranasal esketamine",
    "oral": "Oral racemic ketamine",
}

SUBSTANCE_USE = ("none", "past", "current")
SUBSTANCE_USE_LABELS: dict[str, str] = {
    "none": "No substance use disorder",
    "past": "Substance use disorder in the past",
    "current": "Current substance use disorder",
}

# Condition id -> plain-language label. The rule reading each condition cites its source.
CONDITIONS: dict[str, str] = {
    # Cardiovascular and cerebrovascular (docs/clinical/reference.md §1.2, §1.5, §1.6, §2.3, §2.4,
    # §4.2)
    "hypertension": "High blood pressure (hypertension), treated and under control",
    "hypertension_uncontrolled": "High blood pressure that is untreated or not under control",
    "coronary_artery_disease": "Coronary artery disease (angina or a past heart attack)",
    "heart_failure": "Heart failure",
    "arrhythmia": "An irregular heartbeat (arrhythmia)",
    "stroke_history": "A stroke in the past",
    "unstable_cardiovascular_disease": "Heart or circulation disease that is unstable or "
    "poorly controlled",
    "unstable_cerebrovascular_disease": "Disease of the brain's blood vessels that is unstable",
    "aneurysmal_vascular_disease": "An aneurysm (a bulging, weakened blood vessel) in the "
    "brain, chest, belly or limbs",
    "arteriovenous_malformation": "An arteriovenous malformation (a tangle of blood vessels)",
    "intracerebral_haemorrhage": "Bleeding inside the brain (intracerebral haemorrhage) in "
    "the past",
    # Mental health (docs/clinical/reference.md §1.2, §2.4, §4.1)
    "psychosis_current": "Psychosis now (hallucinations or delusions)",
    "psychosis_history": "Psychosis in the past",
    "schizophrenia": "Schizophrenia or schizoaffective disorder",
    "mania_current": "Mania or hypomania now",
    "bipolar_disorder": "Bipolar disorder",
    # Liver (docs/clinical/reference.md §1.2, §4.2)
    "hepatic_impairment_moderate": "Moderate liver impairment",
    "hepatic_impairment_severe": "Severe liver impairment",
    # Pressure in the head or eye (docs/clinical/reference.md §1.2, §2.3, §4.2)
    "raised_intracranial_pressure": "Raised pressure inside the skull",
    "raised_intraocular_pressure": "Raised pressure inside the eye (such as glaucoma)",
    # Other label and guideline items (docs/clinical/reference.md §1.2, §2.3, §2.4, §4.2)
    "hyperthyroidism_untreated": "An overactive thyroid that is not treated",
    "bladder_symptoms": "Bladder or urinary symptoms (pain, urgency, passing urine often)",
    "sleep_apnoea": "Sleep apnoea (breathing stops during sleep)",
    "ketamine_hypersensitivity": "An allergic reaction to ketamine or esketamine",
    "ketamine_or_pcp_misuse": "Recreational use or misuse of ketamine or PCP (phencyclidine)",
    "pre_eclampsia": "Pre-eclampsia or eclampsia in this pregnancy",
}

# Earlier treatments for the current illness, and how each worked (see module docstring).
PRIOR_TREATMENTS: dict[str, str] = {
    "ect": "Electroconvulsive therapy (ECT)",
    "tms": "Transcranial magnetic stimulation (TMS)",
    "ketamine": "Racemic ketamine",
    "esketamine": "Esketamine",
}
PRIOR_RESPONSES: dict[str, str] = {
    "none": "No response",
    "partial": "Partial response",
    "good": "Good response",
    "not_tolerated": "Stopped because it was not tolerated",
}

MEDICATION_CLASSES: tuple[str, ...] = tuple(
    c.value for c in KetamineInteractionClass if c is not KetamineInteractionClass.NONE
)


def _entry_range(key: str) -> tuple[int, int]:
    bounds = VITAL_SIGNS[key].entry_range
    if bounds is None:
        raise LookupError(f"{key} has no entry range in clinical.observations")
    return bounds


# Plausible ranges accepted at data entry; a value outside is a typing error far more often than
# a real patient. Weight, height and age reuse clinical.anthropometrics (issue #2); the blood
# pressure and heart-rate ranges (clinical.observations) are entry guards, not clinical
# thresholds.
AGE_YEARS_RANGE = (0, anthropometrics.MAX_AGE_YEARS)
SYSTOLIC_BP_RANGE = _entry_range("sbp")
DIASTOLIC_BP_RANGE = _entry_range("dbp")
HEART_RATE_RANGE = _entry_range("hr")
WEIGHT_KG_RANGE = (float(anthropometrics.WEIGHT_KG_MIN), float(anthropometrics.WEIGHT_KG_MAX))
HEIGHT_CM_RANGE = (float(anthropometrics.HEIGHT_CM_MIN), float(anthropometrics.HEIGHT_CM_MAX))

# The intake's measurements → their kind in clinical.observations.VITAL_SIGNS.
VITAL_SIGN_FIELDS: dict[str, str] = {
    "systolic_bp": "sbp",
    "diastolic_bp": "dbp",
    "heart_rate": "hr",
    "weight_kg": "weight",
    "height_cm": "height",
}

FIELDS = (
    "route",
    "age_years",
    "systolic_bp",
    "diastolic_bp",
    "heart_rate",
    "weight_kg",
    "height_cm",
    "pregnant",
    "breastfeeding",
    "conditions",
    "substance_use",
    "substances",
    "medication_classes",
    "failed_antidepressant_trials",
    "prior_treatments",
    "depressive_indication",
)
REQUIRED_FIELDS = ("route", "age_years")


class IntakeError(ValueError):
    """An intake that cannot be read: `errors` maps each bad field to the reason, in field order."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in self.errors.items()))


@dataclass(frozen=True)
class Intake:
    """What the patient and clinic have recorded before a first ketamine treatment.

    Build one with `parse_intake` (which checks every field); an `Intake` built directly is not
    checked, and `evaluate` simply finds nothing in a value it does not know.
    """

    route: str  # one of ROUTES
    age_years: int
    systolic_bp: int | None = None  # resting, mm Hg
    diastolic_bp: int | None = None
    heart_rate: int | None = None  # beats a minute
    weight_kg: float | None = None
    height_cm: float | None = None
    pregnant: bool | None = None  # None: not asked / not known
    breastfeeding: bool | None = None
    conditions: frozenset[str] = frozenset()  # ids from CONDITIONS
    substance_use: str = "none"  # one of SUBSTANCE_USE
    substances: tuple[str, ...] = ()  # free text, e.g. ("alcohol",); only with past/current use
    medication_classes: frozenset[str] = frozenset()  # MEDICATION_CLASSES
    failed_antidepressant_trials: int | None = None  # adequate trials in the current episode
    prior_treatments: Mapping[str, str] = field(default_factory=dict, hash=False)
    depressive_indication: bool = False  # the indication is a depressive disorder

    def vital_signs(self) -> list[tuple[VitalSign, float]]:
        """Return the measurements given, each with its code and unit (clinical.observations)."""
        given = ((VITAL_SIGNS[key], getattr(self, name)) for name, key in VITAL_SIGN_FIELDS.items())
        return [(sign, value) for sign, value in given if value is not None]

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (sets as sorted lists) that `parse_intake` reads back."""
        return {
            "route": self.route,
            "age_years": self.age_years,
            "systolic_bp": self.systolic_bp,
            "diastolic_bp": self.diastolic_bp,
            "heart_rate": self.heart_rate,
            "weight_kg": self.weight_kg,
            "height_cm": self.height_cm,
            "pregnant": self.pregnant,
            "breastfeeding": self.breastfeeding,
            "conditions": sorted(self.conditions),
            "substance_use": self.substance_use,
            "substances": list(self.substances),
            "medication_classes": sorted(self.medication_classes),
            "failed_antidepressant_trials": self.failed_antidepressant_trials,
            "prior_treatments": dict(self.prior_treatments),
            "depressive_indication": self.depressive_indication,
        }


def parse_intake(data: Mapping[str, Any]) -> Intake:
    """Return the intake in `data` (a JSON object), or raise IntakeError naming every bad field.

    Refused: a missing route or age; unknown fields; unknown routes, conditions, substance-use
    values, medication classes, prior treatments or responses; wrong types (a bool where a bool
    is due, an int where an int is due: never a string, float or bool for an int); values outside
    the plausible ranges (age 0–120, systolic 50–300, diastolic 20–200 and below the systolic,
    heart rate 20–250, weight 25–350 kg, height 100–250 cm); a systolic without a diastolic or
    the reverse; a negative number of failed trials; substances listed with substance use "none".
    Optional fields may be left out or given as null.
    """
    if not isinstance(data, Mapping):
        raise IntakeError({"intake": "An intake must be a JSON object."})
    parser = _Parser(data)
    intake = parser.intake()
    if parser.errors:
        raise IntakeError({name: parser.errors[name] for name in _error_order(parser.errors)})
    assert intake is not None
    return intake


def _error_order(errors: Mapping[str, str]) -> list[str]:
    """Known fields in FIELDS order, then the unknown ones in the order they were given."""
    known = [name for name in FIELDS if name in errors]
    return known + [name for name in errors if name not in FIELDS]


def _describe(value: Any) -> str:
    return "a string" if isinstance(value, str) else type(value).__name__


def _choices(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)


class _Parser:
    """Reads one field at a time; each reader records its error and returns a safe default."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, str] = {}

    def intake(self) -> Intake | None:
        for name in self.data:
            if name not in FIELDS:
                self.errors[str(name)] = "Unknown field."
        route = self.choice("route", ROUTES, "route", required=True)
        age = self.integer("age_years", AGE_YEARS_RANGE, "Age", "years", required=True)
        systolic = self.integer("systolic_bp", SYSTOLIC_BP_RANGE, "Systolic pressure", "mm Hg")
        diastolic = self.integer("diastolic_bp", DIASTOLIC_BP_RANGE, "Diastolic pressure", "mm Hg")
        self.check_pressure_pair(systolic, diastolic)
        heart_rate = self.integer("heart_rate", HEART_RATE_RANGE, "Heart rate", "beats a minute")
        weight = self.number("weight_kg", WEIGHT_KG_RANGE, "Weight", "kg")
        height = self.number("height_cm", HEIGHT_CM_RANGE, "Height", "cm")
        pregnant = self.boolean("pregnant", nullable=True)
        breastfeeding = self.boolean("breastfeeding", nullable=True)
        conditions = self.id_set("conditions", tuple(CONDITIONS), "condition")
        substance_use = self.choice("substance_use", SUBSTANCE_USE, "substance use value")
        substances = self.substances(substance_use)
        classes = self.id_set("medication_classes", MEDICATION_CLASSES, "medication class")
        trials = self.integer(
            "failed_antidepressant_trials", (0, None), "The number of failed trials", ""
        )
        prior = self.prior_treatments()
        depressive = self.boolean("depressive_indication", nullable=False)
        if self.errors:
            return None
        assert route is not None and age is not None
        return Intake(
            route=route,
            age_years=age,
            systolic_bp=systolic,
            diastolic_bp=diastolic,
            heart_rate=heart_rate,
            weight_kg=weight,
            height_cm=height,
            pregnant=pregnant,
            breastfeeding=breastfeeding,
            conditions=conditions,
            substance_use=substance_use or "none",
            substances=substances,
            medication_classes=classes,
            failed_antidepressant_trials=trials,
            prior_treatments=prior,
            depressive_indication=bool(depressive),
        )

    def given(self, name: str, required: bool = False) -> tuple[bool, Any]:
        """Return (present, value); a missing required field is recorded as an error."""
        value = self.data.get(name)
        if value is None:
            if required:
                self.errors[name] = "Required."
            return False, None
        return True, value

    def choice(
        self, name: str, allowed: tuple[str, ...], what: str, required: bool = False
    ) -> str | None:
        present, value = self.given(name, required)
        if not present:
            return None
        if not isinstance(value, str):
            self.errors[name] = f"Expected a string, got {_describe(value)}."
            return None
        if value not in allowed:
            self.errors[name] = f"Unknown {what} {value!r} ({_choices(allowed)})."
            return None
        return value

    def integer(
        self,
        name: str,
        bounds: tuple[int, int | None],
        what: str,
        unit: str,
        required: bool = False,
    ) -> int | None:
        present, value = self.given(name, required)
        if not present:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors[name] = f"Expected a whole number, got {_describe(value)}."
            return None
        low, high = bounds
        unit_text = f" {unit}" if unit else ""
        if high is None:
            if value < low:
                self.errors[name] = f"{what} cannot be negative."
                return None
        elif not low <= value <= high:
            self.errors[name] = f"{what} must be between {low} and {high}{unit_text}."
            return None
        return value

    def number(self, name: str, bounds: tuple[float, float], what: str, unit: str) -> float | None:
        present, value = self.given(name)
        if not present:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.errors[name] = f"Expected a number, got {_describe(value)}."
            return None
        number = float(value)
        low, high = bounds
        if not math.isfinite(number) or not low <= number <= high:
            self.errors[name] = f"{what} must be between {low:g} and {high:g} {unit}."
            return None
        return number

    def boolean(self, name: str, nullable: bool) -> bool | None:
        present, value = self.given(name)
        if not present:
            return None if nullable else False
        if not isinstance(value, bool):
            self.errors[name] = f"Expected true or false, got {_describe(value)}."
            return None
        return value

    def strings(self, name: str) -> list[str] | None:
        """Return a list of strings given as a JSON array, or record an error."""
        present, value = self.given(name)
        if not present:
            return []
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple | set | frozenset):
            self.errors[name] = f"Expected a list, got {_describe(value)}."
            return None
        wrong = [item for item in value if not isinstance(item, str)]
        if wrong:
            self.errors[name] = f"Expected strings in the list, got {_describe(wrong[0])}."
            return None
        return list(value)

    def id_set(self, name: str, allowed: tuple[str, ...], what: str) -> frozenset[str]:
        values = self.strings(name)
        if values is None:
            return frozenset()
        unknown = sorted({v for v in values if v not in allowed})
        if unknown:
            listed = ", ".join(repr(v) for v in unknown)
            plural = "s" if len(unknown) > 1 else ""
            if len(allowed) <= 8:
                self.errors[name] = f"Unknown {what}{plural} {listed} ({_choices(allowed)})."
            else:
                self.errors[name] = f"Unknown {what}{plural} {listed}."
            return frozenset()
        return frozenset(values)

    def substances(self, substance_use: str | None) -> tuple[str, ...]:
        values = self.strings("substances")
        if values is None:
            return ()
        cleaned = [v.strip() for v in values]
        if any(not v for v in cleaned):
            self.errors["substances"] = "A substance cannot be blank."
            return ()
        if cleaned and (substance_use or "none") == "none" and "substance_use" not in self.errors:
            self.errors["substances"] = (
                "Substances are listed but substance use is 'none'; give 'past' or 'current'."
            )
            return ()
        return tuple(cleaned)

    def prior_treatments(self) -> dict[str, str]:
        name = "prior_treatments"
        present, value = self.given(name)
        if not present:
            return {}
        if not isinstance(value, Mapping):
            self.errors[name] = f"Expected an object, got {_describe(value)}."
            return {}
        problems: list[str] = []
        for treatment, response in value.items():
            if treatment not in PRIOR_TREATMENTS:
                problems.append(
                    f"unknown treatment {treatment!r} ({_choices(tuple(PRIOR_TREATMENTS))})"
                )
            elif response not in PRIOR_RESPONSES:
                problems.append(
                    f"{treatment}: unknown response {response!r} "
                    f"({_choices(tuple(PRIOR_RESPONSES))})"
                )
        if problems:
            text = "; ".join(problems)
            self.errors[name] = text[0].upper() + text[1:] + "."
            return {}
        return {str(k): str(v) for k, v in value.items()}

    def check_pressure_pair(self, systolic: int | None, diastolic: int | None) -> None:
        """Systolic and diastolic come together, and the diastolic is the lower."""
        has_systolic = self.data.get("systolic_bp") is not None
        has_diastolic = self.data.get("diastolic_bp") is not None
        if has_systolic and not has_diastolic:
            self.errors["diastolic_bp"] = "Give the diastolic pressure with the systolic."
        elif has_diastolic and not has_systolic:
            self.errors["systolic_bp"] = "Give the systolic pressure with the diastolic."
        elif systolic is not None and diastolic is not None and diastolic >= systolic:
            self.errors["diastolic_bp"] = (
                f"Diastolic pressure ({diastolic}) must be below the systolic ({systolic})."
            )
