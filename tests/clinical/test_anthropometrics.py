from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.clinical.anthropometrics import (
    MeasurementError,
    age_in_years,
    body_mass_index,
    check_date_of_birth,
    check_height_cm,
    check_weight_kg,
)


@pytest.mark.parametrize(
    ("weight", "height", "bmi", "category"),
    [
        ("82.4", "170", "28.5", "overweight"),  # 82.4 / 1.70² = 28.512
        ("80", "180", "24.7", "normal weight"),  # 80 / 3.24 = 24.691
        ("50", "175", "16.3", "underweight"),  # 50 / 3.0625 = 16.327
        ("120", "165", "44.1", "obesity"),  # 120 / 2.7225 = 44.077
        ("56.7", "175", "18.5", "normal weight"),  # 18.514: at the cut-off 18.5 → normal
        ("91.8", "175", "30.0", "obesity"),  # 29.976 is shown as 30.0, and classed by it
        ("91.7", "175", "29.9", "overweight"),  # 29.943
    ],
)
def test_bmi_hand_worked(weight: str, height: str, bmi: str, category: str) -> None:
    result = body_mass_index(Decimal(weight), Decimal(height))
    assert result.value == Decimal(bmi)
    assert result.category == category


@given(
    weight=st.decimals(min_value=25, max_value=350, places=1),
    height=st.decimals(min_value=100, max_value=250, places=1),
)
def test_bmi_is_weight_over_height_squared_to_a_tenth(weight: Decimal, height: Decimal) -> None:
    result = body_mass_index(weight, height)
    exact = float(weight) / (float(height) / 100) ** 2
    assert abs(float(result.value) - exact) <= 0.05 + 1e-9


@given(
    weight=st.decimals(min_value=25, max_value=349, places=1),
    height=st.decimals(min_value=100, max_value=250, places=1),
)
def test_bmi_rises_with_weight(weight: Decimal, height: Decimal) -> None:
    heavier = body_mass_index(weight + 1, height).value
    assert heavier >= body_mass_index(weight, height).value


@pytest.mark.parametrize("kg", ["25", "25.0", "350", "82.4"])
def test_weights_inside_the_range_are_accepted(kg: str) -> None:
    assert check_weight_kg(Decimal(kg)) == Decimal(kg)


@pytest.mark.parametrize("kg", ["24.9", "350.1", "0", "-70"])
def test_weights_outside_25_to_350_kg_are_refused(kg: str) -> None:
    with pytest.raises(MeasurementError) as caught:
        check_weight_kg(Decimal(kg))
    assert caught.value.field == "weight_kg"
    assert "between 25 and 350 kg" in caught.value.message


@pytest.mark.parametrize(
    ("cm", "ok"), [("100", True), ("250", True), ("99.9", False), ("250.1", False)]
)
def test_height_edges(cm: str, ok: bool) -> None:
    if ok:
        assert check_height_cm(Decimal(cm)) == Decimal(cm)
    else:
        with pytest.raises(MeasurementError, match="between 100 and 250 cm"):
            check_height_cm(Decimal(cm))


def test_age_counts_completed_years() -> None:
    assert age_in_years(date(1984, 3, 7), date(2026, 3, 6)) == 41
    assert age_in_years(date(1984, 3, 7), date(2026, 3, 7)) == 42
    # Born on 29 February: one year older on 1 March of a common year.
    assert age_in_years(date(2000, 2, 29), date(2025, 2, 28)) == 24
    assert age_in_years(date(2000, 2, 29), date(2025, 3, 1)) == 25


def test_date_of_birth_edges() -> None:
    today = date(2026, 11, 26)
    assert check_date_of_birth(today, today) == today
    with pytest.raises(MeasurementError, match="future"):
        check_date_of_birth(today + timedelta(days=1), today)
    assert check_date_of_birth(date(1906, 11, 26), today) == date(1906, 11, 26)  # exactly 120
    with pytest.raises(MeasurementError, match="120 years"):
        check_date_of_birth(date(1905, 11, 25), today)  # 121 years old
