"""MADRS, the Montgomery–Åsberg Depression Rating Scale: 10 clinician-rated items, 0–6.

Copyrighted (docs/clinical/reference.md §3.1: the Royal College of Psychiatrists refused CamCOPS
permission in 2013), so no item text and no anchor text is shipped: `text=None`,
`text_shipped=False`, answers labelled by their value 0–6. The clinician rates from a licensed copy
of the scale.

Labels. Each item carries, in `Item.label`, the scale's standard one- to three-word heading
(e.g. "Apparent sadness"). These name the symptom rated and are printed as item names
throughout the literature (the anhedonia subscale in bio-protocol r9014622 lists items
1 apparent sadness, 2 reported sadness, 6 concentration difficulties, 7 lassitude, 8 inability
to feel; PMC4350518 Table 1 discusses the suicide item; the full list of ten, in this order, in
the freudly.ai MADRS blank and in several open-source rating tools). They carry none of an
item's definition or anchors. Decision: ship the headings as labels, nothing more.

Scoring: total 0–60; bands 0–6 normal, 7–19 mild, 20–34 moderate, 35–60 severe
(docs/clinical/reference.md §3.1; CamCOPS tasks_discarded/madrs.py: >34 severe, ≥20 moderate, ≥7
mild). Critical: item 10 (suicidal thoughts) at 4 or above (docs/clinical/reference.md §3.1,
PsychBridge).
"""

from __future__ import annotations

from .base import Band, Instrument, Item, Score, answer, numeric_options, sum_of_scored

# docs/clinical/reference.md §3.1: 0–6 (anchors at even numbers, not shipped)
VALUES = numeric_options(0, 6)
SUICIDE_ITEM = 10
SUICIDE_FLAG_AT = 4  # docs/clinical/reference.md §3.1: item 10 ≥ 4 → flag

_HEADINGS = (
    "Apparent sadness",
    "Reported sadness",
    "Inner tension",
    "Reduced sleep",
    "Reduced appetite",
    "Concentration difficulties",
    "Lassitude",
    "Inability to feel",
    "Pessimistic thoughts",
    "Suicidal thoughts",
)


def critical_items(answers: tuple[int | None, ...]) -> tuple[int, ...]:
    """Return (10,) when item 10 is at 4 or above, else () (docs/clinical/reference.md §3.1)."""
    return (SUICIDE_ITEM,) if answer(answers, SUICIDE_ITEM) >= SUICIDE_FLAG_AT else ()


def _score(instrument: Instrument, answers: tuple[int | None, ...]) -> Score:
    total = sum_of_scored(instrument, answers)
    items = critical_items(answers)
    return Score(
        instrument=instrument.id,
        total=total,
        severity=instrument.band_for(total),
        critical=bool(items),
        critical_items=items,
    )


MADRS = Instrument(
    id="madrs",
    name="MADRS",
    title="Montgomery–Åsberg Depression Rating Scale (MADRS)",
    rater="clinician",
    items=tuple(
        Item(number, None, VALUES, label=heading) for number, heading in enumerate(_HEADINGS, 1)
    ),
    scorer=_score,
    critical_rule=critical_items,
    # docs/clinical/reference.md §3.1: 0–6 normal, 7–19 mild, 20–34 moderate, ≥35 severe.
    bands=(
        Band(0, 6, "normal"),
        Band(7, 19, "mild"),
        Band(20, 34, "moderate"),
        Band(35, 60, "severe"),
    ),
    total_range=(0, 60),  # 10 items × 0–6
    loinc_panel=None,  # docs/clinical/reference.md §3.1 / §6: not found
    loinc_total=None,
    text_shipped=False,
    licence="Copyrighted; permission needed to reproduce the scale (the Royal College of "
    "Psychiatrists refused CamCOPS permission in 2013, docs/clinical/reference.md §3.1). Item and "
    "anchor texts are not shipped.",
    attribution="Montgomery SA, Åsberg M. A new depression scale designed to be sensitive to "
    "change. Br J Psychiatry 1979.",
    source="Montgomery & Åsberg, Br J Psychiatry 1979; docs/clinical/reference.md §3.1 (CamCOPS "
    "tasks_discarded/madrs.py bands; PsychBridge item-10 flag)",
)
