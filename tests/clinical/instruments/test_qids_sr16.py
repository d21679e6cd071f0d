"""QIDS-SR16: domain maxima, band edges, the suicide item, bad answer sets."""

from __future__ import annotations

import pytest

from ketamine_clinic.clinical.instruments import AnswerError, get_instrument

QIDS = get_instrument("qids-sr16")


def test_domains_take_the_maximum_not_the_sum() -> None:
    answers = [0, 3, 1, 2, 1, 2, 0, 1, 0, 1, 1, 0, 1, 1, 1, 3]
    score = QIDS.score(answers)
    assert score.extra["domains"] == {
        "sleep": 3,  # max(0, 3, 1, 2)
        "sad_mood": 1,
        "appetite_weight": 2,  # max(2, 0, 1, 0)
        "concentration": 1,
        "self_view": 1,
        "suicide": 0,
        "interest": 1,
        "energy": 1,
        "psychomotor": 3,  # max(1, 3)
    }
    assert score.total == 13  # 3+1+2+1+1+0+1+1+3
    assert score.severity == "moderate"


def test_all_threes_is_27_not_48() -> None:
    score = QIDS.score([3] * 16)
    assert (score.total, score.severity) == (27, "very severe")
    assert set(score.extra["domains"].values()) == {3}


@pytest.mark.parametrize(
    ("answers", "total", "severity"),
    [
        ([0] * 16, 0, "none"),
        # sleep 2 (item 1) + item 5 = 3 → 5
        ([2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 5, "none"),
        # sleep 3 (item 4) + 5: 3 → 6
        ([0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 6, "mild"),
        # sleep 3 + 5: 3 + appetite 3 (item 9) + 10: 1 → 10
        ([3, 0, 0, 0, 3, 0, 0, 0, 3, 1, 0, 0, 0, 0, 0, 0], 10, "mild"),
        # … + 10: 2 → 11
        ([3, 0, 0, 0, 3, 0, 0, 0, 3, 2, 0, 0, 0, 0, 0, 0], 11, "moderate"),
        # sleep 3 + 5: 3 + appetite 3 + 10: 3 + 11: 3 → 15
        ([3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0], 15, "moderate"),
        # … + 13: 1 → 16
        ([3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 1, 0, 0, 0], 16, "severe"),
        # … + 13: 3 + 14: 2 → 20
        ([3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 3, 2, 0, 0], 20, "severe"),
        # … + 14: 3 → 21
        ([3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 3, 3, 0, 0], 21, "very severe"),
    ],
)
def test_band_edges(answers: list[int], total: int, severity: str) -> None:
    score = QIDS.score(answers)
    assert (score.total, score.severity) == (total, severity)
    assert not score.critical  # item 12 is 0 throughout


@pytest.mark.parametrize(("item12", "critical"), [(0, False), (1, False), (2, True), (3, True)])
def test_item_12_at_2_or_more_is_critical(item12: int, critical: bool) -> None:
    answers = [0] * 16
    answers[11] = item12
    score = QIDS.score(answers)
    assert score.critical is critical
    assert score.critical_items == ((12,) if critical else ())
    assert score.extra["domains"]["suicide"] == item12


@pytest.mark.parametrize(("item12", "items"), [(None, ()), (1, ()), (2, (12,)), (3, (12,))])
def test_item_12_is_critical_in_an_incomplete_response(
    item12: int | None, items: tuple[int, ...]
) -> None:
    answers: list[int | None] = [None] * 16
    answers[11] = item12
    assert QIDS.critical_items(tuple(answers)) == items


def test_texts_are_not_shipped() -> None:
    assert QIDS.text_shipped is False
    assert all(i.text is None for i in QIDS.items)
    assert all(i.label for i in QIDS.items)
    assert [o.label for o in QIDS.items[0].options] == ["0", "1", "2", "3"]


@pytest.mark.parametrize(
    ("answers", "item"),
    [([0] * 15, 0), ([0] * 17, 0), ([0] * 15 + [4], 16), ([0] * 11 + [None] + [0] * 4, 12)],
)
def test_bad_answer_sets(answers: list[int | None], item: int) -> None:
    with pytest.raises(AnswerError) as caught:
        QIDS.score(answers)
    assert caught.value.item == item
