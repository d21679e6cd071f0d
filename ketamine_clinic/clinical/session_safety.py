"""Safety rules of a treatment session: the blood-pressure gate before dosing, the alerts on
each reading, the symptoms that escalate whatever the numbers say, the monitoring interval, and
the discharge criteria.

Every number is a `SessionLimits` field with its default and where it comes from, in the words
of reference.md §1.9: a protocol changes any of them (`SessionLimits.from_overrides`, the
protocol's `session_limits`), and the screen shows the source beside the value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

PERIOPERATIVE = (
    "perioperative value (AAGBI/BHS 2016, Hartle et al., Anaesthesia 2016;71:326–337), "
    "not a ketamine source (reference.md §1.9)"
)
PI_WEIGH = "Spravato PI: weigh the risk when baseline BP is elevated (reference.md §1.6, §2.3)"
TRIAL_OUTLIER = (
    "Spravato PI (§6.1 table): trial outlier criteria used as alert defaults (reference.md §1.9)"
)
CLINIC_POLICY = "clinic policy default, no published source (reference.md §1.9)"
EMORY = "Emory series: BP every 10 min during the infusion, every 15 min after (reference.md §1.5)"
PI_SEDATION = (
    "Spravato PI: any drop in MOAA/S from the pre-dose score is sedation (reference.md §1.5, §1.9)"
)
PI_MONITORING = "Spravato PI and REMS: observe at least 2 h after dosing (reference.md §1.8, §2.5)"


@dataclass(frozen=True)
class LimitInfo:
    label: str
    unit: str
    source: str
    low: int  # what a protocol may set it to
    high: int


# What each limit means, where its default comes from, and the values a protocol may choose.
LIMITS: dict[str, LimitInfo] = {
    "bp_weigh_sbp": LimitInfo("Weigh the risk above systolic", "mmHg", PI_WEIGH, 100, 200),
    "bp_weigh_dbp": LimitInfo("Weigh the risk above diastolic", "mmHg", PI_WEIGH, 50, 130),
    "bp_hold_sbp": LimitInfo(
        "Hold (prescriber signs) above systolic", "mmHg", PERIOPERATIVE, 100, 220
    ),
    "bp_hold_dbp": LimitInfo(
        "Hold (prescriber signs) above diastolic", "mmHg", PERIOPERATIVE, 50, 140
    ),
    "bp_stop_sbp": LimitInfo(
        "Do not proceed above systolic (emergency reason only)", "mmHg", PERIOPERATIVE, 100, 240
    ),
    "bp_stop_dbp": LimitInfo(
        "Do not proceed above diastolic (emergency reason only)", "mmHg", PERIOPERATIVE, 50, 150
    ),
    "alert_sbp": LimitInfo("Alert at systolic of at least", "mmHg", TRIAL_OUTLIER, 100, 240),
    "alert_dbp": LimitInfo("Alert at diastolic of at least", "mmHg", TRIAL_OUTLIER, 50, 150),
    "alert_sbp_rise": LimitInfo(
        "Alert at a systolic rise from baseline of at least", "mmHg", TRIAL_OUTLIER, 5, 100
    ),
    "alert_dbp_rise": LimitInfo(
        "Alert at a diastolic rise from baseline of at least", "mmHg", TRIAL_OUTLIER, 5, 60
    ),
    "alert_hr_high": LimitInfo("Alert at heart rate above", "/min", CLINIC_POLICY, 80, 200),
    "alert_hr_low": LimitInfo("Alert at heart rate below", "/min", CLINIC_POLICY, 30, 70),
    "alert_spo2_low": LimitInfo("Alert at SpO2 below", "%", CLINIC_POLICY, 80, 98),
    "alert_rr_low": LimitInfo("Alert at respiratory rate below", "/min", CLINIC_POLICY, 4, 16),
    "alert_moaas_at_most": LimitInfo(
        "Alert at MOAA/S of at most (and at any drop from pre-dose)", "", CLINIC_POLICY, 0, 4
    ),
    "interval_during_min": LimitInfo("Vitals every, during administration", "min", EMORY, 1, 30),
    "interval_after_min": LimitInfo("Vitals every, after administration", "min", EMORY, 1, 60),
    "esketamine_min_monitoring_min": LimitInfo(
        "Minimum monitoring after esketamine", "min", PI_MONITORING, 120, 480
    ),
    "discharge_sbp_within": LimitInfo(
        "Discharge: systolic at most this above baseline", "mmHg", CLINIC_POLICY, 0, 60
    ),
    "discharge_dbp_within": LimitInfo(
        "Discharge: diastolic at most this above baseline", "mmHg", CLINIC_POLICY, 0, 40
    ),
    "discharge_hr_within": LimitInfo(
        "Discharge: heart rate at most this above baseline", "/min", CLINIC_POLICY, 0, 60
    ),
    "discharge_bp_stable_mmhg": LimitInfo(
        "Discharge: the last BP counts as stable if it rose by at most",
        "mmHg",
        CLINIC_POLICY,
        0,
        20,
    ),
}


def _n(value: Decimal | int | None) -> str:
    """A number as a clinician writes it: 128, not 128.0; 36.8 stays 36.8."""
    if value is None:
        return "—"
    return format(Decimal(value).normalize(), "f")


class LimitsError(ValueError):
    """A protocol's override that cannot be used; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class SessionLimits:
    """Every threshold of a session, with its default (sources in `LIMITS`)."""

    bp_weigh_sbp: Decimal = Decimal(140)
    bp_weigh_dbp: Decimal = Decimal(90)
    bp_hold_sbp: Decimal = Decimal(160)
    bp_hold_dbp: Decimal = Decimal(100)
    bp_stop_sbp: Decimal = Decimal(180)
    bp_stop_dbp: Decimal = Decimal(110)
    alert_sbp: Decimal = Decimal(180)
    alert_dbp: Decimal = Decimal(110)
    alert_sbp_rise: Decimal = Decimal(40)
    alert_dbp_rise: Decimal = Decimal(25)
    alert_hr_high: Decimal = Decimal(120)
    alert_hr_low: Decimal = Decimal(50)
    alert_spo2_low: Decimal = Decimal(92)
    alert_rr_low: Decimal = Decimal(10)
    alert_moaas_at_most: Decimal = Decimal(2)
    interval_during_min: Decimal = Decimal(10)
    interval_after_min: Decimal = Decimal(15)
    esketamine_min_monitoring_min: Decimal = Decimal(120)
    discharge_sbp_within: Decimal = Decimal(20)
    discharge_dbp_within: Decimal = Decimal(10)
    discharge_hr_within: Decimal = Decimal(20)
    discharge_bp_stable_mmhg: Decimal = Decimal(5)
    # The source of each value that a protocol changed (its own words), by field name.
    overridden: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, Any] | None) -> SessionLimits:
        """Return the defaults with a protocol's overrides applied, each checked.

        An override is `{"name": value}` or `{"name": {"value": value, "source": "..."}}`;
        an unknown name, a value that is not a number, or one outside what the limit may be set
        to raises LimitsError naming it. The hold must lie between the weigh and stop values.
        """
        changes: dict[str, Decimal] = {}
        sources: dict[str, str] = {}
        for name, raw in (overrides or {}).items():
            info = LIMITS.get(name)
            if info is None:
                raise LimitsError(name, "not a session limit.")
            value, source = (
                (raw.get("value"), str(raw.get("source") or ""))
                if isinstance(raw, Mapping)
                else (raw, "")
            )
            if isinstance(value, bool):
                raise LimitsError(name, "not a number.")
            try:
                number = Decimal(str(value))
            except (InvalidOperation, ValueError):
                raise LimitsError(name, "not a number.") from None
            if not number.is_finite() or not info.low <= number <= info.high:
                raise LimitsError(name, f"must be between {info.low} and {info.high}.")
            changes[name] = number
            sources[name] = source.strip() or "protocol value (signed protocol change)"
        limits = replace(cls(), **changes, overridden=sources)
        for side in ("sbp", "dbp"):
            weigh, hold, stop = (
                getattr(limits, f"bp_{k}_{side}") for k in ("weigh", "hold", "stop")
            )
            if not weigh <= hold <= stop:
                raise LimitsError(
                    f"bp_hold_{side}", "the hold value must lie between the weigh and stop values."
                )
        return limits

    def value(self, name: str) -> Decimal:
        number: Decimal = getattr(self, name)
        return number

    def source(self, name: str) -> str:
        """Where the value in force comes from."""
        return self.overridden.get(name) or LIMITS[name].source

    def table(self) -> list[dict[str, str]]:
        """Each limit as shown on screen: label, value, unit, source, whether changed."""
        return [
            {
                "name": name,
                "label": info.label,
                "value": format(self.value(name).normalize(), "f"),
                "unit": info.unit,
                "source": self.source(name),
                "changed": "yes" if name in self.overridden else "",
            }
            for name, info in LIMITS.items()
        ]


