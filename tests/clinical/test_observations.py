"""The code table of vital signs and body measurements, checked against the reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ketamine_clinic.clinical.eligibility import parse_intake
from ketamine_clinic.clinical.observations import BY_LOINC, VITAL_SIGNS

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "clinical" / "reference.md"


def _reference_codes() -> dict[str, str]:
    """The LOINC table of docs/clinical/reference.md §3.3: {measure: code}."""
    text = REFERENCE.read_text(encoding="utf-8")
    section = text.split("### 3.3", 1)[1].split("\n### ", 1)[0]
    return dict(re.findall(r"^\| ([^|]+?) \| (\d+-\d) \|", section, re.MULTILINE))


@pytest.mark.parametrize(
    ("key", "measure", "ucum"),
    [
        ("sbp", "Systolic BP", "mm[Hg]"),
        ("dbp", "Diastolic BP", "mm[Hg]"),
        ("hr", "Heart rate", "/min"),
        ("rr", "Respiratory rate", "/min"),
        ("spo2", "SpO2 by pulse oximetry", "%"),
        ("temperature", "Body temperature", "Cel"),
        ("weight", "Body weight", "kg"),
        ("height", "Body height", "cm"),
        ("bmi", "BMI", "kg/m2"),
    ],
)
def test_each_code_is_the_one_the_reference_gives(key: str, measure: str, ucum: str) -> None:
    sign = VITAL_SIGNS[key]
    assert sign.loinc == _reference_codes()[measure]
    assert sign.ucum == ucum
    assert BY_LOINC[sign.loinc] is sign


def test_the_names_are_the_obvious_ones() -> None:
    assert VITAL_SIGNS["sbp"].loinc == "8480-6"
    assert VITAL_SIGNS["dbp"].loinc == "8462-4"
    assert VITAL_SIGNS["hr"].loinc == "8867-4"
    assert VITAL_SIGNS["spo2"].loinc == "59408-5"
    assert VITAL_SIGNS["weight"].loinc == "29463-7"
    assert len(BY_LOINC) == len(VITAL_SIGNS) == 9


@pytest.mark.parametrize(
    ("key", "low", "high"),
    [
        ("sbp", 50, 300),
        ("dbp", 20, 200),
        ("hr", 20, 250),
        ("weight", 25, 350),
        ("height", 100, 250),
        ("rr", 2, 60),  # issue #11
        ("spo2", 50, 100),
        ("temperature", 30, 44),
    ],
)
def test_entry_ranges_accept_their_edges_and_refuse_just_outside(
    key: str, low: int, high: int
) -> None:
    sign = VITAL_SIGNS[key]
    assert sign.entry_range == (low, high)
    assert sign.accepts(low) and sign.accepts(high)
    assert not sign.accepts(low - 0.5) and not sign.accepts(high + 0.5)


def test_signs_without_a_sourced_range_accept_any_value() -> None:
    assert VITAL_SIGNS["bmi"].entry_range is None
    assert VITAL_SIGNS["bmi"].accepts(-1)


def test_the_intake_refuses_at_the_same_edges() -> None:
    ok = parse_intake({"route": "iv", "age_years": 40, "systolic_bp": 300, "diastolic_bp": 20})
    assert (ok.systolic_bp, ok.diastolic_bp) == (300, 20)
    with pytest.raises(ValueError, match="systolic_bp"):
        parse_intake({"route": "iv", "age_years": 40, "systolic_bp": 301, "diastolic_bp": 90})


def test_an_intake_gives_its_measurements_with_their_codes() -> None:
    intake = parse_intake(
        {
            "route": "iv",
            "age_years": 40,
            "systolic_bp": 150,
            "diastolic_bp": 95,
            "heart_rate": 88,
            "weight_kg": 82.4,
        }
    )
    assert [(s.loinc, s.ucum, v) for s, v in intake.vital_signs()] == [
        ("8480-6", "mm[Hg]", 150),
        ("8462-4", "mm[Hg]", 95),
        ("8867-4", "/min", 88),
        ("29463-7", "kg", 82.4),
    ]
    assert parse_intake({"route": "iv", "age_years": 40}).vital_signs() == []
