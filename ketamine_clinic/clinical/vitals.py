"""Vital signs as coded observations: LOINC code, UCUM unit, and the plausible range of each.

Codes: reference.md §3.3 (the FHIR vital-signs profile set; SpO2 by pulse oximetry 59408-5).
Plausible ranges (issue #11, Bad input): a reading outside them is a typing or probe error, not a
patient, and is refused with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class VitalSign:
    key: str
    label: str
    loinc: str
    unit: str  # UCUM
    unit_text: str  # how the screen writes the unit
    low: Decimal
    high: Decimal
    decimals: int


VITAL_SIGNS: dict[str, VitalSign] = {
    v.key: v
    for v in (
        VitalSign("sbp", "Systolic BP", "8480-6", "mm[Hg]", "mmHg", Decimal(50), Decimal(300), 0),
        VitalSign("dbp", "Diastolic BP", "8462-4", "mm[Hg]", "mmHg", Decimal(20), Decimal(200), 0),
        VitalSign("hr", "Heart rate", "8867-4", "/min", "/min", Decimal(20), Decimal(250), 0),
        VitalSign("spo2", "SpO2", "59408-5", "%", "%", Decimal(50), Decimal(100), 0),
        VitalSign("rr", "Respiratory rate", "9279-1", "/min", "/min", Decimal(2), Decimal(60), 0),
        VitalSign("temp", "Temperature", "8310-5", "Cel", "°C", Decimal(30), Decimal(44), 1),
        VitalSign("weight", "Body weight", "29463-7", "kg", "kg", Decimal(25), Decimal(350), 1),
    )
}
BP_PANEL_LOINC = "85354-9"  # reference.md §3.3
VITAL_SIGNS_PANEL_LOINC = "85353-1"  # reference.md §3.3


class ReadingError(ValueError):
    """A reading that cannot be stored; `errors` maps each field to its reason."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


def check_reading(values: Mapping[str, Decimal | None]) -> dict[str, Decimal]:
    """Return the given measures (None dropped) if each is plausible, else raise ReadingError
    naming every measure at fault. Diastolic above systolic is refused too."""
    errors: dict[str, str] = {}
    kept: dict[str, Decimal] = {}
    for key, value in values.items():
        if value is None:
            continue
        sign = VITAL_SIGNS.get(key)
        if sign is None:
            errors[key] = "not a vital sign this record knows."
            continue
        if not value.is_finite():
            errors[key] = "not a number."
        elif not sign.low <= value <= sign.high:
            errors[key] = (
                f"{sign.label} must be between {sign.low} and {sign.high} {sign.unit_text}."
            )
        elif value != round(value, sign.decimals):
            errors[key] = f"{sign.label} has at most {sign.decimals} decimal places."
        else:
            kept[key] = value
    if "sbp" in kept and "dbp" in kept and kept["dbp"] > kept["sbp"]:
        errors["dbp"] = "Diastolic BP cannot be above systolic BP."
    if ("sbp" in kept) != ("dbp" in kept) and not errors:
        missing = "dbp" if "sbp" in kept else "sbp"
        errors[missing] = "Blood pressure needs both systolic and diastolic."
    if errors:
        raise ReadingError(errors)
    if not kept:
        raise ReadingError({"reading": "Enter at least one measure."})
    return kept
