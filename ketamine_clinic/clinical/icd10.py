"""ICD-10-CM codes for the indications a ketamine clinic treats.

The code format follows the ICD-10-CM tabular list (CMS, FY2026): a letter, a digit, a digit or
letter, then optionally a dot and one to four more digits or letters (e.g. F33.2, F43.12, F32.A).
The catalogue below lists the codes a ketamine clinic uses most, with their tabular titles; any
well-formed code may be entered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CODE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


class InvalidCode(ValueError):
    """A string that is not an ICD-10-CM code."""


def normalise_code(raw: str) -> str:
    """Return the code upper-cased with its dot, or raise InvalidCode.

    "f332" and " F33.2 " both become "F33.2".
    """
    code = raw.strip().upper()
    if "." not in code and len(code) > 3:
        code = f"{code[:3]}.{code[3:]}"
    if not _CODE.match(code):
        raise InvalidCode(
            f"'{raw.strip()[:20]}' is not an ICD-10-CM code (expected a form like F33.2)."
        )
    return code


@dataclass(frozen=True)
class IndicationCode:
    code: str
    title: str
    group: str


# Titles from the ICD-10-CM tabular list (CMS, FY2026). ICD-10-CM has no code of its own for
# treatment-resistant depression: it is recorded as a depressive-disorder code plus the chart's
# "treatment-resistant" flag (non-response to two or more adequate antidepressant trials in the
# current episode; docs/clinical/reference.md §1.2).
CATALOGUE: tuple[IndicationCode, ...] = (
    IndicationCode("F32.1", "Major depressive disorder, single episode, moderate", "Depression"),
    IndicationCode(
        "F32.2",
        "Major depressive disorder, single episode, severe without psychotic features",
        "Depression",
    ),
    IndicationCode("F33.1", "Major depressive disorder, recurrent, moderate", "Depression"),
    IndicationCode(
        "F33.2",
        "Major depressive disorder, recurrent severe without psychotic features",
        "Depression",
    ),
    IndicationCode("F33.9", "Major depressive disorder, recurrent, unspecified", "Depression"),
    IndicationCode(
        "F31.4",
        "Bipolar disorder, current episode depressed, severe, without psychotic features",
        "Bipolar depression",
    ),
    IndicationCode(
        "F31.32", "Bipolar disorder, current episode depressed, moderate", "Bipolar depression"
    ),
    IndicationCode("F31.81", "Bipolar II disorder", "Bipolar depression"),
    IndicationCode("F41.1", "Generalized anxiety disorder", "Anxiety"),
    IndicationCode("F43.10", "Post-traumatic stress disorder, unspecified", "PTSD"),
    IndicationCode("F43.12", "Post-traumatic stress disorder, chronic", "PTSD"),
    IndicationCode("R45.851", "Suicidal ideations", "Suicidal ideation"),
    IndicationCode("G89.4", "Chronic pain syndrome", "Chronic pain"),
    IndicationCode("G89.29", "Other chronic pain", "Chronic pain"),
    IndicationCode("G90.50", "Complex regional pain syndrome I, unspecified", "Chronic pain"),
    IndicationCode("M79.7", "Fibromyalgia", "Chronic pain"),
)
_BY_CODE = {c.code: c for c in CATALOGUE}

# Depressive-disorder categories for which "treatment-resistant" is meaningful.
DEPRESSION_CATEGORIES = ("F32", "F33", "F31")


def catalogue_title(code: str) -> str | None:
    """Return the tabular title of a catalogued code, or None."""
    entry = _BY_CODE.get(code)
    return entry.title if entry else None


def is_depressive_disorder(code: str) -> bool:
    """Return whether the code is a depressive (or bipolar) disorder code."""
    return code[:3] in DEPRESSION_CATEGORIES