def limit_names() -> list[str]:
    return [f.name for f in fields(SessionLimits) if f.name != "overridden"]


# --- The blood-pressure gate before dosing (issue #11 step 1; reference.md §1.6, §1.9) -------

GATE_OK, GATE_WEIGH, GATE_HOLD, GATE_STOP = "ok", "weigh", "hold", "stop"


@dataclass(frozen=True)
class BpGate:
    level: str  # ok / weigh / hold / stop
    message: str
    source: str

    @property
    def needs_decision(self) -> bool:
        return self.level != GATE_OK

    @property
    def needs_prescriber(self) -> bool:
        return self.level in (GATE_HOLD, GATE_STOP)


def bp_gate(limits: SessionLimits, sbp: Decimal, dbp: Decimal) -> BpGate:
    """Where a pre-dose BP falls: above the stop values only with a documented emergency reason,
    above the hold values only with a prescriber's sign-off, above the weigh values with a
    documented weighing of the risk ("above" is strictly greater)."""
    bp = f"{_n(sbp)}/{_n(dbp)} mmHg"
    if sbp > limits.bp_stop_sbp or dbp > limits.bp_stop_dbp:
        return BpGate(
            GATE_STOP,
            f"{bp} is above {_n(limits.bp_stop_sbp)}/{_n(limits.bp_stop_dbp)}: "
            "do not proceed without a "
            "documented emergency reason signed by a prescriber.",
            limits.source("bp_stop_sbp"),
        )
    if sbp > limits.bp_hold_sbp or dbp > limits.bp_hold_dbp:
        return BpGate(
            GATE_HOLD,
            f"{bp} is above {_n(limits.bp_hold_sbp)}/{_n(limits.bp_hold_dbp)}: "
            "hold unless a prescriber "
            "signs to proceed.",
            limits.source("bp_hold_sbp"),
        )
    if sbp > limits.bp_weigh_sbp or dbp > limits.bp_weigh_dbp:
        return BpGate(
            GATE_WEIGH,
            f"{bp} is above {_n(limits.bp_weigh_sbp)}/{_n(limits.bp_weigh_dbp)}: "
            "weigh the short-term "
            "rise against the benefit, and document the decision.",
            limits.source("bp_weigh_sbp"),
        )
    return BpGate(GATE_OK, f"{bp}: within the pre-dose limits.", limits.source("bp_weigh_sbp"))


