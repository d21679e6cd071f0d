"""Body measurements: plausibility ranges, BMI and age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

# Plausible adult ranges accepted at data entry (issue #2, "Bad input"). A value outside them is
# a typing error far more often than a real patient, so it is refused with a message.
WEIGHT_KG_MIN = Decimal("25")
WEIGHT_KG_MAX = Decimal("350")
HEIGHT_CM_MIN = Decimal("100")
HEIGHT_CM_MAX = Decimal("250")
# Oldest plausible date of birth, in years before today (issue #2).
MAX_AGE_YEARS = 120


class MeasurementError(ValueError):
    """A measurement outside its plausible range; `field` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_weight_kg(weight_kg: Decimal) -> Decimal:
    """Return the weight if it is within 25–350 kg, else raise MeasurementError."""
    if not WEIGHT_KG_MIN <= weight_kg <= WEIGHT_KG_MAX:
        raise MeasurementError(
            "weight_kg", f"Weight must be between {WEIGHT_KG_MIN} and {WEIGHT_KG_MAX} kg."
        )
    return weight_kg


def check_height_cm(height_cm: Decimal) -> Decimal:
    """Return the height if it is within 100–250 cm, else raise MeasurementError."""
    if not HEIGHT_CM_MIN <= height_cm <= HEIGHT_CM_MAX:
        raise MeasurementError(
            "height_cm", f"Height must be between {HEIGHT_CM_MIN} and {HEIGHT_CM_MAX} cm."
        )
    return height_cm


def check_date_of_birth(date_of_birth: date, today: date) -> date:
    """Return the date of birth if it is not in the future and at most 120 years ago."""
    if date_of_birth > today:
        raise MeasurementError("date_of_birth", "Date of birth cannot be in the future.")
    if age_in_years(date_of_birth, today) > MAX_AGE_YEARS:
        raise MeasurementError(
            "date_of_birth", f"Date of birth cannot be more than {MAX_AGE_YEARS} years ago."
        )
    return date_of_birth


def age_in_years(date_of_birth: date, today: date) -> int:
    """Return completed years of age on `today` (a birthday on 29 February counts on 1 March)."""
    had_birthday = (today.month, today.day) >= (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - (0 if had_birthday else 1)


@dataclass(frozen=True)
class BodyMassIndex:
    value: Decimal  # kg/m², one decimal
    category: str


# WHO adult BMI categories (WHO, "A healthy lifestyle – WHO recommendations", 2010; cut-offs
# 18.5, 25, 30 kg/m²). LOINC 39156-5 is the BMI observation code (docs/clinical/reference.md §3.3).
BMI_LOINC = "39156-5"
BODY_WEIGHT_LOINC = "29463-7"  # docs/clinical/reference.md §3.3
BODY_HEIGHT_LOINC = "8302-2"  # docs/clinical/reference.md §3.3
_BMI_CATEGORIES: tuple[tuple[Decimal, str], ...] = (
    (Decimal("18.5"), "underweight"),
    (Decimal("25"), "normal weight"),
    (Decimal("30"), "overweight"),
)


def body_mass_index(weight_kg: Decimal, height_cm: Decimal) -> BodyMassIndex:
    """Return BMI = weight (kg) / height (m)², rounded half-up to one decimal, with its category.

    80 kg at 180 cm is 24.7 kg/m², "normal weight"; 91.8 kg at 175 cm is 29.98, shown as 30.0,
    "obesity".
    """
    check_weight_kg(weight_kg)
    check_height_cm(height_cm)
    height_m = height_cm / Decimal(100)
    value = (weight_kg / (height_m * height_m)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    # The category follows the value shown, so that 30.0 is never labelled "overweight".
    category = "obesity"
    for upper, name in _BMI_CATEGORIES:
        if value < upper:
            category = name
            break
    return BodyMassIndex(value, category)


# A weight that drives a dose is confirmed when it jumps (issue #16 §2). The international pound
# is exactly 0.45359237 kg (International Yard and Pound Agreement, 1959), so a weight typed in
# the wrong unit is off by a factor of 2.2046. The default share (10%) and the tolerance on the
# factor (5%) are clinic policy defaults, no published source.
KG_PER_LB = Decimal("0.45359237")
WEIGHT_JUMP_SHARE_DEFAULT = Decimal("0.10")
UNIT_SWAP_TOLERANCE = Decimal("0.05")


@dataclass(frozen=True)
class WeightJump:
    """A new weight far from the previous one: by more than the share, or by the kg/lb factor."""

    previous_kg: Decimal
    new_kg: Decimal
    change: Decimal  # signed fraction of the previous weight, e.g. -0.181
    units_swapped: bool

    def describe(self) -> str:
        """Say how the new weight differs from the previous one, in a nurse's words."""
        percent = (self.change * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
        text = f"{self.new_kg} kg is {abs(percent)}% {'above' if percent > 0 else 'below'} "
        text += f"the previous weight, {self.previous_kg} kg"
        if self.units_swapped:
            text += " (a factor of about 2.2: were kilograms and pounds swapped?)"
        return text


def weight_jump(previous_kg: Decimal, new_kg: Decimal, share: Decimal) -> WeightJump | None:
    """Return the jump from the previous weight to the new one, or None if it is within share."""
    change = (new_kg - previous_kg) / previous_kg
    ratio = max(new_kg, previous_kg) / min(new_kg, previous_kg)
    lb_per_kg = 1 / KG_PER_LB
    swapped = abs(ratio - lb_per_kg) <= UNIT_SWAP_TOLERANCE * lb_per_kg
    if not swapped and abs(change) <= share:
        return None
    return WeightJump(previous_kg, new_kg, change, swapped)
