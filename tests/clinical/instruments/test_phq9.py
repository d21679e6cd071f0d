"""PHQ-9: band edges, the critical item, the optional difficulty item, bad answer sets."""

from __future__ import annotations

import pytest

from ketamine_clinic.clinical.instruments import AnswerError, get_instrument

PHQ9 = get_instrument("phq9")


@pytest.mark.parametrize(
    ("answers", "total", "severity"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),  # 1+1+1+1
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),  # 1×5
        ([2, 2, 2, 2, 1, 0, 0, 0, 0], 9, "mild"),  # 2×4 + 1
        ([2, 2, 2, 2, 2, 0, 0, 0, 0], 10, "moderate"),  # 2×5
        ([2, 2, 2, 2, 2, 2, 2, 0, 0], 14, "moderate"),  # 2×7
        ([3, 2, 2, 2, 2, 2, 2, 0, 0], 15, "moderately severe"),  # 3 + 2×6
        ([3, 3, 3, 3, 3, 2, 2, 0, 0], 19, "moderately severe"),  # 3×5 + 2×2
        ([3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe"),  # 3×6 + 2
        ([3, 3, 3, 3, 3, 3, 3, 3, 0], 24, "severe"),  # 3×8
    ],
)
def test_band_edges(answers: list[int], total: int, severity: str) -> None:
    score = PHQ9.score(answers)
    assert score.total == total
    assert score.severity == severity
    assert not score.critical  # item 9 is 0 throughout


def test_maximum_is_severe_and_critical() -> None:
    score = PHQ9.score([3] * 9)
    assert (score.total, score.severity, score.critical) == (27, "severe", True)


@pytest.mark.parametrize(("item9", "critical"), [(0, False), (1, True), (3, True)])
def test_item_9_above_zero_is_critical(item9: int, critical: bool) -> None:
    score = PHQ9.score([0, 0, 0, 0, 0, 0, 0, 0, item9])
    assert score.critical is critical
    assert score.critical_items == ((9,) if critical else ())
    assert score.total == item9


@pytest.mark.parametrize(
    ("partial", "items"),
    [({9: 1}, (9,)), ({1: 3, 9: 3}, (9,)), ({1: 3, 2: 3}, ()), ({9: 0}, ()), ({}, ())],
)
def test_item_9_is_critical_in_an_incomplete_response(
    partial: dict[int, int], items: tuple[int, ...]
) -> None:
    answers = tuple(partial.get(i.number) for i in PHQ9.items)
    assert PHQ9.critical_items(answers) == items


def test_loinc_codes_in_form_order() -> None:
    # docs/clinical/reference.md §3.1: items 1–8, item 9, the difficulty item; panel and total.
    assert [i.loinc for i in PHQ9.items] == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
        "69722-7",
    ]
    assert (PHQ9.loinc_panel, PHQ9.loinc_total) == ("44249-1", "44261-6")


def test_nine_answers_are_padded_without_the_difficulty_item() -> None:
    assert PHQ9.check([1] * 9) == (1, 1, 1, 1, 1, 1, 1, 1, 1, None)
    assert PHQ9.score([1] * 9).extra["difficulty"] is None


def test_difficulty_item_is_kept_but_not_scored() -> None:
    score = PHQ9.score([1] * 9 + [3])
    assert score.total == 9
    assert score.extra["difficulty"] == 3
    assert PHQ9.score([1] * 9 + [None]).total == 9


@pytest.mark.parametrize("count", [0, 1, 8, 11])
def test_wrong_counts_name_the_whole_set(count: int) -> None:
    with pytest.raises(AnswerError) as caught:
        PHQ9.score([0] * count)
    assert caught.value.item == 0


@pytest.mark.parametrize(
    ("answers", "item"),
    [
        ([0, 0, 0, 0, 4, 0, 0, 0, 0], 5),
        ([-1, 0, 0, 0, 0, 0, 0, 0, 0], 1),
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 4], 10),
        ([0, 0, None, 0, 0, 0, 0, 0, 0], 3),
    ],
)
def test_bad_values_name_the_item(answers: list[int | None], item: int) -> None:
    with pytest.raises(AnswerError) as caught:
        PHQ9.score(answers)
    assert caught.value.item == item