# --- Alerts on a reading (issue #11 step 4, issue #17) -------------------------------------

LEVEL_WARNING, LEVEL_DANGER, LEVEL_EMERGENCY = "warning", "danger", "emergency"


@dataclass(frozen=True)
class Alert:
    code: str
    level: str
    message: str
    source: str


@dataclass(frozen=True)
class Baseline:
    sbp: Decimal | None = None
    dbp: Decimal | None = None
    hr: Decimal | None = None
    moaas: int | None = None  # the pre-dose MOAA/S


def reading_alerts(
    limits: SessionLimits,
    values: Mapping[str, Decimal],
    baseline: Baseline,
    moaas: int | None = None,
) -> list[Alert]:
    """The alerts one reading raises (limits crossed at or beyond the value; rises from the
    baseline; sedation at MOAA/S ≤ the limit or any drop from the pre-dose score)."""
    alerts: list[Alert] = []
    sbp, dbp = values.get("sbp"), values.get("dbp")
    hr, spo2, rr = values.get("hr"), values.get("spo2"), values.get("rr")

    def add(code: str, level: str, message: str, limit: str) -> None:
        alerts.append(Alert(code, level, message, limits.source(limit)))

    if sbp is not None and sbp >= limits.alert_sbp:
        add(
            "sbp_high",
            LEVEL_DANGER,
            f"Systolic {_n(sbp)} mmHg ≥ {_n(limits.alert_sbp)}.",
            "alert_sbp",
        )
    if dbp is not None and dbp >= limits.alert_dbp:
        add(
            "dbp_high",
            LEVEL_DANGER,
            f"Diastolic {_n(dbp)} mmHg ≥ {_n(limits.alert_dbp)}.",
            "alert_dbp",
        )
    if sbp is not None and baseline.sbp is not None:
        rise = sbp - baseline.sbp
        if rise >= limits.alert_sbp_rise:
            add(
                "sbp_rise",
                LEVEL_DANGER,
                f"Systolic up {_n(rise)} mmHg from baseline {_n(baseline.sbp)} "
                f"(≥ {_n(limits.alert_sbp_rise)}).",
                "alert_sbp_rise",
            )
    if dbp is not None and baseline.dbp is not None:
        rise = dbp - baseline.dbp
        if rise >= limits.alert_dbp_rise:
            add(
                "dbp_rise",
                LEVEL_DANGER,
                f"Diastolic up {_n(rise)} mmHg from baseline {_n(baseline.dbp)} "
                f"(≥ {_n(limits.alert_dbp_rise)}).",
                "alert_dbp_rise",
            )
    if hr is not None and hr > limits.alert_hr_high:
        add(
            "hr_high",
            LEVEL_DANGER,
            f"Heart rate {_n(hr)}/min > {_n(limits.alert_hr_high)}.",
            "alert_hr_high",
        )
    if hr is not None and hr < limits.alert_hr_low:
        add(
            "hr_low",
            LEVEL_DANGER,
            f"Heart rate {_n(hr)}/min < {_n(limits.alert_hr_low)}.",
            "alert_hr_low",
        )
    if spo2 is not None and spo2 < limits.alert_spo2_low:
        add(
            "spo2_low",
            LEVEL_DANGER,
            f"SpO2 {_n(spo2)}% < {_n(limits.alert_spo2_low)}%.",
            "alert_spo2_low",
        )
    if rr is not None and rr < limits.alert_rr_low:
        add(
            "rr_low",
            LEVEL_DANGER,
            f"Respiratory rate {_n(rr)}/min < {_n(limits.alert_rr_low)}.",
            "alert_rr_low",
        )
    if moaas is not None:
        if moaas <= limits.alert_moaas_at_most:
            add(
                "moaas_low",
                LEVEL_DANGER,
                f"MOAA/S {_n(moaas)} ≤ {_n(limits.alert_moaas_at_most)}.",
                "alert_moaas_at_most",
            )
        elif baseline.moaas is not None and moaas < baseline.moaas:
            alerts.append(
                Alert(
                    "moaas_drop",
                    LEVEL_WARNING,
                    f"MOAA/S {_n(moaas)}, down from {_n(baseline.moaas)} before the dose: "
                    "sedation.",
                    PI_SEDATION,
                )
            )
    return alerts


