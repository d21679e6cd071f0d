"""MADRS: band edges, the suicide item, no shipped text, bad answer sets."""

from __future__ import annotations

import pytest

from ketamine_clinic.clinical.instruments import AnswerError, get_instrument

MADRS = get_instrument("madrs")


@pytest.mark.parametrize(
    ("answers", "total", "severity"),
    [
        ([0] * 10, 0, "normal"),
        ([1, 1, 1, 1, 1, 1, 0, 0, 0, 0], 6, "normal"),  # 1×6
        ([1, 1, 1, 1, 1, 1, 1, 0, 0, 0], 7, "mild"),  # 1×7
        ([2, 2, 2, 2, 2, 2, 2, 2, 2, 1], 19, "mild"),  # 2×9 + 1
        ([2, 2, 2, 2, 2, 2, 2, 2, 2, 2], 20, "moderate"),  # 2×10
        ([4, 4, 4, 4, 4, 4, 4, 3, 3, 0], 34, "moderate"),  # 4×7 + 3×2
        ([4, 4, 4, 4, 4, 4, 4, 4, 3, 0], 35, "severe"),  # 4×8 + 3
        ([6, 6, 6, 6, 6, 6, 6, 6, 6, 0], 54, "severe"),  # 6×9
    ],
)
def test_band_edges(answers: list[int], total: int, severity: str) -> None:
    score = MADRS.score(answers)
    assert (score.total, score.severity) == (total, severity)
    assert not score.critical  # item 10 is below 4 throughout


def test_maximum() -> None:
    score = MADRS.score([6] * 10)
    assert (score.total, score.severity, score.critical) == (60, "severe", True)


@pytest.mark.parametrize(("item10", "critical"), [(0, False), (3, False), (4, True), (6, True)])
def test_item_10_at_4_or_more_is_critical(item10: int, critical: bool) -> None:
    score = MADRS.score([0] * 9 + [item10])
    assert score.critical is critical
    assert score.critical_items == ((10,) if critical else ())


@pytest.mark.parametrize(("item10", "items"), [(None, ()), (3, ()), (4, (10,))])
def test_item_10_is_critical_in_an_incomplete_response(
    item10: int | None, items: tuple[int, ...]
) -> None:
    assert MADRS.critical_items((None,) * 9 + (item10,)) == items


def test_copyrighted_text_is_not_shipped() -> None:
    assert MADRS.text_shipped is False
    assert MADRS.rater == "clinician"
    assert all(i.text is None for i in MADRS.items)
    assert MADRS.items[0].label == "Apparent sadness"
    assert MADRS.items[9].label == "Suicidal thoughts"
    assert [o.label for o in MADRS.items[0].options] == [str(v) for v in range(7)]


@pytest.mark.parametrize(
    ("answers", "item"),
    [([0] * 9, 0), ([0] * 11, 0), ([0, 7] + [0] * 8, 2), ([0] * 9 + [None], 10)],
)
def test_bad_answer_sets(answers: list[int | None], item: int) -> None:
    with pytest.raises(AnswerError) as caught:
        MADRS.score(answers)
    assert caught.value.item == item
