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
  #2), blood pressure and heart rate from the screening intake (issue #4). No published source
  gives them, and none is given here for the signs the intake does not take.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        VitalSign("rr", "9279-1", "/min", "Respiratory rate", "breaths a minute"),
        VitalSign("spo2", "59408-5", "%", "Oxygen saturation by pulse oximetry", "%"),
        VitalSign("temperature", "8310-5", "Cel", "Body temperature", "°C"),
        VitalSign(
            "weight",
            "29463-7",
            "kg",
            "Body weight",
            "kg",
            (int(anthropometrics.WEIGHT_KG_MIN), int(anthropometrics.WEIGHT_KG_MAX)),
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
