"""PHQ-9, the Patient Health Questionnaire (depression), 9 scored items and a difficulty item.

Checked against: the PHQ-9 form as published by Pfizer (phqscreeners.com), and
docs/clinical/reference.md §3.1 (scoring, bands, critical item, LOINC; CamCOPS phq9.py for the band
cut-offs). Licence: public domain, "No permission required to reproduce, translate, display or
distribute."
"""

from __future__ import annotations

from .base import Band, Instrument, Item, Score, answer, options, sum_of_scored

FREQUENCY = options("Not at all", "Several days", "More than half the days", "Nearly every day")
DIFFICULTY = options(
    "Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"
)
# Item 9: any answer above 0 must be escalated (docs/clinical/reference.md §3.1, "critical item").
SUICIDALITY_ITEM = 9
DIFFICULTY_ITEM = 10  # asked after the 9 scored items, not scored


def critical_items(answers: tuple[int | None, ...]) -> tuple[int, ...]:
    """Return (9,) when item 9 is above 0, else () (docs/clinical/reference.md §3.1)."""
    return (SUICIDALITY_ITEM,) if answer(answers, SUICIDALITY_ITEM) > 0 else ()


def _score(instrument: Instrument, answers: tuple[int | None, ...]) -> Score:
    total = sum_of_scored(instrument, answers)
    items = critical_items(answers)
    return Score(
        instrument=instrument.id,
        total=total,
        severity=instrument.band_for(total),
        critical=bool(items),
        critical_items=items,
        extra={"difficulty": answers[DIFFICULTY_ITEM - 1]},
    )


PHQ9 = Instrument(
    id="phq9",
    name="PHQ-9",
    title="Patient Health Questionnaire (PHQ-9)",
    instructions=(
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    ),
    time_frame="last 2 weeks",
    items=(
        Item(1, "Little interest or pleasure in doing things", FREQUENCY, "44250-9"),
        Item(2, "Feeling down, depressed, or hopeless", FREQUENCY, "44255-8"),
        Item(3, "Trouble falling or staying asleep, or sleeping too much", FREQUENCY, "44259-0"),
        Item(4, "Feeling tired or having little energy", FREQUENCY, "44254-1"),
        Item(5, "Poor appetite or overeating", FREQUENCY, "44251-7"),
        Item(
            6,
            "Feeling bad about yourself — or that you are a failure or have let yourself or "
            "your family down",
            FREQUENCY,
            "44258-2",
        ),
        Item(
            7,
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            FREQUENCY,
            "44252-5",
        ),
        Item(
            8,
            "Moving or speaking so slowly that other people could have noticed? Or the "
            "opposite — being so fidgety or restless that you have been moving around a lot "
            "more than usual",
            FREQUENCY,
            "44253-3",
        ),
        Item(
            9,
            "Thoughts that you would be better off dead or of hurting yourself in some way",
            FREQUENCY,
            "44260-8",
        ),
        Item(
            DIFFICULTY_ITEM,
            "If you checked off any problems, how difficult have these problems made it for "
            "you to do your work, take care of things at home, or get along with other people?",
            DIFFICULTY,
            "69722-7",
            scored=False,
            required=False,
        ),
    ),
    scorer=_score,
    critical_rule=critical_items,
    # docs/clinical/reference.md §3.1: 0–4 none/minimal, 5–9 mild, 10–14 moderate, 15–19 moderately
    # severe, 20–27 severe (CamCOPS phq9.py cut-offs ≥20/15/10/5).
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 19, "moderately severe"),
        Band(20, 27, "severe"),
    ),
    total_range=(0, 27),
    loinc_panel="44249-1",
    loinc_total="44261-6",
    licence="Public domain: no permission required to reproduce, translate, display or distribute.",
    attribution="Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and "
    "colleagues, with an educational grant from Pfizer Inc.",
    source="PHQ-9 form (Pfizer, phqscreeners.com); Kroenke K, Spitzer RL, Williams JB. "
    "J Gen Intern Med 2001;16:606-13; docs/clinical/reference.md §3.1",
)
