"""The shape of a questionnaire: items, answer options, scoring, bands, critical items.

An instrument is data (a frozen `Instrument`) plus one scoring function. Answers are a tuple of
integers (None for an item skipped by the instrument's own skip logic), one per item, in item
order. A total is computed only from a complete set of answers: `score` refuses anything else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class AnswerError(ValueError):
    """Answers that cannot be scored: `item` names the item (1-based), or 0 for the whole set."""

    def __init__(self, item: int, message: str) -> None:
        super().__init__(message)
        self.item = item
        self.message = message


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class Item:
    number: int  # 1-based, as printed on the form
    text: str | None  # None where the text is copyrighted and not shipped
    options: tuple[Option, ...]
    loinc: str | None = None
    scored: bool = True  # PHQ-9's difficulty item is asked but not scored
    required: bool = True  # an unscored item may be left unanswered
    # A short neutral heading (e.g. MADRS "Apparent sadness") where the text itself is not
    # shipped, or None. Never a paraphrase of a copyrighted item.
    label: str | None = None

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(o.value for o in self.options)


@dataclass(frozen=True)
class Band:
    """A severity band: totals from `low` to `high` inclusive are `name`."""

    low: int
    high: int
    name: str


@dataclass(frozen=True)
class Score:
    instrument: str
    total: int | None  # None where the instrument has no total (C-SSRS screener)
    severity: str | None  # the band's name in lower case, or None without bands
    critical: bool
    critical_items: tuple[int, ...] = ()  # the item numbers that made it critical
    extra: Mapping[str, Any] = field(default_factory=dict)  # clusters, domains, risk…

    def as_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "total": self.total,
            "severity": self.severity,
            "critical": self.critical,
            "critical_items": list(self.critical_items),
            **dict(self.extra),
        }


Answers = Sequence[int | None]


@dataclass(frozen=True)
class Instrument:
    id: str  # phq9, gad7, pcl5, qids-sr16, cssrs-screener, madrs, cadss6, moaas
    name: str
    title: str  # the name shown to a patient or clinician
    items: tuple[Item, ...]
    scorer: Callable[[Instrument, tuple[int | None, ...]], Score]
    licence: str
    attribution: str
    source: str  # the published source the definition was checked against
    rater: str = "self"  # "self" (patient) or "clinician"
    instructions: str | None = None
    time_frame: str | None = None
    bands: tuple[Band, ...] = ()
    total_range: tuple[int, int] | None = None
    loinc_panel: str | None = None
    loinc_total: str | None = None
    text_shipped: bool = True  # False for copyrighted instruments (MADRS, CADSS)
    # The instrument's own skip logic: answers -> the item numbers it leaves out (C-SSRS).
    skip_rule: Callable[[tuple[int | None, ...]], frozenset[int]] | None = None
    # The critical-item rule: answers -> the item numbers that call for a safety alert. It must
    # work on an incomplete set (an unanswered item counts as not endorsed), so that a critical
    # answer is acted on even when the rest of the form is never finished.
    critical_rule: Callable[[tuple[int | None, ...]], tuple[int, ...]] | None = None
    # Lower is better for every instrument shipped; remission / response live in outcomes.py.

    @property
    def self_report(self) -> bool:
        return self.rater == "self"

    def band_for(self, total: int) -> str | None:
        """Return the name of the band `total` falls in, or None without bands."""
        for band in self.bands:
            if band.low <= total <= band.high:
                return band.name
        return None

    def skipped(self, answers: tuple[int | None, ...]) -> frozenset[int]:
        """Return the item numbers the instrument's skip logic leaves out, given the answers."""
        return self.skip_rule(answers) if self.skip_rule else frozenset()

    def critical_items(self, answers: tuple[int | None, ...]) -> tuple[int, ...]:
        """Return the items that make these answers critical, complete or not (() if none)."""
        return self.critical_rule(answers) if self.critical_rule else ()

    def check(self, answers: Answers) -> tuple[int | None, ...]:
        """Return the answers as a tuple if they are a complete, in-range set; else AnswerError.

        Every required item not skipped must be answered with one of its option values; a
        skipped item must be left unanswered (None). Fewer answers than items are accepted only
        when every missing trailing item is optional (`required=False`): those are padded with
        None, so a PHQ-9 may be given its 9 scored answers without the difficulty item.
        """
        given = self._padded(tuple(answers))
        if len(given) != len(self.items):
            raise AnswerError(
                0, f"{self.name} has {len(self.items)} items; {len(given)} answers were given."
            )
        skipped = self.skipped(given)
        for item, value in zip(self.items, given, strict=True):
            if value is None and item.required and item.number not in skipped:
                raise AnswerError(item.number, f"Item {item.number} is not answered.")
            self._check_value(item, value, skipped)
        return given

    def check_partial(self, partial: Mapping[int, int | None]) -> None:
        """Refuse (AnswerError) what a partial response may not hold, answered or not.

        A value outside its item's options, or an answer to an item that the answers before it
        skip. Unanswered items are allowed: the response is then kept as incomplete.
        """
        as_tuple = tuple(partial.get(i.number) for i in self.items)
        skipped = self.skipped(as_tuple)
        for item, value in zip(self.items, as_tuple, strict=True):
            self._check_value(item, value, skipped)

    @staticmethod
    def _check_value(item: Item, value: int | None, skipped: frozenset[int]) -> None:
        if value is None:
            return
        if item.number in skipped:
            raise AnswerError(
                item.number, f"Item {item.number} is skipped by the answers before it."
            )
        if value not in item.values:
            allowed = ", ".join(str(v) for v in item.values)
            raise AnswerError(item.number, f"Item {item.number}: {value} is not one of {allowed}.")

    def _padded(self, given: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """Pad a short answer set with None when every missing trailing item is optional."""
        if len(given) < len(self.items) and all(
            not item.required for item in self.items[len(given) :]
        ):
            return given + (None,) * (len(self.items) - len(given))
        return given

    def score(self, answers: Answers) -> Score:
        """Score a complete set of answers (AnswerError if it is not complete and in range)."""
        return self.scorer(self, self.check(answers))

    def missing(self, partial: Mapping[int, int | None]) -> list[int]:
        """Return the numbers of the required items still unanswered in a partial response."""
        as_tuple = tuple(partial.get(i.number) for i in self.items)
        skipped = self.skipped(as_tuple)
        return [
            i.number
            for i in self.items
            if i.required and i.number not in skipped and partial.get(i.number) is None
        ]


def sum_of_scored(instrument: Instrument, answers: tuple[int | None, ...]) -> int:
    """Return the sum of the scored items' answers."""
    return sum(
        value or 0 for item, value in zip(instrument.items, answers, strict=True) if item.scored
    )


def options(*labels: str, start: int = 0) -> tuple[Option, ...]:
    """Return options valued start, start+1, … with these labels."""
    return tuple(Option(start + i, label) for i, label in enumerate(labels))


def answer(answers: tuple[int | None, ...], number: int) -> int:
    """Return the answer to item `number` (1-based), 0 where it was skipped or left unanswered."""
    return answers[number - 1] or 0


def max_of(answers: tuple[int | None, ...], numbers: Sequence[int]) -> int:
    """Return the highest answer among items `numbers` (1-based), unanswered counting as 0."""
    return max(answer(answers, n) for n in numbers)


def sum_of(answers: tuple[int | None, ...], numbers: Sequence[int]) -> int:
    """Return the sum of the answers to items `numbers` (1-based), unanswered counting as 0."""
    return sum(answer(answers, n) for n in numbers)


def numeric_options(low: int, high: int) -> tuple[Option, ...]:
    """Return options valued low…high inclusive, each labelled by its number.

    For instruments whose anchor texts are copyrighted and not shipped (MADRS, CADSS-6, and
    QIDS-SR16 while its exact published wording is unconfirmed).
    """
    return tuple(Option(v, str(v)) for v in range(low, high + 1))
