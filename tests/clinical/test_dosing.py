from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.clinical.dosing import (
    DoseError,
    check_dose,
    esketamine_devices,
    infusion,
    prescribed_mg,
    weight_based_infusion,
)


def test_hand_worked_iv_infusion() -> None:
    # 0.5 mg/kg × 82.4 kg = 41.2 mg; 41.2 / 10 = 4.12 mL; + 100 mL = 104.12 mL;
    # 104.12 / 40 × 60 = 156.18 mL/h, set 156.2 mL/h: 104.12 / 156.2 × 60 = 39.995 → 40.0 min.
    d = weight_based_infusion(
        weight_kg="82.4", mg_per_kg="0.5", concentration_mg_per_ml="10", bag_ml="100", minutes=40
    )
    assert d.prescribed_mg == Decimal("41.2")
    assert d.dose_mg == Decimal("41.2")
    assert d.drug_volume_ml == Decimal("4.12")
    assert d.total_volume_ml == Decimal("104.12")
    assert d.rate_ml_per_h_exact == Decimal("156.18")
    assert d.rate_ml_per_h == Decimal("156.2")
    assert d.minutes_at_rate == Decimal("40.0")
    assert d.final_mg_per_ml == Decimal("0.396")  # 41.2 / 104.12 = 0.3957
    assert d.steps[0] == "82.4 kg × 0.5 mg/kg = 41.2 mg"
    assert not d.undiluted


def test_syringe_resolution_changes_what_is_given() -> None:
    # 41.2 mg at 50 mg/mL = 0.824 mL; a 0.01 mL syringe draws 0.82 mL = 41 mg.
    d = infusion(dose_mg="41.2", concentration_mg_per_ml="50", bag_ml="100", minutes=40)
    assert d.drug_volume_ml == Decimal("0.82")
    assert d.dose_mg == Decimal("41")
    assert d.total_volume_ml == Decimal("100.82")
    assert "0.82 mL × 50 mg/mL = 41 mg given" in d.steps


def test_undiluted_im() -> None:
    # 0.75 mg/kg × 70 kg = 52.5 mg at 50 mg/mL = 1.05 mL, undiluted.
    d = weight_based_infusion(
        weight_kg=70, mg_per_kg="0.75", concentration_mg_per_ml=50, bag_ml=0, minutes=1
    )
    assert (d.dose_mg, d.drug_volume_ml, d.total_volume_ml) == (
        Decimal("52.5"),
        Decimal("1.05"),
        Decimal("1.05"),
    )
    assert d.undiluted
    assert d.rate_ml_per_h == Decimal("63")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"weight_kg": "24.9"}, "weight_kg"),
        ({"weight_kg": "abc"}, "weight_kg"),
        ({"mg_per_kg": "0"}, "mg_per_kg"),
        ({"concentration_mg_per_ml": "0"}, "concentration_mg_per_ml"),
        ({"bag_ml": "-1"}, "bag_ml"),
        ({"minutes": "0"}, "minutes"),
        ({"minutes": "nan"}, "minutes"),
    ],
)
def test_bad_input_names_the_field(kwargs: dict[str, str], field: str) -> None:
    base = {
        "weight_kg": "82.4",
        "mg_per_kg": "0.5",
        "concentration_mg_per_ml": "10",
        "bag_ml": "100",
        "minutes": "40",
    }
    with pytest.raises(DoseError) as error:
        weight_based_infusion(**{**base, **kwargs})
    assert error.value.field == field


@given(
    weight=st.decimals("25", "350", places=1),
    per_kg=st.decimals("0.1", "1", places=2),
    concentration=st.sampled_from([Decimal(10), Decimal(50), Decimal(100)]),
    resolution=st.sampled_from([Decimal("0.01"), Decimal("0.1"), Decimal("0.2")]),
    bag=st.sampled_from([Decimal(0), Decimal(50), Decimal(100), Decimal(250)]),
    minutes=st.integers(1, 240),
)
def test_rounding_never_strays_beyond_the_products_resolution(
    weight: Decimal,
    per_kg: Decimal,
    concentration: Decimal,
    resolution: Decimal,
    bag: Decimal,
    minutes: int,
) -> None:
    exact = weight * per_kg
    try:
        d = weight_based_infusion(
            weight_kg=weight,
            mg_per_kg=per_kg,
            concentration_mg_per_ml=concentration,
            bag_ml=bag,
            minutes=minutes,
            syringe_resolution_ml=resolution,
        )
    except DoseError as error:
        if error.field == "dose_mg":  # less than one graduation of a strong product
            assert exact / concentration < resolution
        else:  # a tiny volume over a long time: below the pump's 0.1 mL/h
            assert error.field == "minutes"
            assert (bag + exact / concentration + resolution) / minutes * 60 < Decimal("0.1")
        return
    one_graduation_mg = resolution * concentration
    # Given = drawn volume × concentration, a whole number of graduations; within half a
    # graduation of the prescribed 0.1 mg dose, which is within 0.05 mg of weight × mg/kg.
    assert d.drug_volume_ml % resolution == 0
    assert d.dose_mg == d.drug_volume_ml * concentration
    assert d.dose_mg - d.prescribed_mg <= one_graduation_mg / 2
    assert abs(d.dose_mg - d.prescribed_mg) <= one_graduation_mg / 2
    assert abs(d.prescribed_mg - exact) <= Decimal("0.05")
    assert d.total_volume_ml == bag + d.drug_volume_ml
    assert abs(d.rate_ml_per_h - d.total_volume_ml / minutes * 60) <= Decimal("0.05")


def test_prescribed_mg_rounds_to_a_tenth() -> None:
    assert prescribed_mg("73.3", "0.5") == Decimal("36.7")  # 36.65, halves up
    assert prescribed_mg("73.3", "0.75") == Decimal("55")  # 54.975 → 55.0


@pytest.mark.parametrize(("mg", "devices"), [(28, 1), (56, 2), (84, 3)])
def test_esketamine_devices(mg: int, devices: int) -> None:
    assert esketamine_devices(mg) == devices


@pytest.mark.parametrize("mg", [0, 27, 42, 112])
def test_esketamine_refuses_part_devices(mg: int) -> None:
    with pytest.raises(DoseError):
        esketamine_devices(mg)


def test_dose_check_at_its_edges() -> None:
    kw = {"unit": "mg/kg", "protocol_max": Decimal("0.75"), "titration_step": Decimal("0.1")}
    assert not check_dose(dose=Decimal("0.75"), last_tolerated=None, **kw).needs_sign_off
    assert check_dose(dose=Decimal("0.76"), last_tolerated=None, **kw).needs_sign_off
    # last tolerated 0.5 + step 0.1: 0.6 is fine, 0.61 needs sign-off
    assert not check_dose(dose=Decimal("0.6"), last_tolerated=Decimal("0.5"), **kw).needs_sign_off
    check = check_dose(dose=Decimal("0.61"), last_tolerated=Decimal("0.5"), **kw)
    assert check.reasons == [
        "0.61 mg/kg is more than the titration step (0.1 mg/kg) above the last tolerated dose "
        "of 0.5 mg/kg."
    ]
