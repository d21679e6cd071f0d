"""MOAA/S, the Modified Observer's Assessment of Alertness/Sedation: one clinician-rated item.

The MOAA/S keeps the responsiveness category of the OAA/S (Chernik DA, Gillings D, Laine H, et
al. Validity and reliability of the Observer's Assessment of Alertness/Sedation Scale: study
with intravenous midazolam. J Clin Psychopharmacol 1990;10:244-51) and rates it 0–5, 5 being
alert. It is the sedation scale of the esketamine label (docs/clinical/reference.md §1.5 and §2.3: 5
= responds readily to name in normal tone; 0 = no response after painful trapezius squeeze; MOAA/S 0
= loss of consciousness).

Level wording checked against: the MOAA/S table of Moderate sedation with single-dose
remimazolam tosilate… (BMC Anesthesiology 2022, doi 10.1186/s12871-022-01788-1, Table 2), whose
anchors at 5 and 0 are those of docs/clinical/reference.md; the thorax.bmj.com MOAAS table (citing
Chernik 1990) agrees for levels 5–2 and words 1–0 without the trapezius squeeze; the OAA/S table at
omicsonline.org gives "squeezing of the trapezius" for 1–0. Variants with a 6th level (Cohen et
al. 2007, asja.springeropen.com) are a different, 1–6 scale and are not this one.

No severity bands and never "critical": no published band or escalation threshold was found
(do not invent one). Lower is worse here (unlike the questionnaires). `extra` reports
`loss_of_consciousness` (score 0), the label's definition (docs/clinical/reference.md §2.3); and any
fall from the patient's pre-dose score means sedation (docs/clinical/reference.md §1.5), which needs
the pre-dose score and so is judged by the caller, not here.
"""

from __future__ import annotations

from .base import Instrument, Item, Score, answer, options

# Values 0–5, in ascending order (BMC Anesthesiology 2022 Table 2; docs/clinical/reference.md §1.5).
LEVELS = options(
    "Does not respond to painful trapezius squeeze",
    "Responds only after painful trapezius squeeze",
    "Responds only after mild prodding or shaking",
    "Responds only after name is called loudly and/or repeatedly",
    "Lethargic response to name spoken in normal tone",
    "Responds readily to name spoken in normal tone",
)
LOSS_OF_CONSCIOUSNESS = 0  # docs/clinical/reference.md §2.3: "loss of consciousness (MOAA/S 0)"


def _score(instrument: Instrument, answers: tuple[int | None, ...]) -> Score:
    level = answer(answers, 1)
    return Score(
        instrument=instrument.id,
        total=level,
        severity=None,  # no published bands
        critical=False,  # no sourced threshold
        extra={"loss_of_consciousness": level == LOSS_OF_CONSCIOUSNESS},
    )


MOAAS = Instrument(
    id="moaas",
    name="MOAA/S",
    title="Modified Observer's Assessment of Alertness/Sedation (MOAA/S)",
    rater="clinician",
    instructions=None,
    time_frame=None,  # rated at the time of observation
    items=(Item(1, "Responsiveness", LEVELS),),
    scorer=_score,
    bands=(),
    total_range=(0, 5),
    licence="Published clinical rating scale; no licence terms or permission requirement found. "
    "The level descriptions are those printed in the open literature.",
    attribution="Modified from the Observer's Assessment of Alertness/Sedation Scale: Chernik DA, "
    "et al. J Clin Psychopharmacol 1990;10:244-51.",
    source="Chernik et al., J Clin Psychopharmacol 1990 (OAA/S); BMC Anesthesiology 2022, doi "
    "10.1186/s12871-022-01788-1, Table 2 (MOAA/S levels); Spravato PI via "
    "docs/clinical/reference.md §1.5, §2.3",
)
