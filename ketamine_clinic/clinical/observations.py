"""Vital signs and body measurements as coded observations: LOINC code and UCUM unit.

Every measurement is stored with its code and unit (DESIGN.md), so that analytics and the FHIR
export read the same columns. One table for the whole product: the screening intake, the chart's
weight history and the session flowsheet all take their codes from `VITAL_SIGNS`:

    >>> VITAL_SIGNS["sbp"].loinc, VITAL_SIGNS["sbp"].ucum
    ('8480-6', 'mm[Hg]')

Sources:
- LOINC codes: docs/clinical/reference.md §3.3 (the FHIR vital-signs profile set). SpO2 is the
  pulse-oximetry code (59408-5), since that is how a clinic measures it; 2708-6 (arterial) is
  the FHIR base profile's code (same section), for an exporter to add.
- UCUM units: mm[Hg] from docs/clinical/reference.md §3.3; the others are the units the FHIR R4
  vital-signs profile names for each code (hl7.org/fhir/R4/observation-vitalsigns.html):
  /min, %, Cel, kg, cm, kg/m2.
- `entry_range` is a data-entry guard (a value outside it is far more often a typing error than
  a real patient), not a clinical threshold: weight and height from `anthropometrics` (issue
  #2), blood pressure and heart rate from the screening intake (issue #4), respiratory rate,
  SpO2 and temperature from the session flowsheet's plausibility ranges (issue #11, Bad input).
  No published source gives them; BMI has none.
- `decimals`: how precisely a reading is written (a bedside thermometer reads to 0.1 °C).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ketamine_clinic.clinical import anthropometrics


@dataclass(frozen=True)
class VitalSign:
    """One kind of observation: its key here, LOINC code, UCUM unit and name."""

    key: str
    loinc: str
    ucum: str  # the UCUM code, as FHIR's valueQuantity.code
    name: str  # LOINC's display, shortened
    unit_text: str  # the unit as a person reads it
    entry_range: tuple[int, int] | None = None  # plausible at entry, inclusive; not clinical
    decimals: int = 0  # decimal places a reading may have

    def accepts(self, value: float) -> bool:
        """Return whether `value` is within the entry range (True when there is none)."""
        if self.entry_range is None:
            return True
        low, high = self.entry_range
        return low <= value <= high


VITAL_SIGNS: dict[str, VitalSign] = {
    sign.key: sign
    for sign in (
        VitalSign("sbp", "8480-6", "mm[Hg]", "Systolic blood pressure", "mm Hg", (50, 300)),
        VitalSign("dbp", "8462-4", "mm[Hg]", "Diastolic blood pressure", "mm Hg", (20, 200)),
        VitalSign("hr", "8867-4", "/min", "Heart rate", "beats a minute", (20, 250)),
        VitalSign("rr", "9279-1", "/min", "Respiratory rate", "breaths a minute", (2, 60)),
        VitalSign("spo2", "59408-5", "%", "Oxygen saturation by pulse oximetry", "%", (50, 100)),
        VitalSign("temperature", "8310-5", "Cel", "Body temperature", "°C", (30, 44), 1),
        VitalSign(
            "weight",
            "29463-7",
            "kg",
            "Body weight",
            "kg",
            (int(anthropometrics.WEIGHT_KG_MIN), int(anthropometrics.WEIGHT_KG_MAX)),
            1,
        ),
        VitalSign(
            "height",
            "8302-2",
            "cm",
            "Body height",
            "cm",
            (int(anthropometrics.HEIGHT_CM_MIN), int(anthropometrics.HEIGHT_CM_MAX)),
        ),
        VitalSign("bmi", "39156-5", "kg/m2", "Body mass index", "kg/m²"),
    )
}

# The panels the readings belong to (docs/clinical/reference.md §3.3), for a FHIR export.
VITAL_SIGNS_PANEL_LOINC = "85353-1"
BLOOD_PRESSURE_PANEL_LOINC = "85354-9"

BY_LOINC: dict[str, VitalSign] = {sign.loinc: sign for sign in VITAL_SIGNS.values()}


class ReadingError(ValueError):
    """A reading that cannot be stored; `errors` maps each measure to its reason."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


def check_reading(values: Mapping[str, Decimal | None]) -> dict[str, Decimal]:
    """Return the given measures (None dropped, keyed as `VITAL_SIGNS`) if each is within its
    entry range, else raise ReadingError naming every measure at fault. A diastolic above the
    systolic, or one pressure without the other, is refused too."""
    errors: dict[str, str] = {}
    kept: dict[str, Decimal] = {}
    for key, value in values.items():
        if value is None:
            continue
        sign = VITAL_SIGNS.get(key)
        if sign is None:
            errors[key] = "not a vital sign this record knows."
        elif not value.is_finite():
            errors[key] = "not a number."
        elif not sign.accepts(float(value)):
            low, high = sign.entry_range or (0, 0)
            errors[key] = f"{sign.name} must be between {low} and {high} {sign.unit_text}."
        elif value != round(value, sign.decimals):
            errors[key] = f"{sign.name} has at most {sign.decimals} decimal places."
        else:
            kept[key] = value
    if "sbp" in kept and "dbp" in kept and kept["dbp"] > kept["sbp"]:
        errors["dbp"] = "Diastolic blood pressure cannot be above systolic blood pressure."
    if ("sbp" in kept) != ("dbp" in kept) and not errors:
        missing = "dbp" if "sbp" in kept else "sbp"
        errors[missing] = "Blood pressure needs both systolic and diastolic."
    if errors:
        raise ReadingError(errors)
    if not kept:
        raise ReadingError({"reading": "Enter at least one measure."})
    return kept
