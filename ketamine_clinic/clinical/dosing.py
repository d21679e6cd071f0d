"""Dose arithmetic for a session: milligrams from the plan and today's weight, the volume to
draw, the bag, the pump rate, and the esketamine devices; with each step shown as text.

Conventions (issue #11, Interfaces):
- The drug volume is added to a bag that holds `bag_ml` of diluent: total = bag + drug volume.
  With no bag the product is given undiluted (an IM injection, or a syringe driver).
- The dose is kept to 0.1 mg (the ledger's default precision for ketamine products).
- The volume drawn is rounded to the nearest graduation of the syringe (`syringe_resolution_ml`,
  default 0.01 mL: a 1 mL graduated syringe; a clinic drawing with a 5 or 10 mL syringe sets
  0.1 or 0.2 mL). What is drawn is then what is given: volume × concentration, so rounding
  changes the dose by at most half a graduation's worth of drug, and never by more than one.
- The pump rate is rounded to the pump's resolution (`pump_resolution_ml_per_h`, default
  0.1 mL/h, the step of common volumetric infusion pumps: clinic policy default, no published
  source); the infusion time at that rate is shown.
- Esketamine comes in 28 mg devices (reference.md §2.1): a dose is a whole number of devices,
  self-administered 5 minutes apart (§2.1).

Example (0.5 mg/kg, reference.md §1.3): 82.4 kg × 0.5 mg/kg = 41.2 mg; at 10 mg/mL that is
4.12 mL; with a 100 mL bag the total is 104.12 mL; over 40 minutes 156.18 mL/h, set as
156.2 mL/h.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

# reference.md §2.1: one esketamine device holds 28 mg (two sprays); 5 minutes between devices.
ESKETAMINE_DEVICE_MG = Decimal("28")
ESKETAMINE_DEVICE_INTERVAL_MIN = 5

# Racemic ketamine concentrations on the market (reference.md §3.4: 10, 50, 100 mg/mL NDCs).
KETAMINE_CONCENTRATIONS_MG_PER_ML = (Decimal("10"), Decimal("50"), Decimal("100"))

DOSE_STEP_MG = Decimal("0.1")
DEFAULT_SYRINGE_RESOLUTION_ML = Decimal("0.01")
DEFAULT_PUMP_RESOLUTION_ML_PER_H = Decimal("0.1")

# Input bounds: beyond them the number is a typing error, not a dose (weight: the chart's
# plausible range, anthropometrics.py).
WEIGHT_KG_RANGE = (Decimal("25"), Decimal("350"))
MG_PER_KG_RANGE = (Decimal("0.01"), Decimal("5"))
CONCENTRATION_RANGE = (Decimal("0.1"), Decimal("100"))
BAG_ML_RANGE = (Decimal("0"), Decimal("1000"))
MINUTES_RANGE = (Decimal("1"), Decimal("1440"))
RESOLUTION_RANGE = (Decimal("0.001"), Decimal("1"))


class DoseError(ValueError):
    """A dose input that cannot be used; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _decimal(value: object, name: str, bounds: tuple[Decimal, Decimal]) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DoseError(name, "not a number.") from None
    if not number.is_finite():
        raise DoseError(name, "not a number.")
    low, high = bounds
    if not low <= number <= high:
        raise DoseError(name, f"must be between {_text(low)} and {_text(high)}.")
    return number


def _round(value: Decimal, step: Decimal) -> Decimal:
    """`value` to the nearest multiple of `step` (halves up)."""
    return ((value / step).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * step).normalize()


