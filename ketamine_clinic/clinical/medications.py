"""Medication classes that matter when a patient receives ketamine.

A clinician codes each current medication with one of these classes (or none); later screening
and dosing rules read the class, never the free text. Why each class matters
(docs/clinical/reference.md):
- benzodiazepines, non-benzodiazepine sedative-hypnotics, psychostimulants, MAOIs and (in the
  newer form) opioids are the concomitant medicines the Spravato REMS Patient Monitoring Form
  asks about (§2.5): CNS depressants add sedation, psychostimulants and MAOIs raise blood
  pressure (Spravato PI precautions, §2.4);
- trials of IV ketamine exclude more than 3 mg lorazepam-equivalent a day (§1.2, PMC10812090);
- lamotrigine is flagged because clinics ask about it (issue #2); its effect on the ketamine
  response is not confirmed in our sources, so no rule reads it yet.
"""

from __future__ import annotations

from enum import StrEnum


class KetamineInteractionClass(StrEnum):
    NONE = "none"
    BENZODIAZEPINE = "benzodiazepine"
    LAMOTRIGINE = "lamotrigine"
    MAOI = "maoi"
    PSYCHOSTIMULANT = "psychostimulant"
    OPIOID = "opioid"
    OTHER_SEDATIVE = "other_sedative"


LABELS: dict[KetamineInteractionClass, str] = {
    KetamineInteractionClass.NONE: "None of these",
    KetamineInteractionClass.BENZODIAZEPINE: "Benzodiazepine",
    KetamineInteractionClass.LAMOTRIGINE: "Lamotrigine",
    KetamineInteractionClass.MAOI: "MAO inhibitor",
    KetamineInteractionClass.PSYCHOSTIMULANT: "Psychostimulant",
    KetamineInteractionClass.OPIOID: "Opioid",
    KetamineInteractionClass.OTHER_SEDATIVE: "Other sedative",
}
