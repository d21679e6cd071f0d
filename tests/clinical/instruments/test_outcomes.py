"""Trajectories: baseline, latest, change, response and remission."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ketamine_clinic.clinical.outcomes import Trajectory, trajectory

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def test_no_scores() -> None:
    assert trajectory("phq9", []) == Trajectory("phq9", None, None, None, None, None, None)


def test_halving_is_a_response_but_not_remission() -> None:
    t = trajectory("phq9", [(day(0), 20), (day(14), 10)], first_treatment_at=day(1))
    assert (t.baseline, t.latest, t.change) == (20, 10, -10)
    assert t.percent_change == pytest.approx(-50.0)
    assert t.responder is True  # exactly 50%
    assert t.remission is False  # 10 is not < 5


def test_just_under_half_is_not_a_response() -> None:
    t = trajectory("phq9", [(day(0), 20), (day(14), 11)], first_treatment_at=day(1))
    assert t.percent_change == pytest.approx(-45.0)
    assert t.responder is False


def test_odd_baseline_needs_the_full_half() -> None:
    # 15 → 8 is a 46.7% fall; 15 → 7 is 53.3%.
    assert trajectory("madrs", [(day(0), 15), (day(9), 8)]).responder is False
    assert trajectory("madrs", [(day(0), 15), (day(9), 7)]).responder is True


@pytest.mark.parametrize(
    ("instrument", "remitted", "not_remitted"),
    [("phq9", 4, 5), ("madrs", 10, 11), ("qids-sr16", 5, 6), ("gad7", 4, 5)],
)
def test_remission_edges(instrument: str, remitted: int, not_remitted: int) -> None:
    assert trajectory(instrument, [(day(0), 25), (day(7), remitted)]).remission is True
    assert trajectory(instrument, [(day(0), 25), (day(7), not_remitted)]).remission is False


@pytest.mark.parametrize("instrument", ["pcl5", "cadss6", "moaas"])
def test_no_response_or_remission_rule_for_other_instruments(instrument: str) -> None:
    t = trajectory(instrument, [(day(0), 4), (day(7), 1)])
    assert t.change == -3
    assert t.percent_change == pytest.approx(-75.0)
    assert t.responder is None
    assert t.remission is None


def test_scores_are_sorted_by_time() -> None:
    t = trajectory("gad7", [(day(20), 3), (day(0), 18), (day(10), 9)])
    assert (t.baseline, t.latest, t.change) == (18, 3, -15)
    assert t.remission is True


def test_baseline_is_the_first_score_before_the_first_treatment() -> None:
    scores = [(day(-7), 22), (day(-1), 19), (day(3), 12), (day(10), 8)]
    t = trajectory("phq9", scores, first_treatment_at=day(0))
    assert (t.baseline, t.latest, t.change) == (22, 8, -14)
    assert t.responder is True  # 14 ≥ 11


def test_a_score_at_the_moment_of_treatment_counts_as_before() -> None:
    t = trajectory("phq9", [(day(0), 16), (day(5), 15)], first_treatment_at=day(0))
    assert t.baseline == 16


def test_no_score_before_treatment_means_no_baseline() -> None:
    t = trajectory("phq9", [(day(3), 12), (day(10), 4)], first_treatment_at=day(0))
    assert (t.baseline, t.latest) == (None, 4)
    assert (t.change, t.percent_change, t.responder) == (None, None, None)
    assert t.remission is True  # judged on the latest score alone


def test_without_treatment_the_first_score_is_the_baseline() -> None:
    t = trajectory("qids-sr16", [(day(0), 14), (day(7), 12)])
    assert (t.baseline, t.latest, t.change) == (14, 12, -2)
    assert t.percent_change == pytest.approx(-100 * 2 / 14)


def test_a_single_score_is_both_baseline_and_latest() -> None:
    t = trajectory("phq9", [(day(0), 12)])
    assert (t.baseline, t.latest, t.change, t.percent_change) == (12, 12, 0, 0.0)
    assert (t.responder, t.remission) == (False, False)


def test_zero_baseline_has_no_percentage_or_response() -> None:
    t = trajectory("phq9", [(day(0), 0), (day(7), 3)])
    assert (t.change, t.percent_change, t.responder) == (3, None, None)
    assert t.remission is True  # 3 < 5


def test_worsening_is_a_positive_change() -> None:
    t = trajectory("madrs", [(day(0), 20), (day(7), 25)])
    assert (t.change, t.responder) == (5, False)
    assert t.percent_change == pytest.approx(25.0)
