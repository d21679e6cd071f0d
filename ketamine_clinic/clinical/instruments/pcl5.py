"""PCL-5, the PTSD Checklist for DSM-5 (standard, past-month version), 20 items 0–4.

Checked against:
- Item wording: the National Center for PTSD form "PCL-5 (8/14/2013) Weathers, Litz, Keane,
  Palmieri, Marx, & Schnurr" (scribd copy "PCL 5 Monthly", which also gives the instructions
  word for word), the VA fillable past-week version of 11 April 2018 (vdocuments.us "past week
  version - veterans affairs"; same items, only the time frame differs), and the past-month
  copies at forms.childandfamilyagency.org (items 1–8), strongpointlaw.com (items 1–13) and
  epavt.org (items 7–20). Item 18 is "Feeling jumpy or easily startled?": one copy adds a comma
  after "jumpy"; the others, and the VA-derived open-source forms, do not.
- Scoring: docs/clinical/reference.md §3.1 (CamCOPS pcl5.py for the DSM-5 rule;
  comorbidityguidelines.org.au for the cut-point range 31–33 and the absence of severity bands).
Licence: a US Government work (VA National Center for PTSD), not copyrighted.

Cluster sums (DSM-5 criteria B–E) and the provisional diagnosis are in `Score.extra`:
`clusters` {"B": items 1–5, "C": 6–7, "D": 8–14, "E": 15–20}; `provisional_ptsd` by the DSM-5
rule (an item rated 2 "Moderately" or higher counts as endorsed; at least 1 B, 1 C, 2 D and 2 E
items); `above_cut_point` (total ≥ the cut-point) with the `cut_point` used.

The cut-point. docs/clinical/reference.md §3.1 gives 31–33 as the published range for a provisional
PTSD screen. `DEFAULT_CUT_POINT` is 33, the top of that range: a higher cut-point flags fewer
people, so it is the conservative choice against false positives (at the cost of sensitivity).
A clinic that wants 31 or 32 builds its own instrument with `with_cut_point(31)`; the cut-point
is reported alongside the result so a stored score says which one it used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from .base import Instrument, Item, Score, options, sum_of, sum_of_scored

# docs/clinical/reference.md §3.1: 0–4, Not at all … Extremely.
SEVERITY = options("Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely")

# DSM-5 symptom clusters by item number (docs/clinical/reference.md §3.1; CamCOPS pcl5.py).
CLUSTERS: dict[str, tuple[int, ...]] = {
    "B": (1, 2, 3, 4, 5),  # intrusion
    "C": (6, 7),  # avoidance
    "D": (8, 9, 10, 11, 12, 13, 14),  # negative alterations in cognition and mood
    "E": (15, 16, 17, 18, 19, 20),  # alterations in arousal and reactivity
}
# The DSM-5 rule (docs/clinical/reference.md §3.1): an item rated 2 ("Moderately") or higher is
# endorsed,
ENDORSED_AT = 2
# and these many endorsed items are needed in each cluster.
NEEDED: dict[str, int] = {"B": 1, "C": 1, "D": 2, "E": 2}
# docs/clinical/reference.md §3.1: cut-point 31–33; 33, the top of the range (see the module
# docstring).
DEFAULT_CUT_POINT = 33
TOTAL_RANGE = (0, 80)  # 20 items × 0–4


def provisional_ptsd(answers: tuple[int | None, ...]) -> bool:
    """Return whether the answers meet the DSM-5 symptom rule for a provisional diagnosis."""
    return all(
        sum(1 for n in CLUSTERS[cluster] if (answers[n - 1] or 0) >= ENDORSED_AT) >= needed
        for cluster, needed in NEEDED.items()
    )


def pcl5_scorer(
    cut_point: int = DEFAULT_CUT_POINT,
) -> Callable[[Instrument, tuple[int | None, ...]], Score]:
    """Return a PCL-5 scorer that reports `above_cut_point` against `cut_point`."""
    low, high = TOTAL_RANGE
    if not low <= cut_point <= high:
        raise ValueError(f"A PCL-5 cut-point must lie within {low}–{high}; got {cut_point}.")

    def score(instrument: Instrument, answers: tuple[int | None, ...]) -> Score:
        total = sum_of_scored(instrument, answers)
        return Score(
            instrument=instrument.id,
            total=total,
            severity=None,  # docs/clinical/reference.md §3.1: no empirical severity bands
            critical=False,  # no suicide item
            extra={
                "clusters": {name: sum_of(answers, items) for name, items in CLUSTERS.items()},
                "provisional_ptsd": provisional_ptsd(answers),
                "above_cut_point": total >= cut_point,
                "cut_point": cut_point,
            },
        )

    return score


PCL5 = Instrument(
    id="pcl5",
    name="PCL-5",
    title="PTSD Checklist for DSM-5 (PCL-5)",
    instructions=(
        "Below is a list of problems that people sometimes have in response to a very stressful "
        "experience. Please read each problem carefully and then circle one of the numbers to "
        "the right to indicate how much you have been bothered by that problem in the past "
        "month.\n"
        "In the past month, how much were you bothered by:"
    ),
    time_frame="past month",
    items=(
        Item(
            1,
            "Repeated, disturbing, and unwanted memories of the stressful experience?",
            SEVERITY,
        ),
        Item(2, "Repeated, disturbing dreams of the stressful experience?", SEVERITY),
        Item(
            3,
            "Suddenly feeling or acting as if the stressful experience were actually happening "
            "again (as if you were actually back there reliving it)?",
            SEVERITY,
        ),
        Item(
            4,
            "Feeling very upset when something reminded you of the stressful experience?",
            SEVERITY,
        ),
        Item(
            5,
            "Having strong physical reactions when something reminded you of the stressful "
            "experience (for example, heart pounding, trouble breathing, sweating)?",
            SEVERITY,
        ),
        Item(
            6,
            "Avoiding memories, thoughts, or feelings related to the stressful experience?",
            SEVERITY,
        ),
        Item(
            7,
            "Avoiding external reminders of the stressful experience (for example, people, "
            "places, conversations, activities, objects, or situations)?",
            SEVERITY,
        ),
        Item(8, "Trouble remembering important parts of the stressful experience?", SEVERITY),
        Item(
            9,
            "Having strong negative beliefs about yourself, other people, or the world (for "
            "example, having thoughts such as: I am bad, there is something seriously wrong "
            "with me, no one can be trusted, the world is completely dangerous)?",
            SEVERITY,
        ),
        Item(
            10,
            "Blaming yourself or someone else for the stressful experience or what happened "
            "after it?",
            SEVERITY,
        ),
        Item(
            11,
            "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
            SEVERITY,
        ),
        Item(12, "Loss of interest in activities that you used to enjoy?", SEVERITY),
        Item(13, "Feeling distant or cut off from other people?", SEVERITY),
        Item(
            14,
            "Trouble experiencing positive feelings (for example, being unable to feel "
            "happiness or have loving feelings for people close to you)?",
            SEVERITY,
        ),
        Item(15, "Irritable behavior, angry outbursts, or acting aggressively?", SEVERITY),
        Item(16, "Taking too many risks or doing things that could cause you harm?", SEVERITY),
        Item(17, "Being “superalert” or watchful or on guard?", SEVERITY),
        Item(18, "Feeling jumpy or easily startled?", SEVERITY),
        Item(19, "Having difficulty concentrating?", SEVERITY),
        Item(20, "Trouble falling or staying asleep?", SEVERITY),
    ),
    scorer=pcl5_scorer(),
    bands=(),  # docs/clinical/reference.md §3.1: no empirical severity bands
    total_range=TOTAL_RANGE,
    loinc_panel=None,  # docs/clinical/reference.md §3.1 / §6: not found
    loinc_total=None,
    licence="US Government work (U.S. Department of Veterans Affairs, National Center for "
    "PTSD): in the public domain, not copyrighted.",
    attribution="Weathers, F. W., Litz, B. T., Keane, T. M., Palmieri, P. A., Marx, B. P., & "
    "Schnurr, P. P. (2013). The PTSD Checklist for DSM-5 (PCL-5). National Center for PTSD.",
    source="PCL-5 standard form (8/14/2013), National Center for PTSD (www.ptsd.va.gov); "
    "docs/clinical/reference.md §3.1 (CamCOPS pcl5.py for the DSM-5 rule; "
    "comorbidityguidelines.org.au for the cut-point)",
)


def with_cut_point(cut_point: int) -> Instrument:
    """Return the PCL-5 with `above_cut_point` judged against `cut_point` (31–33 published)."""
    return dataclasses.replace(PCL5, scorer=pcl5_scorer(cut_point))
