"""PCL-5: cluster sums, the DSM-5 provisional-diagnosis rule at its edges, the cut-point."""

from __future__ import annotations

import pytest

from ketamine_clinic.clinical.instruments import AnswerError, get_instrument
from ketamine_clinic.clinical.instruments.pcl5 import DEFAULT_CUT_POINT, with_cut_point

PCL5 = get_instrument("pcl5")


def answers_with(**ratings: int) -> list[int]:
    """Twenty answers, 0 except the items named q1…q20."""
    out = [0] * 20
    for name, value in ratings.items():
        out[int(name[1:]) - 1] = value
    return out


# The smallest set meeting the rule: 1 B (item 1), 1 C (item 6), 2 D (8, 9), 2 E (15, 16),
# each rated 2 ("Moderately"). Total 6 × 2 = 12.
MINIMAL = {"q1": 2, "q6": 2, "q8": 2, "q9": 2, "q15": 2, "q16": 2}


def test_all_zero() -> None:
    score = PCL5.score([0] * 20)
    assert score.total == 0
    assert score.extra["clusters"] == {"B": 0, "C": 0, "D": 0, "E": 0}
    assert score.extra["provisional_ptsd"] is False
    assert score.extra["above_cut_point"] is False
    assert (score.severity, score.critical) == (None, False)


def test_cluster_sums_use_items_1_5_6_7_8_14_15_20() -> None:
    # B items 1–5 = 1,2,3,4,0 → 10; C 6–7 = 4,1 → 5; D 8–14 = 1×7 → 7; E 15–20 = 2×6 → 12.
    answers = [1, 2, 3, 4, 0, 4, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]
    score = PCL5.score(answers)
    assert score.extra["clusters"] == {"B": 10, "C": 5, "D": 7, "E": 12}
    assert score.total == 34 == 10 + 5 + 7 + 12


def test_minimal_provisional_diagnosis() -> None:
    score = PCL5.score(answers_with(**MINIMAL))
    assert score.total == 12
    assert score.extra["clusters"] == {"B": 2, "C": 2, "D": 4, "E": 4}
    assert score.extra["provisional_ptsd"] is True
    assert score.extra["above_cut_point"] is False  # provisional by the rule, below 33


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"q1": 1}, "no B item at 2 or more"),
        ({"q6": 1}, "no C item at 2 or more"),
        ({"q9": 1}, "only one D item"),
        ({"q16": 1}, "only one E item"),
    ],
)
def test_one_step_below_the_rule_fails(change: dict[str, int], why: str) -> None:
    assert PCL5.score(answers_with(**{**MINIMAL, **change})).extra["provisional_ptsd"] is False


@pytest.mark.parametrize(
    "change",
    [
        {"q1": 0, "q5": 2},  # B by item 5 instead of 1
        {"q6": 0, "q7": 3},  # C by item 7 instead of 6
        {"q8": 0, "q14": 4},  # D by items 9 and 14
        {"q15": 0, "q20": 2},  # E by items 16 and 20
    ],
)
def test_the_rule_counts_any_item_of_each_cluster(change: dict[str, int]) -> None:
    assert PCL5.score(answers_with(**{**MINIMAL, **change})).extra["provisional_ptsd"] is True


def test_a_rating_of_1_is_not_endorsed() -> None:
    score = PCL5.score([1] * 20)
    assert score.total == 20
    assert score.extra["provisional_ptsd"] is False


def test_high_total_without_the_symptom_pattern() -> None:
    # B 4×5 = 20, C 4×2 = 8, D 1×7 = 7 (none endorsed), E 0 → 35.
    score = PCL5.score([4] * 5 + [4] * 2 + [1] * 7 + [0] * 6)
    assert score.total == 35
    assert score.extra["above_cut_point"] is True
    assert score.extra["provisional_ptsd"] is False


def test_default_cut_point_is_33_at_its_edge() -> None:
    assert DEFAULT_CUT_POINT == 33
    below = PCL5.score([2] * 12 + [1] * 8)  # 24 + 8 = 32
    at = PCL5.score([2] * 13 + [1] * 7)  # 26 + 7 = 33
    assert (below.total, below.extra["above_cut_point"]) == (32, False)
    assert (at.total, at.extra["above_cut_point"]) == (33, True)
    assert at.extra["cut_point"] == 33


def test_a_clinic_may_choose_31() -> None:
    pcl5_31 = with_cut_point(31)
    at = pcl5_31.score([2] * 11 + [1] * 9)  # 22 + 9 = 31
    below = pcl5_31.score([2] * 10 + [1] * 10)  # 20 + 10 = 30
    assert (at.total, at.extra["above_cut_point"], at.extra["cut_point"]) == (31, True, 31)
    assert (below.total, below.extra["above_cut_point"]) == (30, False)
    assert PCL5.score([2] * 11 + [1] * 9).extra["above_cut_point"] is False  # default unchanged


@pytest.mark.parametrize("cut_point", [-1, 81])
def test_cut_point_outside_the_total_range_is_refused(cut_point: int) -> None:
    with pytest.raises(ValueError, match="cut-point"):
        with_cut_point(cut_point)


def test_item_texts_are_shipped_and_options_are_the_published_anchors() -> None:
    assert all(i.text for i in PCL5.items)
    assert PCL5.items[0].text == (
        "Repeated, disturbing, and unwanted memories of the stressful experience?"
    )
    assert PCL5.items[17].text == "Feeling jumpy or easily startled?"
    labels = [o.label for o in PCL5.items[0].options]
    assert labels == ["Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"]


@pytest.mark.parametrize(
    ("answers", "item"),
    [([0] * 19, 0), ([0] * 21, 0), ([0] * 19 + [5], 20), ([0] * 6 + [None] + [0] * 13, 7)],
)
def test_bad_answer_sets(answers: list[int | None], item: int) -> None:
    with pytest.raises(AnswerError) as caught:
        PCL5.score(answers)
    assert caught.value.item == item
