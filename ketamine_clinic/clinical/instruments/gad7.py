"""GAD-7, the Generalized Anxiety Disorder scale, 7 scored items and a difficulty item.

Checked against:
- Item and option wording: the GAD-7 form as published by Pfizer (phqscreeners.com), in the
  copy at scales.arabpsychology.com ("GAD-7 Anxiety Severity", the Pfizer layout with its
  "Use [check] to indicate your answer" line) and the LOINC item names carried by the HL7
  personal-health-record-format-ig (input/fsh/pghd/examples/Mind/
  QuestionnaireResponse-ScoredAssessment-GAD7.fsh), which agree word for word on items 1 and
  3–7 (LOINC words item 2 as a question, so item 2 follows the form).
- The unscored difficulty item: the figure of Spitzer, Kroenke, Williams & Löwe 2006 (copies at
  touringmanual.com and iconichealthservices.com, and the same sentence in several open-source
  GAD-7 forms). Its answer labels are the same as the PHQ-9's.
- LOINC item order: the HL7 IG file above lists the item codes in form order (69725-0, 68509-9,
  69733-4, 69734-2, 69735-9, 69689-8, 69736-7), as does docs/clinical/reference.md §3.1. The
  difficulty item's code inside the GAD-7 panel was not confirmed, so it carries none.
- Scoring, bands and licence: docs/clinical/reference.md §3.1 (CamCOPS gad7.py cut-offs ≥15/10/5).
Licence: public domain, "No permission required to reproduce, translate, display or distribute."
"""

from __future__ import annotations

from .base import Band, Instrument, Item, Score, sum_of_scored
from .phq9 import DIFFICULTY, FREQUENCY

# docs/clinical/reference.md §3.1: the same answer anchors as the PHQ-9 (the lowest is "Not at all",
# not "not at all sure", a misprint in the 2006 figure), and the same difficulty answers.
DIFFICULTY_ITEM = 8  # asked after the 7 scored items, not scored


def _score(instrument: Instrument, answers: tuple[int | None, ...]) -> Score:
    total = sum_of_scored(instrument, answers)
    return Score(
        instrument=instrument.id,
        total=total,
        severity=instrument.band_for(total),
        critical=False,  # docs/clinical/reference.md §3.1: the GAD-7 has no critical item
        extra={"difficulty": answers[DIFFICULTY_ITEM - 1]},
    )


GAD7 = Instrument(
    id="gad7",
    name="GAD-7",
    title="Generalized Anxiety Disorder 7-item scale (GAD-7)",
    instructions=(
        "Over the last 2 weeks, how often have you been bothered by the following problems?"
    ),
    time_frame="last 2 weeks",
    items=(
        Item(1, "Feeling nervous, anxious or on edge", FREQUENCY, "69725-0"),
        Item(2, "Not being able to stop or control worrying", FREQUENCY, "68509-9"),
        Item(3, "Worrying too much about different things", FREQUENCY, "69733-4"),
        Item(4, "Trouble relaxing", FREQUENCY, "69734-2"),
        Item(5, "Being so restless that it is hard to sit still", FREQUENCY, "69735-9"),
        Item(6, "Becoming easily annoyed or irritable", FREQUENCY, "69689-8"),
        Item(7, "Feeling afraid as if something awful might happen", FREQUENCY, "69736-7"),
        Item(
            DIFFICULTY_ITEM,
            "If you checked off any problems, how difficult have these made it for you to do "
            "your work, take care of things at home, or get along with other people?",
            DIFFICULTY,
            # LOINC code within the GAD-7 panel not confirmed (docs/clinical/reference.md §3.1)
            None,
            scored=False,
            required=False,
        ),
    ),
    scorer=_score,
    # docs/clinical/reference.md §3.1: 0–4 minimal, 5–9 mild, 10–14 moderate, 15–21 severe (CamCOPS
    # gad7.py cut-offs ≥15/10/5; Spitzer et al. 2006).
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 21, "severe"),
    ),
    total_range=(0, 21),  # 7 items × 0–3
    loinc_panel="69737-5",  # docs/clinical/reference.md §3.1
    loinc_total="70274-6",  # docs/clinical/reference.md §3.1
    licence="Public domain: no permission required to reproduce, translate, display or distribute.",
    attribution="Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and "
    "colleagues, with an educational grant from Pfizer Inc.",
    source="GAD-7 form (Pfizer, phqscreeners.com); Spitzer RL, Kroenke K, Williams JBW, Löwe B. "
    "A brief measure for assessing generalized anxiety disorder: the GAD-7. "
    "Arch Intern Med 2006;166:1092-7; docs/clinical/reference.md §3.1",
)