# --- Symptoms that escalate whatever the numbers say (issue #17; reference.md §1.9) --------

SYMPTOM_SOURCE = (
    "Spravato PI, Warnings (increase in blood pressure): refer for emergency care immediately "
    "(reference.md §1.9)"
)
ESCALATING_SYMPTOMS: dict[str, str] = {
    "chest_pain": "Chest pain",
    "shortness_of_breath": "Shortness of breath",
    "sudden_severe_headache": "Sudden severe headache",
    "visual_disturbance": "Visual disturbance",
    "seizure": "Seizure",
    "diminished_consciousness": "Diminished consciousness",
    "focal_neurological_deficit": "Focal neurological deficit",
}


def symptom_alerts(codes: Sequence[str]) -> list[Alert]:
    """The highest alert for each escalating symptom reported: emergency referral prompted."""
    unknown = [c for c in codes if c not in ESCALATING_SYMPTOMS]
    if unknown:
        raise ValueError(f"unknown symptom {unknown[0]!r}")
    return [
        Alert(
            f"symptom_{code}",
            LEVEL_EMERGENCY,
            f"{ESCALATING_SYMPTOMS[code]}: refer for emergency care now; the prescriber is "
            "notified and discharge waits for the prescriber's outcome.",
            SYMPTOM_SOURCE,
        )
        for code in codes
    ]


