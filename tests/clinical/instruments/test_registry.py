"""Every registered instrument: metadata, and property tests of `check`/`score`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.clinical.instruments import INSTRUMENTS, AnswerError, Instrument
from ketamine_clinic.clinical.instruments.cssrs import RISK_LEVELS

IDS = ["phq9", "gad7", "pcl5", "qids-sr16", "cssrs-screener", "madrs", "cadss6", "moaas"]
ALL = [INSTRUMENTS[i] for i in IDS]


def test_registry_ids() -> None:
    assert sorted(INSTRUMENTS) == sorted(IDS)
    assert all(INSTRUMENTS[i].id == i for i in IDS)


@pytest.mark.parametrize("instrument", ALL, ids=IDS)
def test_licence_attribution_source(instrument: Instrument) -> None:
    assert instrument.licence.strip()
    assert instrument.attribution.strip()
    assert instrument.source.strip()
    assert instrument.rater in ("self", "clinician")


@pytest.mark.parametrize("instrument", ALL, ids=IDS)
def test_texts_shipped_or_not(instrument: Instrument) -> None:
    if instrument.text_shipped:
        assert all(item.text for item in instrument.items)
        assert all(o.label for item in instrument.items for o in item.options)
    else:
        assert all(item.text is None for item in instrument.items)
        # no anchor text either: options are labelled by their value
        assert all(o.label == str(o.value) for item in instrument.items for o in item.options)


@pytest.mark.parametrize("instrument", ALL, ids=IDS)
def test_items_numbered_from_1_with_distinct_values(instrument: Instrument) -> None:
    assert [i.number for i in instrument.items] == list(range(1, len(instrument.items) + 1))
    for item in instrument.items:
        assert len(set(item.values)) == len(item.values)


@pytest.mark.parametrize("instrument", ALL, ids=IDS)
def test_bands_tile_the_total_range(instrument: Instrument) -> None:
    if not instrument.bands:
        return
    assert instrument.total_range is not None
    low, high = instrument.total_range
    assert instrument.bands[0].low == low
    assert instrument.bands[-1].high == high
    for before, after in zip(instrument.bands, instrument.bands[1:], strict=False):
        assert after.low == before.high + 1


def _complete(instrument: Instrument) -> st.SearchStrategy[tuple[int | None, ...]]:
    """Complete in-range answer sets, with the instrument's skip logic applied."""
    per_item = [
        st.sampled_from(item.values) if item.required else st.none() | st.sampled_from(item.values)
        for item in instrument.items
    ]

    def apply_skips(drawn: tuple[int | None, ...]) -> tuple[int | None, ...]:
        answers = list(drawn)
        for number in instrument.skipped(tuple(answers)):
            answers[number - 1] = None
        return tuple(answers)

    return st.tuples(*per_item).map(apply_skips)


def _instrument_and_answers() -> st.SearchStrategy[tuple[Instrument, tuple[int | None, ...]]]:
    return st.sampled_from(ALL).flatmap(lambda i: _complete(i).map(lambda a: (i, a)))


@given(_instrument_and_answers())
def test_every_complete_answer_set_scores(case: tuple[Instrument, tuple[int | None, ...]]) -> None:
    instrument, answers = case
    score = instrument.score(answers)
    assert score.instrument == instrument.id
    if instrument.total_range is None:
        assert score.total is None
    else:
        assert score.total is not None
        low, high = instrument.total_range
        assert low <= score.total <= high
    if instrument.bands:
        assert score.severity in {band.name for band in instrument.bands}
    elif instrument.id == "cssrs-screener":
        assert score.severity in RISK_LEVELS
    else:
        assert score.severity is None
    assert score.critical == bool(score.critical_items)
    assert score.critical_items == instrument.critical_items(answers)  # one rule, both paths
    assert set(score.as_dict()) >= {"instrument", "total", "severity", "critical"}


@given(_instrument_and_answers(), st.data())
def test_a_critical_partial_response_stays_critical_when_completed(
    case: tuple[Instrument, tuple[int | None, ...]], data: st.DataObject
) -> None:
    instrument, answers = case
    kept = data.draw(st.sets(st.integers(1, len(instrument.items))))
    partial = tuple(v if n in kept else None for n, v in enumerate(answers, 1))
    if instrument.critical_items(partial):
        assert instrument.score(answers).critical


@given(_instrument_and_answers(), st.data())
def test_incomplete_sets_never_score(
    case: tuple[Instrument, tuple[int | None, ...]], data: st.DataObject
) -> None:
    instrument, answers = case
    skipped = instrument.skipped(answers)
    askable = [i.number for i in instrument.items if i.required and i.number not in skipped]
    number = data.draw(st.sampled_from(askable))
    broken = list(answers)
    broken[number - 1] = None
    with pytest.raises(AnswerError) as caught:
        instrument.score(broken)
    assert caught.value.item == number


@given(_instrument_and_answers(), st.data())
def test_out_of_range_values_name_their_item(
    case: tuple[Instrument, tuple[int | None, ...]], data: st.DataObject
) -> None:
    instrument, answers = case
    number = data.draw(st.integers(1, len(instrument.items)))
    values = instrument.items[number - 1].values
    bad = data.draw(st.sampled_from([min(values) - 1, max(values) + 1, 99]))
    broken = list(answers)
    broken[number - 1] = bad
    with pytest.raises(AnswerError) as caught:
        instrument.score(broken)
    assert caught.value.item == number


@given(_instrument_and_answers(), st.integers(1, 3))
def test_too_many_answers_are_refused(
    case: tuple[Instrument, tuple[int | None, ...]], extra: int
) -> None:
    instrument, answers = case
    with pytest.raises(AnswerError) as caught:
        instrument.score(answers + (0,) * extra)
    assert caught.value.item == 0


@given(_instrument_and_answers(), st.data())
def test_short_sets_pad_only_over_optional_trailing_items(
    case: tuple[Instrument, tuple[int | None, ...]], data: st.DataObject
) -> None:
    instrument, answers = case
    cut = data.draw(st.integers(0, len(answers) - 1))
    short = answers[:cut]
    trailing_optional = all(not i.required for i in instrument.items[cut:])
    if trailing_optional:
        padded = instrument.check(short)
        assert padded == short + (None,) * (len(answers) - cut)
    else:
        with pytest.raises(AnswerError) as caught:
            instrument.check(short)
        assert caught.value.item == 0
