"""CADSS-6: the six CADSS items, total 0–24, no bands, never critical."""

from __future__ import annotations

import pytest

from ketamine_clinic.clinical.instruments import AnswerError, get_instrument
from ketamine_clinic.clinical.instruments.cadss6 import CADSS_ITEMS

CADSS6 = get_instrument("cadss6")


@pytest.mark.parametrize(
    ("answers", "total"),
    [([0] * 6, 0), ([1, 2, 3, 4, 0, 1], 11), ([4] * 6, 24)],
)
def test_total_is_the_sum(answers: list[int], total: int) -> None:
    score = CADSS6.score(answers)
    assert score.total == total
    assert (score.severity, score.critical) == (None, False)


def test_items_are_cadss_1_2_6_7_15_22() -> None:
    assert CADSS_ITEMS == (1, 2, 6, 7, 15, 22)
    assert [i.label for i in CADSS6.items] == [f"CADSS item {n}" for n in CADSS_ITEMS]
    assert all(i.text is None for i in CADSS6.items)
    assert CADSS6.text_shipped is False
    assert CADSS6.rater == "clinician"
    assert CADSS6.total_range == (0, 24)


@pytest.mark.parametrize(("answers", "item"), [([0] * 5, 0), ([0] * 7, 0), ([0, 0, 5, 0, 0, 0], 3)])
def test_bad_answer_sets(answers: list[int], item: int) -> None:
    with pytest.raises(AnswerError) as caught:
        CADSS6.score(answers)
    assert caught.value.item == item