# Side effects on the flowsheet (issue #11 step 4), coded.
SIDE_EFFECTS: dict[str, str] = {
    "nausea": "Nausea",
    "vomiting": "Vomiting",
    "dizziness": "Dizziness",
    "headache": "Headache",
    "dissociation": "Dissociation",
    "anxiety": "Anxiety",
    "sedation": "Sedation",
    "hypertension": "Hypertension",
    "tachycardia": "Tachycardia",
    "hallucinations": "Hallucinations",
    "confusion": "Confusion",
    "respiratory_depression": "Respiratory depression",
    "other": "Other",
}

# Medication changes since the last visit that the check-in flags (issue #17; the REMS PMF's
# concomitant-medicine question, reference.md §1.9, §2.5).
MEDICATION_FLAGS: dict[str, str] = {
    "benzodiazepine": "Benzodiazepine",
    "sedative_hypnotic": "Non-benzodiazepine sedative-hypnotic",
    "alcohol_cns_depressant": "Alcohol or another CNS depressant",
    "maoi": "MAO inhibitor",
    "psychostimulant": "Psychostimulant",
    "opioid": "Opioid",
}


# --- Monitoring interval (reference.md §1.5) -----------------------------------------------


def next_reading_due(
    limits: SessionLimits,
    *,
    last_reading_at: datetime | None,
    administration_started_at: datetime | None,
    administration_ended_at: datetime | None,
) -> datetime | None:
    """When the next vitals reading is due: every `interval_during_min` while the drug is
    given, every `interval_after_min` after; at the start of administration if none was taken
    since. None before administration starts."""
    if administration_started_at is None:
        return None
    during = administration_ended_at is None
    if last_reading_at is None or last_reading_at < administration_started_at:
        return administration_started_at
    minutes = limits.interval_during_min if during else limits.interval_after_min
    return last_reading_at + timedelta(minutes=float(minutes))


# --- Discharge criteria (issue #11 step 6; reference.md §1.8, §1.9) -----------------------

ACEP_NOT_REQUIRED = (
    "clinic choice: ACEP 2011 does not require unassisted walking (reference.md §1.8, §1.9)"
)
RCEM = "RCEM procedural-sedation discharge examples (reference.md §1.8)"
PI_DRIVING = "Spravato PI: no driving until the next day after restful sleep (reference.md §1.8)"


@dataclass(frozen=True)
class DischargeFacts:
    minutes_monitored: Decimal | None  # since administration ended; None: not ended
    minimum_minutes: Decimal
    minimum_source: str
    baseline: Baseline
    last_readings: Sequence[Mapping[str, Decimal]]  # newest last, each with sbp/dbp/hr if taken
    last_moaas: int | None
    alert_and_oriented: bool
    nausea_controlled: bool
    walks_steadily: bool
    walks_steadily_required: bool
    escort_present: bool
    instructions_given: bool
    symptoms_awaiting_prescriber: Sequence[str] = ()


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    met: bool
    detail: str
    source: str


