"""MOAA/S: one clinician-rated item 0–5, no bands, never critical."""

from __future__ import annotations

import pytest

from ketamine_clinic.clinical.instruments import AnswerError, get_instrument

MOAAS = get_instrument("moaas")


@pytest.mark.parametrize("level", range(6))
def test_every_level_scores_itself(level: int) -> None:
    score = MOAAS.score([level])
    assert score.total == level
    assert (score.severity, score.critical) == (None, False)
    assert score.extra["loss_of_consciousness"] is (level == 0)


def test_level_descriptions_at_the_ends() -> None:
    labels = {o.value: o.label for o in MOAAS.items[0].options}
    assert labels[5] == "Responds readily to name spoken in normal tone"
    assert labels[0] == "Does not respond to painful trapezius squeeze"
    assert sorted(labels) == [0, 1, 2, 3, 4, 5]
    assert MOAAS.rater == "clinician"


@pytest.mark.parametrize(("answers", "item"), [([], 0), ([5, 5], 0), ([6], 1), ([None], 1)])
def test_bad_answer_sets(answers: list[int | None], item: int) -> None:
    with pytest.raises(AnswerError) as caught:
        MOAAS.score(answers)
    assert caught.value.item == item
