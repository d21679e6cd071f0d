from __future__ import annotations

import pytest

from ketamine_clinic.clinical.icd10 import (
    CATALOGUE,
    InvalidCode,
    catalogue_title,
    is_depressive_disorder,
    normalise_code,
)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("F33.2", "F33.2"),
        (" f33.2 ", "F33.2"),
        ("f332", "F33.2"),
        ("F4312", "F43.12"),
        ("F32.A", "F32.A"),
        ("G89.4", "G89.4"),
        ("R45.851", "R45.851"),
        ("F41", "F41"),
    ],
)
def test_well_formed_codes_are_normalised(raw: str, code: str) -> None:
    assert normalise_code(raw) == code


@pytest.mark.parametrize("raw", ["", "ABC", "33.2", "F3", "F33.", "F33.21345", "F33-2", "1F33"])
def test_malformed_codes_are_refused(raw: str) -> None:
    with pytest.raises(InvalidCode, match="not an ICD-10-CM code"):
        normalise_code(raw)


def test_catalogue_codes_are_well_formed_and_unique() -> None:
    codes = [entry.code for entry in CATALOGUE]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert normalise_code(code) == code


def test_catalogue_titles() -> None:
    assert catalogue_title("F33.2") == (
        "Major depressive disorder, recurrent severe without psychotic features"
    )
    assert catalogue_title("F43.12") == "Post-traumatic stress disorder, chronic"
    assert catalogue_title("Z00.00") is None


def test_only_mood_disorders_can_be_treatment_resistant() -> None:
    assert is_depressive_disorder("F33.2")
    assert is_depressive_disorder("F31.4")
    assert not is_depressive_disorder("F41.1")
    assert not is_depressive_disorder("G89.4")