def discharge_criteria(limits: SessionLimits, facts: DischargeFacts) -> list[Criterion]:
    """Each discharge criterion, met or not, with why."""
    out: list[Criterion] = []
    minutes = facts.minutes_monitored
    out.append(
        Criterion(
            "monitoring_time",
            f"Monitored at least {_n(facts.minimum_minutes)} min after administration",
            minutes is not None and minutes >= facts.minimum_minutes,
            "administration not finished" if minutes is None else f"{_n(minutes)} min so far",
            facts.minimum_source,
        )
    )
    bp = [r for r in facts.last_readings if "sbp" in r and "dbp" in r]
    last = bp[-1] if bp else None
    base = facts.baseline
    within, detail = False, "no blood pressure after administration"
    if last is not None and base.sbp is not None and base.dbp is not None:
        problems = []
        if last["sbp"] > base.sbp + limits.discharge_sbp_within:
            problems.append(
                f"systolic {_n(last['sbp'])} > baseline {_n(base.sbp)} + "
                f"{_n(limits.discharge_sbp_within)}"
            )
        if last["dbp"] > base.dbp + limits.discharge_dbp_within:
            problems.append(
                f"diastolic {_n(last['dbp'])} > baseline {_n(base.dbp)} + "
                f"{_n(limits.discharge_dbp_within)}"
            )
        last_hr = next((r["hr"] for r in reversed(facts.last_readings) if "hr" in r), None)
        if (
            last_hr is not None
            and base.hr is not None
            and (last_hr > base.hr + limits.discharge_hr_within)
        ):
            problems.append(
                f"heart rate {_n(last_hr)} > baseline {_n(base.hr)} + "
                f"{_n(limits.discharge_hr_within)}"
            )
        within = not problems
        detail = "; ".join(problems) or (
            f"last {_n(last['sbp'])}/{_n(last['dbp'])} vs baseline {_n(base.sbp)}/{_n(base.dbp)}"
        )
    out.append(
        Criterion(
            "vitals_baseline",
            "Vital signs back within range of baseline",
            within,
            detail,
            limits.source("discharge_sbp_within"),
        )
    )
    stable, detail = False, "needs two blood pressure readings after administration"
    if len(bp) >= 2:
        before, now = bp[-2], bp[-1]
        tolerance = limits.discharge_bp_stable_mmhg
        stable = now["sbp"] <= before["sbp"] + tolerance and now["dbp"] <= before["dbp"] + tolerance
        detail = f"{_n(before['sbp'])}/{_n(before['dbp'])} then {_n(now['sbp'])}/{_n(now['dbp'])}"
    out.append(
        Criterion(
            "bp_stable",
            "Last two BP readings falling or stable",
            stable,
            detail,
            "Spravato PI via reference.md §1.9; tolerance: "
            + limits.source("discharge_bp_stable_mmhg"),
        )
    )
    out.append(
        Criterion("alert_oriented", "Alert and oriented", facts.alert_and_oriented, "", RCEM)
    )
    out.append(
        Criterion(
            "moaas_5",
            "MOAA/S 5 (responds readily to name)",
            facts.last_moaas == 5,
            "no MOAA/S recorded" if facts.last_moaas is None else f"last MOAA/S {facts.last_moaas}",
            "MOAA/S 5 = pre-treatment responsiveness (reference.md §1.5, §1.8)",
        )
    )
    out.append(
        Criterion("nausea_controlled", "Nausea controlled", facts.nausea_controlled, "", RCEM)
    )
    if facts.walks_steadily_required:
        out.append(
            Criterion(
                "walks_steadily", "Walks steadily", facts.walks_steadily, "", ACEP_NOT_REQUIRED
            )
        )
    out.append(
        Criterion(
            "escort_present",
            "Responsible adult escort present",
            facts.escort_present,
            "",
            RCEM + "; " + PI_DRIVING,
        )
    )
    out.append(
        Criterion(
            "instructions_given",
            "Written instructions given (no driving until the next day after sleep)",
            facts.instructions_given,
            "",
            PI_DRIVING,
        )
    )
    pending = list(facts.symptoms_awaiting_prescriber)
    out.append(
        Criterion(
            "symptoms_cleared",
            "No escalating symptom awaiting the prescriber's outcome",
            not pending,
            ", ".join(ESCALATING_SYMPTOMS.get(s, s) for s in pending),
            SYMPTOM_SOURCE,
        )
    )
    return out
