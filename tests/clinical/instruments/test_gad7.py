"""GAD-7: band edges, the unscored difficulty item, LOINC order, bad answer sets."""

from __future__ import annotations

import pytest

from ketamine_clinic.clinical.instruments import AnswerError, get_instrument

GAD7 = get_instrument("gad7")


@pytest.mark.parametrize(
    ("answers", "total", "severity"),
    [
        ([0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
        ([1, 1, 1, 1, 0, 0, 0], 4, "minimal"),  # 1×4
        ([1, 1, 1, 1, 1, 0, 0], 5, "mild"),  # 1×5
        ([2, 2, 2, 1, 1, 1, 0], 9, "mild"),  # 2×3 + 1×3
        ([2, 2, 2, 2, 1, 1, 0], 10, "moderate"),  # 2×4 + 1×2
        ([2, 2, 2, 2, 2, 2, 2], 14, "moderate"),  # 2×7
        ([3, 2, 2, 2, 2, 2, 2], 15, "severe"),  # 3 + 2×6
        ([3, 3, 3, 3, 3, 3, 3], 21, "severe"),  # 3×7
    ],
)
def test_band_edges(answers: list[int], total: int, severity: str) -> None:
    score = GAD7.score(answers)
    assert (score.total, score.severity) == (total, severity)
    assert not score.critical  # the GAD-7 has no critical item


def test_difficulty_item_is_optional_and_unscored() -> None:
    assert GAD7.score([3] * 7).extra["difficulty"] is None
    score = GAD7.score([3] * 7 + [2])
    assert (score.total, score.extra["difficulty"]) == (21, 2)
    assert [i.scored for i in GAD7.items] == [True] * 7 + [False]


def test_loinc_codes_in_form_order() -> None:
    assert [i.loinc for i in GAD7.items[:7]] == [
        "69725-0",
        "68509-9",
        "69733-4",
        "69734-2",
        "69735-9",
        "69689-8",
        "69736-7",
    ]
    assert (GAD7.loinc_panel, GAD7.loinc_total) == ("69737-5", "70274-6")


def test_options_are_the_published_anchors() -> None:
    labels = [o.label for o in GAD7.items[0].options]
    assert labels == ["Not at all", "Several days", "More than half the days", "Nearly every day"]


@pytest.mark.parametrize(
    ("answers", "item"),
    [
        ([0, 0, 0, 0, 0, 0], 0),  # 6 answers: item 7 is required
        ([0] * 9, 0),
        ([0, 0, 0, 0, 0, 0, 4], 7),
        ([0, 0, 0, 0, 0, 0, 0, 4], 8),
        ([None, 0, 0, 0, 0, 0, 0], 1),
    ],
)
def test_bad_answer_sets(answers: list[int | None], item: int) -> None:
    with pytest.raises(AnswerError) as caught:
        GAD7.score(answers)
    assert caught.value.item == item