def _text(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 41.2, 100, 0.01."""
    text = format(value.normalize(), "f")
    return text


@dataclass(frozen=True)
class Infusion:
    """A prepared dose, with the arithmetic that gave each number."""

    dose_mg: Decimal  # what is given: the drawn volume × the concentration
    prescribed_mg: Decimal  # weight × mg/kg (or the fixed dose), to 0.1 mg
    concentration_mg_per_ml: Decimal
    drug_volume_ml: Decimal
    bag_ml: Decimal  # 0: undiluted
    total_volume_ml: Decimal
    minutes: Decimal
    rate_ml_per_h: Decimal  # what the pump is set to
    rate_ml_per_h_exact: Decimal
    minutes_at_rate: Decimal  # the infusion time the rounded rate gives
    final_mg_per_ml: Decimal
    steps: list[str] = field(default_factory=list)

    @property
    def undiluted(self) -> bool:
        return self.bag_ml == 0

    def as_dict(self) -> dict[str, object]:
        """The numbers as JSON-ready floats, with the worked steps."""
        return {
            "dose_mg": float(self.dose_mg),
            "prescribed_mg": float(self.prescribed_mg),
            "concentration_mg_per_ml": float(self.concentration_mg_per_ml),
            "drug_volume_ml": float(self.drug_volume_ml),
            "bag_ml": float(self.bag_ml),
            "undiluted": self.undiluted,
            "total_volume_ml": float(self.total_volume_ml),
            "minutes": float(self.minutes),
            "rate_ml_per_h": float(self.rate_ml_per_h),
            "rate_ml_per_h_exact": float(self.rate_ml_per_h_exact),
            "minutes_at_rate": float(self.minutes_at_rate),
            "final_mg_per_ml": float(self.final_mg_per_ml),
            "steps": list(self.steps),
        }


def prescribed_mg(weight_kg: object, mg_per_kg: object) -> Decimal:
    """Weight × mg/kg, to 0.1 mg."""
    weight = _decimal(weight_kg, "weight_kg", WEIGHT_KG_RANGE)
    per_kg = _decimal(mg_per_kg, "mg_per_kg", MG_PER_KG_RANGE)
    return _round(weight * per_kg, DOSE_STEP_MG)


def infusion(
    *,
    dose_mg: object,
    concentration_mg_per_ml: object,
    bag_ml: object = 0,
    minutes: object,
    syringe_resolution_ml: object = DEFAULT_SYRINGE_RESOLUTION_ML,
    pump_resolution_ml_per_h: object = DEFAULT_PUMP_RESOLUTION_ML_PER_H,
    weight_kg: object = None,
    mg_per_kg: object = None,
) -> Infusion:
    """Prepare a dose: the volume to draw, the bag, the pump rate, each step worked."""
    prescribed = _decimal(dose_mg, "dose_mg", (Decimal("0.1"), Decimal("2000")))
    concentration = _decimal(
        concentration_mg_per_ml, "concentration_mg_per_ml", CONCENTRATION_RANGE
    )
    bag = _decimal(bag_ml, "bag_ml", BAG_ML_RANGE)
    duration = _decimal(minutes, "minutes", MINUTES_RANGE)
    syringe = _decimal(syringe_resolution_ml, "syringe_resolution_ml", RESOLUTION_RANGE)
    pump = _decimal(pump_resolution_ml_per_h, "pump_resolution_ml_per_h", RESOLUTION_RANGE)
    steps: list[str] = []
    if weight_kg is not None and mg_per_kg is not None:
        steps.append(
            f"{_text(Decimal(str(weight_kg)))} kg × {_text(Decimal(str(mg_per_kg)))} "
            f"mg/kg = {_text(prescribed)} mg"
        )
    volume = _round(prescribed / concentration, syringe)
    if volume <= 0:
        raise DoseError(
            "dose_mg", f"less than one syringe graduation ({_text(syringe)} mL) of this product."
        )
    given = (volume * concentration).normalize()
    steps.append(
        f"{_text(prescribed)} mg ÷ {_text(concentration)} mg/mL = {_text(volume)} mL "
        f"(to the syringe's {_text(syringe)} mL)"
    )
    if given != prescribed:
        steps.append(f"{_text(volume)} mL × {_text(concentration)} mg/mL = {_text(given)} mg given")
    total = (bag + volume).normalize()
    if bag:
        steps.append(f"{_text(volume)} mL drug + {_text(bag)} mL bag = {_text(total)} mL")
    else:
        steps.append(f"undiluted: {_text(total)} mL")
    exact_rate = (total / duration * 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    rate = _round(total / duration * 60, pump)
    if rate <= 0:
        raise DoseError("minutes", "the rate is below the pump's resolution.")
    at_rate = (total / rate * 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    steps.append(
        f"{_text(total)} mL ÷ {_text(duration)} min × 60 = {_text(exact_rate)} mL/h, "
        f"set {_text(rate)} mL/h (pump step {_text(pump)} mL/h) = {_text(at_rate)} min"
    )
    final = (given / total).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    return Infusion(
        dose_mg=given,
        prescribed_mg=prescribed,
        concentration_mg_per_ml=concentration,
        drug_volume_ml=volume,
        bag_ml=bag.normalize(),
        total_volume_ml=total,
        minutes=duration.normalize(),
        rate_ml_per_h=rate,
        rate_ml_per_h_exact=exact_rate,
        minutes_at_rate=at_rate,
        final_mg_per_ml=final.normalize(),
        steps=steps,
    )


def weight_based_infusion(
    *,
    weight_kg: object,
    mg_per_kg: object,
    concentration_mg_per_ml: object,
    bag_ml: object = 0,
    minutes: object,
    syringe_resolution_ml: object = DEFAULT_SYRINGE_RESOLUTION_ML,
    pump_resolution_ml_per_h: object = DEFAULT_PUMP_RESOLUTION_ML_PER_H,
) -> Infusion:
    """`infusion` for weight × mg/kg (the `dose` command and the session's dose step)."""
    return infusion(
        dose_mg=prescribed_mg(weight_kg, mg_per_kg),
        concentration_mg_per_ml=concentration_mg_per_ml,
        bag_ml=bag_ml,
        minutes=minutes,
        syringe_resolution_ml=syringe_resolution_ml,
        pump_resolution_ml_per_h=pump_resolution_ml_per_h,
        weight_kg=weight_kg,
        mg_per_kg=mg_per_kg,
    )


def esketamine_devices(dose_mg: object) -> int:
    """The number of 28 mg devices for a dose (a whole number of devices, 1 to 3: the 84 mg
    maximum of the US PI, reference.md §2.2)."""
    dose = _decimal(dose_mg, "dose_mg", (ESKETAMINE_DEVICE_MG, 3 * ESKETAMINE_DEVICE_MG))
    devices = dose / ESKETAMINE_DEVICE_MG
    if devices != devices.to_integral_value(rounding=ROUND_FLOOR):
        raise DoseError("dose_mg", "esketamine is given in whole 28 mg devices (28, 56 or 84 mg).")
    return int(devices)


@dataclass(frozen=True)
class DoseCheck:
    """Why a dose needs a prescriber's sign-off (empty: it does not)."""

    reasons: list[str]

    @property
    def needs_sign_off(self) -> bool:
        return bool(self.reasons)


def check_dose(
    *,
    dose: Decimal,
    unit: str,
    protocol_max: Decimal,
    last_tolerated: Decimal | None,
    titration_step: Decimal,
) -> DoseCheck:
    """A dose above the protocol maximum, or above the patient's last tolerated dose by more
    than the protocol's titration step, needs a prescriber's sign-off (issue #11, Dose).

    All values are in the protocol's dose unit (`unit`, e.g. "mg/kg").
    """
    reasons: list[str] = []
    if dose > protocol_max:
        reasons.append(
            f"{_text(dose)} {unit} is above the protocol maximum of {_text(protocol_max)} {unit}."
        )
    if last_tolerated is not None and dose > last_tolerated + titration_step:
        reasons.append(
            f"{_text(dose)} {unit} is more than the titration step ({_text(titration_step)} "
            f"{unit}) above the last tolerated dose of {_text(last_tolerated)} {unit}."
        )
    return DoseCheck(reasons)
