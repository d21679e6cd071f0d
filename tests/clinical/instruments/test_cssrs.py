"""C-SSRS screener: every risk level, the skip logic, bad answer sets."""

from __future__ import annotations

import pytest

from ketamine_clinic.clinical.instruments import AnswerError, get_instrument
from ketamine_clinic.clinical.instruments.cssrs import RISK_LEVELS, critical_items, skipped

CSSRS = get_instrument("cssrs-screener")
X = None  # a skipped item, left unanswered

#        Q1 Q2 Q3 Q4 Q5 Q6 Q7(within 3 months)
CASES = [
    ([0, 0, X, X, X, 0, X], "none", ()),
    ([1, 0, X, X, X, 0, X], "low", ()),
    ([0, 1, 0, 0, 0, 0, X], "low", ()),
    ([1, 1, 0, 0, 0, 0, X], "low", ()),
    ([1, 1, 1, 0, 0, 0, X], "moderate", (3,)),
    ([0, 0, X, X, X, 1, 0], "moderate", (6,)),  # behaviour more than 3 months ago
    ([1, 1, 1, 0, 0, 1, 0], "moderate", (3, 6)),
    ([1, 1, 0, 1, 0, 0, X], "high", (4,)),
    ([1, 1, 0, 0, 1, 0, X], "high", (5,)),
    ([1, 1, 1, 1, 1, 0, X], "high", (4, 5)),
    ([0, 0, X, X, X, 1, 1], "high", (6, 7)),  # behaviour within the past 3 months
    ([1, 1, 1, 1, 0, 1, 1], "high", (4, 6, 7)),
]


@pytest.mark.parametrize(("answers", "risk", "items"), CASES)
def test_risk_levels(answers: list[int | None], risk: str, items: tuple[int, ...]) -> None:
    score = CSSRS.score(answers)
    assert score.total is None
    assert score.extra["risk"] == risk
    assert score.severity == risk
    assert score.critical is (risk in ("moderate", "high"))
    assert score.critical_items == items


def test_every_risk_level_is_reachable() -> None:
    assert {risk for _answers, risk, _items in CASES} == set(RISK_LEVELS)


def test_skip_and_critical_rules_are_the_screeners() -> None:
    assert CSSRS.skip_rule is skipped
    assert CSSRS.critical_rule is critical_items


@pytest.mark.parametrize(
    ("partial", "items"),
    [
        ((1, 1, X, X, X, X, X), ()),  # low so far
        ((1, 1, 1, X, X, X, X), (3,)),  # moderate already
        ((1, 1, X, 1, X, X, X), (4,)),  # high already, 3 and 5 not yet asked
        ((X, X, X, X, X, 1, X), (6,)),  # behaviour, "when" not yet asked: at least moderate
        ((X, X, X, X, X, 1, 1), (6, 7)),
    ],
)
def test_an_incomplete_screener_is_critical_as_soon_as_a_yes_reaches_moderate(
    partial: tuple[int | None, ...], items: tuple[int, ...]
) -> None:
    assert CSSRS.critical_items(partial) == items


def test_a_partial_set_may_not_answer_a_skipped_question() -> None:
    CSSRS.check_partial({1: 1, 2: 1, 4: 1})  # fine: 3, 5 and 6 still to be asked
    with pytest.raises(AnswerError) as caught:
        CSSRS.check_partial({1: 1, 2: 0, 4: 1})  # No to 2 skips 3-5
    assert (caught.value.item, caught.value.message) == (
        4,
        "Item 4 is skipped by the answers before it.",
    )


@pytest.mark.parametrize(
    ("answers", "left_out"),
    [
        ((0, 0, X, X, X, 0, X), {3, 4, 5, 7}),
        ((1, 1, 0, 0, 0, 0, X), {7}),
        ((1, 1, 0, 0, 0, 1, 1), set()),
        ((0, X, X, X, X, X, X), set()),  # Q2 not yet answered: nothing skipped yet
        ((0, 0), {3, 4, 5}),  # a partial set
    ],
)
def test_skipped_items(answers: tuple[int | None, ...], left_out: set[int]) -> None:
    assert CSSRS.skipped(answers) == frozenset(left_out)


@pytest.mark.parametrize(
    ("partial", "missing"),
    [
        ({}, [1, 2, 3, 4, 5, 6, 7]),  # nothing known yet: nothing skipped
        ({1: 0}, [2, 3, 4, 5, 6, 7]),
        ({1: 0, 2: 0}, [6, 7]),
        ({1: 0, 2: 1}, [3, 4, 5, 6, 7]),
        ({1: 0, 2: 0, 6: 1}, [7]),
        ({1: 0, 2: 0, 6: 0}, []),
    ],
)
def test_missing_follows_the_skip_logic(partial: dict[int, int], missing: list[int]) -> None:
    assert CSSRS.missing(partial) == missing


@pytest.mark.parametrize(
    ("answers", "item"),
    [
        ([0, 0, 1, X, X, 0, X], 3),  # Q3 answered although No to Q2 skips it
        ([1, 1, X, 0, 0, 0, X], 3),  # Yes to Q2: Q3 must be answered
        ([0, 0, X, X, X, 0, 1], 7),  # follow-up answered although No to Q6
        ([0, 0, X, X, X, 1, X], 7),  # Yes to Q6: the follow-up must be answered
        ([0, X, X, X, X, 0, X], 2),
        ([0, 2, X, X, X, 0, X], 2),  # yes/no only
        ([0, 0, X, X, X, 0], 0),  # 6 places: the follow-up's place is needed
        ([0, 0, X, X, X, 0, X, X], 0),
    ],
)
def test_bad_answer_sets(answers: list[int | None], item: int) -> None:
    with pytest.raises(AnswerError) as caught:
        CSSRS.score(answers)
    assert caught.value.item == item


def test_yes_no_items_and_published_wording() -> None:
    assert all(i.values == (0, 1) for i in CSSRS.items)
    assert [o.label for o in CSSRS.items[0].options] == ["No", "Yes"]
    assert CSSRS.items[1].text == "Have you actually had any thoughts of killing yourself?"
    assert CSSRS.items[6].text == "Was this within the past 3 months?"
    assert CSSRS.rater == "clinician"
