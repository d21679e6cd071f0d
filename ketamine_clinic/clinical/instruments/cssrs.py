"""C-SSRS screener, the Columbia–Suicide Severity Rating Scale Screen Version (recent).

Six yes/no questions (1 = yes, 0 = no). Questions 1–5 ask about the past month (ideation);
question 6 about suicidal behaviour over the lifetime, with the follow-up "Was this within the
past 3 months?" when the answer is yes.

Modelling: the follow-up is its own yes/no item, number 7, so every item stays yes/no and the
stored answers keep the form's question numbers 1–6. Skip logic (the form's own instruction, "If
YES to 2, ask questions 3, 4, 5, and 6. If NO to 2, go directly to question 6."): when item 2 is
No, items 3–5 are skipped; when item 6 is No, item 7 is skipped. Skipped items must be left
unanswered (None), so a complete answer set always has 7 places, e.g. 0,0,-,-,-,0,- .

No total. `extra["risk"]` is the triage level by the highest "yes" (docs/clinical/reference.md §3.1;
the Columbia triage: docsbay.net "Clinical triage guidelines using the C-SSRS", NINDS CDE page):
- high: yes to 4 or 5, or behaviour (6) within the past 3 months (7 yes);
- moderate: yes to 3, or behaviour more than 3 months ago (6 yes, 7 no);
- low: yes to 1 or 2;
- none: no to every question asked.
`severity` is the risk; `critical` when the risk is moderate or high (docs/clinical/reference.md
§3.1: Q4/Q5/ recent Q6 call for immediate evaluation and safety precautions; moderate risk is
flagged as well so that a clinician reviews it).

Wording: the bold interview questions of the screener as published by the Columbia Lighthouse
Project, checked against several independent transcriptions (open-source clinical forms quoting
the form, incl. its skip instruction and follow-up line). The example prompts printed under
questions 3, 4 and 6 differ between the screener's editions and are not shipped. The time
frames ("Past month", "Lifetime") are headings on the form; they are in `instructions`. The
interview format is the published one, hence rater "clinician" (a self-report edition exists
with its own wording; it is not this one).
"""

from __future__ import annotations

from .base import Instrument, Item, Score, answer, options

YES_NO = options("No", "Yes")  # 0 = no, 1 = yes

IDEATION_GATE = 2  # "If NO to 2, go directly to question 6"
IDEATION_DETAIL = (3, 4, 5)
BEHAVIOUR = 6
BEHAVIOUR_RECENT = 7  # the follow-up "Was this within the past 3 months?"

RISK_LEVELS = ("none", "low", "moderate", "high")
# docs/clinical/reference.md §3.1, "derived risk level commonly coded 93374-7 'Suicide risk level'";
# the screener panel's own LOINC code is unconfirmed.
RISK_LEVEL_LOINC = "93374-7"


def skipped(answers: tuple[int | None, ...]) -> frozenset[int]:
    """Return the items the screener's skip logic leaves out, given the answers so far.

    An unanswered gate (None) skips nothing: the items behind it are still to be asked.
    """
    out: set[int] = set()
    if len(answers) >= IDEATION_GATE and answers[IDEATION_GATE - 1] == 0:
        out.update(IDEATION_DETAIL)
    if len(answers) >= BEHAVIOUR and answers[BEHAVIOUR - 1] == 0:
        out.add(BEHAVIOUR_RECENT)
    return frozenset(out)


def risk(answers: tuple[int | None, ...]) -> tuple[str, tuple[int, ...]]:
    """Return the risk level and the "yes" items that set it (docs/clinical/reference.md §3.1)."""

    def yes(number: int) -> bool:
        return answer(answers, number) == 1

    behaviour = yes(BEHAVIOUR)
    recent = behaviour and yes(BEHAVIOUR_RECENT)
    high = [n for n in (4, 5) if yes(n)] + ([BEHAVIOUR, BEHAVIOUR_RECENT] if recent else [])
    if high:
        return "high", tuple(high)
    moderate = [n for n in (3,) if yes(n)] + ([BEHAVIOUR] if behaviour else [])
    if moderate:
        return "moderate", tuple(moderate)
    low = [n for n in (1, 2) if yes(n)]
    if low:
        return "low", tuple(low)
    return "none", ()


def critical_items(answers: tuple[int | None, ...]) -> tuple[int, ...]:
    """Return the "yes" items of a moderate or high risk, else () (see the module docstring).

    On an incomplete set the risk is a floor (a question not yet asked counts as No), so a
    "yes" that already reaches moderate or high is critical before the rest is answered.
    """
    level, items = risk(answers)
    return items if level in ("moderate", "high") else ()


def _score(instrument: Instrument, answers: tuple[int | None, ...]) -> Score:
    level, _ = risk(answers)
    items = critical_items(answers)
    return Score(
        instrument=instrument.id,
        total=None,  # docs/clinical/reference.md §3.1: no total score; triage by highest "yes"
        severity=level,
        critical=bool(items),
        critical_items=items,
        extra={"risk": level},
    )


CSSRS_SCREENER = Instrument(
    id="cssrs-screener",
    name="C-SSRS screener",
    title="Columbia–Suicide Severity Rating Scale, Screen Version (C-SSRS screener)",
    rater="clinician",
    instructions=(
        "Ask questions 1 and 2 (past month). "
        "If YES to 2, ask questions 3, 4, 5, and 6. If NO to 2, go directly to question 6 "
        "(lifetime). If YES to 6, ask: Was this within the past 3 months?"
    ),
    time_frame="past month (1–5); lifetime and past 3 months (6)",
    items=(
        Item(
            1,
            "Have you wished you were dead or wished you could go to sleep and not wake up?",
            YES_NO,
        ),
        Item(2, "Have you actually had any thoughts of killing yourself?", YES_NO),
        Item(3, "Have you been thinking about how you might do this?", YES_NO),
        Item(4, "Have you had these thoughts and had some intention of acting on them?", YES_NO),
        Item(
            5,
            "Have you started to work out or worked out the details of how to kill yourself? "
            "Do you intend to carry out this plan?",
            YES_NO,
        ),
        Item(
            BEHAVIOUR,
            "Have you ever done anything, started to do anything, or prepared to do anything "
            "to end your life?",
            YES_NO,
        ),
        Item(BEHAVIOUR_RECENT, "Was this within the past 3 months?", YES_NO),
    ),
    scorer=_score,
    skip_rule=skipped,
    critical_rule=critical_items,
    bands=(),  # no total; the risk level is the severity
    total_range=None,
    loinc_panel=None,  # docs/clinical/reference.md §3.1 / §6: screener panel code unconfirmed
    loinc_total=None,
    licence="© The Research Foundation for Mental Hygiene, Inc. Free to use with attribution; the "
    "Columbia Lighthouse Project asks users to request permission (docs/clinical/reference.md "
    "§3.1).",
    attribution="Columbia–Suicide Severity Rating Scale (C-SSRS), Screen Version. Posner K, "
    "et al., The Columbia Lighthouse Project, Columbia University; © The Research Foundation "
    "for Mental Hygiene, Inc.",
    source="C-SSRS Screen Version – Recent (The Columbia Lighthouse Project, cssrs.columbia.edu); "
    "NINDS Common Data Elements, C-SSRS Screener Version; Posner K et al. Am J Psychiatry 2011; "
    "docs/clinical/reference.md §3.1 (triage levels)",
)
