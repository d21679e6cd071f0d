"""CADSS-6, the six-item short form of the Clinician-Administered Dissociative States Scale.

Items 1, 2, 6, 7, 15 and 22 of the 23 subjective items of the CADSS, each 0–4, total 0–24
(docs/clinical/reference.md §3.1; Rodrigues et al., J Affect Disord 2021;282:160-164, whose abstract
at research.regionh.dk names "questions 1, 2, 6, 7, 15, and 22 from the full length CADSS").
Items here are numbered 1–6 in that order; `CADSS_ITEMS` maps them back and each item's
`label` names its CADSS number. No severity bands (docs/clinical/reference.md: none; use the change
from pre-dose) and not critical: it is a safety measure of dissociation, read against the patient's
own baseline.

Copyrighted (docs/clinical/reference.md §3.1: Bremner/Emory, licensed via Mapi; the short form
carries the same rights question), so no item or anchor text is shipped: `text=None`,
`text_shipped=False`, answers labelled 0–4 (the anchors run from "Not at all" to "Extreme",
docs/clinical/reference.md §3.1).

Rater. The CADSS subjective items are answered by the patient, but the scale is, by its name,
clinician-administered: the interviewer reads each item and records the answer, and in the
ketamine literature it is given at set times around dosing (docs/clinical/reference.md §1.5:
baseline, ~40 min and ~1.5 h). As the texts are not shipped, it cannot be a patient-facing form here
either, so rater is "clinician" (the clinician administers and records).
"""

from __future__ import annotations

from .base import Instrument, Item, Score, numeric_options, sum_of_scored

VALUES = numeric_options(0, 4)  # docs/clinical/reference.md §3.1: 0–4 (Not at all … Extreme)
# docs/clinical/reference.md §3.1 (Rodrigues et al. 2021): the CADSS items that make up the CADSS-6.
CADSS_ITEMS = (1, 2, 6, 7, 15, 22)


def _score(instrument: Instrument, answers: tuple[int | None, ...]) -> Score:
    total = sum_of_scored(instrument, answers)
    return Score(
        instrument=instrument.id,
        total=total,
        severity=None,  # docs/clinical/reference.md §3.1: no bands
        critical=False,  # docs/clinical/reference.md §3.1: no critical item
    )


CADSS6 = Instrument(
    id="cadss6",
    name="CADSS-6",
    title="Clinician-Administered Dissociative States Scale, 6-item version (CADSS-6)",
    rater="clinician",
    items=tuple(
        Item(number, None, VALUES, label=f"CADSS item {cadss}")
        for number, cadss in enumerate(CADSS_ITEMS, 1)
    ),
    scorer=_score,
    bands=(),
    total_range=(0, 24),  # 6 items × 0–4 (docs/clinical/reference.md §3.1)
    loinc_panel=None,  # docs/clinical/reference.md §3.1: none
    loinc_total=None,
    text_shipped=False,
    licence="Copyrighted (CADSS: J. D. Bremner / Emory University, licensed via Mapi); permission "
    "needed to reproduce the items (docs/clinical/reference.md §3.1). Item and anchor texts are "
    "not shipped.",
    attribution="CADSS: Bremner JD, et al. J Trauma Stress 1998. Six-item form: Rodrigues NB, "
    "McIntyre RS, et al. A simplified 6-Item clinician administered dissociative symptom scale "
    "(CADSS-6) for monitoring dissociative effects of sub-anesthetic ketamine infusions. "
    "J Affect Disord 2021;282:160-164.",
    source="Rodrigues et al., J Affect Disord 2021;282:160-164 (abstract, research.regionh.dk: "
    "questions 1, 2, 6, 7, 15 and 22 of the 23-item CADSS); docs/clinical/reference.md §3.1",
)
