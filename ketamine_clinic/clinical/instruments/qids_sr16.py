"""QIDS-SR16, the 16-item Quick Inventory of Depressive Symptomatology (self-report).

Structure and scoring only: item texts and answer texts are NOT shipped (`text=None`,
`text_shipped=False`, answers labelled by their value 0–3). The exact published wording
(ids-qids.org; Rush et al. 2003, Biol Psychiatry 54:573–583) could not be checked against the
publisher's form: the copies found (open-source forms and clinic pages) agree in substance but
differ in small details (e.g. "at least" vs "more than 60 minutes" in item 1, "I've" vs "I have"
in items 8–9), and docs/clinical/reference.md §3.1 leaves the reproduction rights open ("free to
reproduce" per PsychBridge; "permissible?" in CamCOPS). A clinic holding the official form can add
the texts once checked. `Item.label` carries a short neutral heading of the symptom each item rates.

Scoring (docs/clinical/reference.md §3.1; PsychBridge scales_verbatim.md citing Rush 2003; the
Inquisit QIDS SR-16 manual, millisecond.com, gives the same formula): 9 DSM domains,
sleep = max(items 1–4), sad mood = item 5, appetite/weight = max(items 6–9),
concentration = item 10, self-view = item 11, suicide = item 12, interest = item 13,
energy = item 14, psychomotor = max(items 15–16); total = sum of the 9 domains, 0–27.

The published form asks the respondent to complete either item 6 or 7 and either 8 or 9; here
all 16 are required (an item that does not apply is answered 0, "no change"), which leaves the
appetite/weight domain — the maximum of the four — unchanged.
"""

from __future__ import annotations

from .base import Band, Instrument, Item, Score, answer, max_of, numeric_options

VALUES = numeric_options(0, 3)  # docs/clinical/reference.md §3.1: 16 items, 0–3

# docs/clinical/reference.md §3.1: the nine domains and the items each is scored from.
DOMAINS: dict[str, tuple[int, ...]] = {
    "sleep": (1, 2, 3, 4),
    "sad_mood": (5,),
    "appetite_weight": (6, 7, 8, 9),
    "concentration": (10,),
    "self_view": (11,),
    "suicide": (12,),
    "interest": (13,),
    "energy": (14,),
    "psychomotor": (15, 16),
}
# docs/clinical/reference.md §3.1: item 12 (thoughts of death or suicide) at 2 or above is flagged.
SUICIDE_ITEM = 12
SUICIDE_FLAG_AT = 2

# Short headings naming the symptom each item rates, as the copies found print them above
# each item (names only; the statements to choose from are the texts not shipped).
_LABELS = (
    "Falling asleep",
    "Sleep during the night",
    "Waking up too early",
    "Sleeping too much",
    "Feeling sad",
    "Decreased appetite",
    "Increased appetite",
    "Decreased weight",
    "Increased weight",
    "Concentration / decision making",
    "View of myself",
    "Thoughts of death or suicide",
    "General interest",
    "Energy level",
    "Feeling slowed down",
    "Feeling restless",
)


def domains(answers: tuple[int | None, ...]) -> dict[str, int]:
    """Return the nine domain scores (each 0–3)."""
    return {name: max_of(answers, items) for name, items in DOMAINS.items()}


def critical_items(answers: tuple[int | None, ...]) -> tuple[int, ...]:
    """Return (12,) when item 12 is at 2 or above, else () (docs/clinical/reference.md §3.1)."""
    return (SUICIDE_ITEM,) if answer(answers, SUICIDE_ITEM) >= SUICIDE_FLAG_AT else ()


def _score(instrument: Instrument, answers: tuple[int | None, ...]) -> Score:
    by_domain = domains(answers)
    total = sum(by_domain.values())
    items = critical_items(answers)
    return Score(
        instrument=instrument.id,
        total=total,
        severity=instrument.band_for(total),
        critical=bool(items),
        critical_items=items,
        extra={"domains": by_domain},
    )


QIDS_SR16 = Instrument(
    id="qids-sr16",
    name="QIDS-SR16",
    title="Quick Inventory of Depressive Symptomatology, Self-Report (QIDS-SR16)",
    instructions=None,  # the form's own instructions are not shipped with its texts
    time_frame="past 7 days",  # ids-qids.org/administration.html: "over the last 7 days"
    items=tuple(Item(number, None, VALUES, label=label) for number, label in enumerate(_LABELS, 1)),
    scorer=_score,
    critical_rule=critical_items,
    # docs/clinical/reference.md §3.1: 0–5 none, 6–10 mild, 11–15 moderate, 16–20 severe, 21–27 very
    # severe.
    bands=(
        Band(0, 5, "none"),
        Band(6, 10, "mild"),
        Band(11, 15, "moderate"),
        Band(16, 20, "severe"),
        Band(21, 27, "very severe"),
    ),
    total_range=(0, 27),  # 9 domains × 0–3
    loinc_panel=None,  # docs/clinical/reference.md §3.1 / §6: not found
    loinc_total=None,
    text_shipped=False,
    licence="Copyrighted by its authors (IDS/QIDS, ids-qids.org). Said to be free to reproduce by "
    "secondary sources (docs/clinical/reference.md §3.1); not confirmed with the rights holder, so "
    "the texts are not shipped.",
    attribution="Rush AJ, Trivedi MH, Ibrahim HM, Carmody TJ, Arnow B, Klein DN, Markowitz JC, "
    "Ninan PT, Kornstein S, Manber R, Thase ME, Kocsis JH, Keller MB. The 16-item Quick "
    "Inventory of Depressive Symptomatology (QIDS), clinician rating (QIDS-C), and self-report "
    "(QIDS-SR): a psychometric evaluation in patients with chronic major depression.",
    source="Rush AJ et al. Biol Psychiatry 2003;54:573-583; ids-qids.org; "
    "docs/clinical/reference.md §3.1 (scoring and bands)",
)
