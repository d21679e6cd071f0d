"""The protocols every clinic starts with, each value with where it comes from.

A value with a published source cites reference.md; every other value is a clinic policy
default (`CLINIC_DEFAULT`), shown as such, which a clinic changes by signing a new version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

CLINIC_DEFAULT = "clinic default, not a published value"

_CHAIR = {
    "prep_minutes": CLINIC_DEFAULT,
    "turnover_minutes": CLINIC_DEFAULT,
    "max_sessions_per_30_days": CLINIC_DEFAULT,
    "max_mg_per_30_days": CLINIC_DEFAULT,
    "bladder_check_every_sessions": (
        "reference.md §1.9 (PI §5.9, racemic label: ask about bladder symptoms at intervals); "
        "no published interval: " + CLINIC_DEFAULT
    ),
    "liver_tests_every_days": (
        "reference.md §1.9 (racemic label: periodic liver tests with repeated use); no published "
        "interval: " + CLINIC_DEFAULT
    ),
    "requires_urine_drug_screen": "reference.md §1.1, §1.9 (when indicated): " + CLINIC_DEFAULT,
    "instruments": (
        "reference.md §1.9 (C-SSRS screener every treatment visit; CADSS and MOAA/S before and "
        "after dosing, §1.5); the outcome questionnaire: measurement-based care"
    ),
}

# Before each session: the outcome measure and the suicide-risk screen (reference.md §1.9);
# after dosing: dissociation and sedation (§1.5).
_INSTRUMENTS: dict[str, list[str]] = {
    "before": ["phq9", "cssrs-screener", "cadss6"],
    "after": ["cadss6", "moaas"],
}


@dataclass(frozen=True)
class ProtocolSpec:
    slug: str
    name: str
    route: str
    indication_kind: str
    dose_unit: str
    dose_default: Decimal
    dose_min: Decimal
    dose_max: Decimal
    titration_step: Decimal
    administration_minutes: int
    min_monitoring_minutes: int
    phases: list[dict[str, Any]]
    max_sessions_per_30_days: int
    max_mg_per_30_days: Decimal
    source: str
    provenance: dict[str, str]
    prep_minutes: int = 15
    turnover_minutes: int = 15
    instruments: dict[str, list[str]] = field(default_factory=lambda: dict(_INSTRUMENTS))
    bladder_check_every_sessions: int = 4
    liver_tests_every_days: int = 90
    requires_urine_drug_screen: bool = False
    integration_within_days: int | None = None


D = Decimal

LIBRARY: list[ProtocolSpec] = [
    ProtocolSpec(
        slug="iv-ketamine-induction",
        name="IV racemic ketamine: induction",
        route="iv",
        indication_kind="depression",
        dose_unit="mg_per_kg",
        dose_default=D("0.5"),
        dose_min=D("0.1"),
        dose_max=D("0.75"),
        titration_step=D("0.1"),
        administration_minutes=40,
        min_monitoring_minutes=90,
        phases=[
            {
                "name": "induction",
                "sessions": 6,
                "min_gap_days": 2,
                "max_gap_days": 4,
                "per_week": 3,
                "ends": "End-of-induction review: response and remission decide what follows.",
            }
        ],
        max_sessions_per_30_days=8,
        max_mg_per_30_days=D("600"),
        source=(
            "Murrough et al., Biol Psychiatry 2013;74:250–256 (six infusions of 0.5 mg/kg over "
            "40 min, three a week); Andrade, J Clin Psychiatry 2017 (0.1–0.75 mg/kg); "
            "reference.md §1.3, §1.4."
        ),
        provenance={
            **_CHAIR,
            "dose_default": "reference.md §1.3: 0.5 mg/kg over 40 min (Murrough 2013)",
            "dose_min": "reference.md §1.3: responders as low as 0.1 mg/kg (Andrade 2017)",
            "dose_max": "reference.md §1.3: some need up to 0.75 mg/kg (Andrade 2017)",
            "titration_step": "issue #10 clinic rule (+0.1–0.25 mg/kg when response is "
            "insufficient and tolerated): " + CLINIC_DEFAULT,
            "administration_minutes": "reference.md §1.3: 40 min conventional",
            "min_monitoring_minutes": "reference.md §1.5 (Gdańsk: vital signs back to baseline "
            "within 1.5 h after the infusion): " + CLINIC_DEFAULT,
            "phases": "reference.md §1.4: 6 infusions, three a week (Murrough 2013; common "
            "clinic pattern); a day between sessions (issue #10); at most 4 days apart: "
            + CLINIC_DEFAULT,
        },
    ),
    ProtocolSpec(
        slug="iv-ketamine-maintenance",
        name="IV racemic ketamine: maintenance / booster",
        route="iv",
        indication_kind="depression",
        dose_unit="mg_per_kg",
        dose_default=D("0.5"),
        dose_min=D("0.1"),
        dose_max=D("0.75"),
        titration_step=D("0.1"),
        administration_minutes=40,
        min_monitoring_minutes=90,
        phases=[
            {
                "name": "maintenance",
                "sessions": 3,
                "min_gap_days": 14,
                "max_gap_days": 28,
                "ends": "Individualised: a booster when symptoms return (booster due).",
            }
        ],
        max_sessions_per_30_days=3,
        max_mg_per_30_days=D("300"),
        source=(
            "CANMAT 2021 (maintenance case by case, Level 3); Andrade 2017 (individualise so the "
            "next dose comes a little before the effect wears off); reference.md §1.4."
        ),
        provenance={
            **_CHAIR,
            "dose_default": "reference.md §1.3: 0.5 mg/kg over 40 min",
            "dose_min": "reference.md §1.3",
            "dose_max": "reference.md §1.3",
            "titration_step": CLINIC_DEFAULT,
            "administration_minutes": "reference.md §1.3",
            "min_monitoring_minutes": "reference.md §1.5: " + CLINIC_DEFAULT,
            "phases": "reference.md §1.4: interval individualised; every 2–4 weeks: "
            + CLINIC_DEFAULT,
        },
    ),
    ProtocolSpec(
        slug="im-ketamine",
        name="IM racemic ketamine",
        route="im",
        indication_kind="depression",
        dose_unit="mg_per_kg",
        dose_default=D("0.5"),
        dose_min=D("0.5"),
        dose_max=D("1.0"),
        titration_step=D("0.1"),
        administration_minutes=5,
        min_monitoring_minutes=90,
        phases=[
            {
                "name": "induction",
                "sessions": 6,
                "min_gap_days": 2,
                "max_gap_days": 4,
                "per_week": 3,
                "ends": "End-of-induction review.",
            }
        ],
        max_sessions_per_30_days=8,
        max_mg_per_30_days=D("800"),
        source=(
            "Andrade 2017 (IM bolus reported safe and effective); BMC Psychiatry 2022;22:634 "
            "(real-world IM cohort, median 4 treatments); reference.md §1.3. The usual IM dose "
            "0.5–1 mg/kg is unconfirmed (reference.md §1.3, §6)."
        ),
        provenance={
            **_CHAIR,
            "dose_default": "reference.md §1.3: 0.5–1 mg/kg (unconfirmed): " + CLINIC_DEFAULT,
            "dose_min": "reference.md §1.3 (unconfirmed): " + CLINIC_DEFAULT,
            "dose_max": "reference.md §1.3 (unconfirmed): " + CLINIC_DEFAULT,
            "titration_step": CLINIC_DEFAULT,
            "administration_minutes": "a bolus: " + CLINIC_DEFAULT,
            "min_monitoring_minutes": CLINIC_DEFAULT,
            "phases": "the IV series pattern (reference.md §1.4) applied to IM: " + CLINIC_DEFAULT,
        },
    ),
    ProtocolSpec(
        slug="esketamine-label",
        name="Intranasal esketamine (Spravato, TRD label schedule)",
        route="intranasal",
        indication_kind="depression",
        dose_unit="mg",
        dose_default=D("56"),
        dose_min=D("56"),
        dose_max=D("84"),
        titration_step=D("28"),
        administration_minutes=15,
        min_monitoring_minutes=120,
        phases=[
            {
                "name": "induction",
                "sessions": 8,
                "min_gap_days": 2,
                "max_gap_days": 5,
                "per_week": 2,
                "from_week": 1,
                "first_session_dose": "56",
                "ends": "Week 4: assess the benefit at the end of induction (PI).",
            },
            {
                "name": "maintenance weekly",
                "sessions": 4,
                "min_gap_days": 5,
                "max_gap_days": 9,
                "per_week": 1,
                "from_week": 5,
                "ends": "Week 8.",
            },
            {
                "name": "maintenance every 1–2 weeks",
                "sessions": 4,
                "min_gap_days": 7,
                "max_gap_days": 14,
                "per_week": 1,
                "from_week": 9,
                "ends": "Individualise to the least frequent dosing that keeps the response.",
            },
        ],
        max_sessions_per_30_days=9,
        max_mg_per_30_days=D("756"),
        source=(
            "SPRAVATO US prescribing information, dosage (reference.md §2.2): weeks 1–4 twice "
            "weekly (day 1 56 mg, then 56 or 84 mg), weeks 5–8 weekly, week 9 on every 2 weeks "
            "or weekly; 28 mg per device (§2.1); observe at least 2 h (§2.3, §2.5 REMS)."
        ),
        provenance={
            **_CHAIR,
            "dose_default": "reference.md §2.2: day 1 56 mg",
            "dose_min": "reference.md §2.2: 56 mg",
            "dose_max": "reference.md §2.2: 84 mg",
            "titration_step": "reference.md §2.1: one 28 mg device",
            "administration_minutes": "reference.md §2.1: 5 min between devices, up to three",
            "min_monitoring_minutes": "reference.md §2.3, §2.5: at least 2 h",
            "phases": "reference.md §2.2; the least days between sessions within a week: "
            + CLINIC_DEFAULT,
            "max_sessions_per_30_days": "the label schedule's most in 30 days (8 in weeks 1–4 "
            "and the first of week 5), reference.md §2.2",
            "max_mg_per_30_days": "9 sessions × 84 mg, reference.md §2.2",
        },
    ),
    ProtocolSpec(
        slug="esketamine-mdsi",
        name="Intranasal esketamine: depression with acute suicidal ideation (MDSI)",
        route="intranasal",
        indication_kind="suicidal_ideation",
        dose_unit="mg",
        dose_default=D("84"),
        dose_min=D("56"),
        dose_max=D("84"),
        titration_step=D("28"),
        administration_minutes=15,
        min_monitoring_minutes=120,
        phases=[
            {
                "name": "induction",
                "sessions": 8,
                "min_gap_days": 2,
                "max_gap_days": 5,
                "per_week": 2,
                "from_week": 1,
                "ends": "Week 4: beyond 4 weeks not systematically evaluated (PI).",
            }
        ],
        max_sessions_per_30_days=9,
        max_mg_per_30_days=D("756"),
        source=(
            "SPRAVATO US prescribing information, MDSI (reference.md §2.2): 84 mg twice weekly "
            "for 4 weeks, may reduce to 56 mg for tolerability; reference.md §1.9."
        ),
        provenance={
            **_CHAIR,
            "dose_default": "reference.md §2.2: 84 mg",
            "dose_min": "reference.md §2.2: reduce to 56 mg for tolerability",
            "dose_max": "reference.md §2.2: 84 mg",
            "titration_step": "reference.md §2.1: one 28 mg device",
            "administration_minutes": "reference.md §2.1",
            "min_monitoring_minutes": "reference.md §2.3, §2.5: at least 2 h",
            "phases": "reference.md §2.2: twice weekly for 4 weeks",
        },
    ),
    ProtocolSpec(
        slug="ketamine-assisted-psychotherapy",
        name="Ketamine-assisted psychotherapy (IM)",
        route="im",
        indication_kind="psychotherapy",
        dose_unit="mg_per_kg",
        dose_default=D("0.5"),
        dose_min=D("0.5"),
        dose_max=D("1.0"),
        titration_step=D("0.1"),
        administration_minutes=5,
        min_monitoring_minutes=120,
        phases=[
            {
                "name": "dosing",
                "sessions": 3,
                "min_gap_days": 7,
                "max_gap_days": 14,
                "per_week": 1,
                "ends": "After the third dosing session and its integration session.",
            }
        ],
        max_sessions_per_30_days=4,
        max_mg_per_30_days=D("400"),
        integration_within_days=3,
        source=(
            "No published KAP regimen in reference.md: every value is a clinic default; the IM "
            "dose range is unconfirmed (reference.md §1.3)."
        ),
        provenance={
            **_CHAIR,
            "dose_default": "reference.md §1.3 (IM, unconfirmed): " + CLINIC_DEFAULT,
            "dose_min": CLINIC_DEFAULT,
            "dose_max": CLINIC_DEFAULT,
            "titration_step": CLINIC_DEFAULT,
            "administration_minutes": CLINIC_DEFAULT,
            "min_monitoring_minutes": CLINIC_DEFAULT,
            "phases": CLINIC_DEFAULT,
            "integration_within_days": CLINIC_DEFAULT,
        },
    ),
    ProtocolSpec(
        slug="iv-ketamine-crps",
        name="IV ketamine for CRPS (chronic pain): 4 h a day for 10 days",
        route="iv",
        indication_kind="chronic_pain",
        dose_unit="mg_per_kg_per_hour",
        dose_default=D("0.35"),
        dose_min=D("0.1"),
        dose_max=D("0.35"),
        titration_step=D("0"),
        administration_minutes=240,
        min_monitoring_minutes=60,
        phases=[
            {
                "name": "infusion series",
                "sessions": 10,
                "min_gap_days": 1,
                "max_gap_days": 1,
                "ends": "After the tenth consecutive day (benefit up to 12 weeks).",
            }
        ],
        max_sessions_per_30_days=10,
        max_mg_per_30_days=D("1500"),
        requires_urine_drug_screen=True,
        instruments={"before": ["cssrs-screener"], "after": ["cadss6", "moaas"]},
        source=(
            "ASRA/AAPM/ASA consensus guidelines on IV ketamine for chronic pain (Cohen et al., "
            "Reg Anesth Pain Med 2018;43:521–546): CRPS, 0.35 mg/kg/h over 4 h daily for 10 "
            "days (moderate evidence); reference.md §1.7. The continuous 22 mg/h for 4 days "
            "regimen needs an inpatient bed, not a day chair, and is not offered here."
        ),
        provenance={
            **_CHAIR,
            "dose_default": "reference.md §1.7: 0.35 mg/kg/h over 4 h",
            "dose_min": CLINIC_DEFAULT,
            "dose_max": "reference.md §1.7: 0.35 mg/kg/h",
            "titration_step": "none in the regimen (reference.md §1.7)",
            "administration_minutes": "reference.md §1.7: 4 h",
            "min_monitoring_minutes": CLINIC_DEFAULT,
            "phases": "reference.md §1.7, §1.9: 10 consecutive days",
            "requires_urine_drug_screen": "reference.md §1.9 (no repeat infusions during active "
            "substance misuse, Cohen 2018): " + CLINIC_DEFAULT,
        },
    ),
]

BY_SLUG = {spec.slug: spec for spec in LIBRARY}
