from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from ketamine_clinic.clinical.observations import VITAL_SIGNS, ReadingError, check_reading
from ketamine_clinic.clinical.session_safety import (
    CLINIC_POLICY,
    PERIOPERATIVE,
    TRIAL_OUTLIER,
    Baseline,
    DischargeFacts,
    LimitsError,
    SessionLimits,
    bp_gate,
    discharge_criteria,
    next_reading_due,
    reading_alerts,
    symptom_alerts,
)

LIMITS = SessionLimits()


def codes(values: dict[str, D], baseline: Baseline = Baseline(), moaas: int | None = None):
    return [a.code for a in reading_alerts(LIMITS, values, baseline, moaas)]


@pytest.mark.parametrize(
    ("sbp", "dbp", "level"),
    [
        (140, 90, "ok"),
        (141, 80, "weigh"),
        (120, 91, "weigh"),
        (160, 100, "weigh"),
        (161, 90, "hold"),
        (150, 101, "hold"),
        (180, 110, "hold"),
        (181, 100, "stop"),
        (170, 111, "stop"),
    ],
)
def test_bp_gate_at_its_edges(sbp: int, dbp: int, level: str) -> None:
    assert bp_gate(LIMITS, D(sbp), D(dbp)).level == level


def test_bp_gate_sources_are_true() -> None:
    assert bp_gate(LIMITS, D(165), D(90)).source == PERIOPERATIVE
    assert "AAGBI/BHS 2016" in PERIOPERATIVE
    assert "Spravato PI" in bp_gate(LIMITS, D(145), D(90)).source


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"sbp": D(179), "dbp": D(109)}, []),
        ({"sbp": D(180), "dbp": D(109)}, ["sbp_high"]),
        ({"sbp": D(150), "dbp": D(110)}, ["dbp_high"]),
        ({"hr": D(120)}, []),
        ({"hr": D(121)}, ["hr_high"]),
        ({"hr": D(50)}, []),
        ({"hr": D(49)}, ["hr_low"]),
        ({"spo2": D(92)}, []),
        ({"spo2": D(91)}, ["spo2_low"]),
        ({"rr": D(10)}, []),
        ({"rr": D(9)}, ["rr_low"]),
    ],
)
def test_reading_alerts_at_their_edges(values: dict[str, D], expected: list[str]) -> None:
    assert codes(values) == expected


def test_rise_from_baseline_at_its_edges() -> None:
    base = Baseline(sbp=D(120), dbp=D(75))
    assert codes({"sbp": D(159), "dbp": D(99)}, base) == []
    assert codes({"sbp": D(160), "dbp": D(99)}, base) == ["sbp_rise"]
    assert codes({"sbp": D(150), "dbp": D(100)}, base) == ["dbp_rise"]
    alert = reading_alerts(LIMITS, {"sbp": D(160), "dbp": D(80)}, base)[0]
    assert alert.source == TRIAL_OUTLIER
    assert "trial outlier criteria used as alert defaults" in alert.source


def test_sedation_alerts_on_any_drop_and_at_two() -> None:
    base = Baseline(moaas=5)
    assert codes({}, base, moaas=5) == []
    assert codes({}, base, moaas=4) == ["moaas_drop"]
    assert codes({}, base, moaas=3) == ["moaas_drop"]
    assert codes({}, base, moaas=2) == ["moaas_low"]
    assert codes({}, Baseline(), moaas=3) == []


def test_hr_spo2_rr_limits_say_clinic_policy() -> None:
    assert reading_alerts(LIMITS, {"hr": D(130)}, Baseline())[0].source == CLINIC_POLICY


def test_symptoms_raise_the_highest_alert() -> None:
    (alert,) = symptom_alerts(["chest_pain"])
    assert alert.level == "emergency"
    assert "emergency care" in alert.message
    with pytest.raises(ValueError):
        symptom_alerts(["itchy_nose"])


def test_overrides_are_checked_and_keep_their_source() -> None:
    limits = SessionLimits.from_overrides(
        {"alert_sbp": {"value": 170, "source": "Riverbend protocol 2026"}, "alert_hr_high": "110"}
    )
    assert limits.alert_sbp == D(170)
    assert limits.source("alert_sbp") == "Riverbend protocol 2026"
    assert limits.source("alert_hr_high") == "protocol value (signed protocol change)"
    assert limits.source("alert_dbp") == TRIAL_OUTLIER
    assert codes({"sbp": D(175), "dbp": D(80)}) == []
    assert [a.code for a in reading_alerts(limits, {"sbp": D(175)}, Baseline())] == ["sbp_high"]
    row = next(r for r in limits.table() if r["name"] == "alert_sbp")
    assert (row["value"], row["changed"]) == ("170", "yes")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"bogus": 1}, "bogus"),
        ({"alert_sbp": "high"}, "alert_sbp"),
        ({"alert_sbp": True}, "alert_sbp"),
        ({"alert_spo2_low": 99}, "alert_spo2_low"),
        ({"bp_hold_sbp": 190}, "bp_hold_sbp"),  # above the stop value 180
        ({"bp_weigh_dbp": 105}, "bp_hold_dbp"),  # weigh above hold
    ],
)
def test_bad_overrides_name_the_limit(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(LimitsError) as error:
        SessionLimits.from_overrides(overrides)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("key", "low", "high"),
    [("sbp", 50, 300), ("dbp", 20, 200), ("hr", 20, 250), ("spo2", 50, 100), ("rr", 2, 60)],
)
def test_plausibility_at_the_edges(key: str, low: int, high: int) -> None:
    other = {"sbp": {"dbp": D(20)}, "dbp": {"sbp": D(300)}}.get(key, {})
    assert check_reading({key: D(low), **other})[key] == D(low)
    assert check_reading({key: D(high), **other})[key] == D(high)
    for bad in (low - 1, high + 1):
        with pytest.raises(ReadingError) as error:
            check_reading({key: D(bad), **other})
        assert key in error.value.errors


def test_temperature_and_diastolic_above_systolic() -> None:
    assert check_reading({"temperature": D("30.0")})["temperature"] == D(30)
    with pytest.raises(ReadingError):
        check_reading({"temperature": D("44.1")})
    with pytest.raises(ReadingError) as error:
        check_reading({"sbp": D(100), "dbp": D(101)})
    assert error.value.errors == {
        "dbp": "Diastolic blood pressure cannot be above systolic blood pressure."
    }
    assert check_reading({"sbp": D(100), "dbp": D(100)})


def test_codes_are_loinc_and_ucum() -> None:
    assert (VITAL_SIGNS["sbp"].loinc, VITAL_SIGNS["sbp"].ucum) == ("8480-6", "mm[Hg]")
    assert VITAL_SIGNS["spo2"].loinc == "59408-5"
    assert VITAL_SIGNS["temperature"].ucum == "Cel"


def test_next_reading_every_10_during_every_15_after() -> None:
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    kw = {"administration_started_at": t0, "administration_ended_at": None}
    assert next_reading_due(LIMITS, last_reading_at=None, **kw) == t0
    last = t0 + timedelta(minutes=20)
    assert next_reading_due(LIMITS, last_reading_at=last, **kw) == last + timedelta(minutes=10)
    kw["administration_ended_at"] = t0 + timedelta(minutes=40)
    assert next_reading_due(LIMITS, last_reading_at=last, **kw) == last + timedelta(minutes=15)


def _facts(**changes: object) -> DischargeFacts:
    base = {
        "minutes_monitored": D(120),
        "minimum_minutes": D(120),
        "minimum_source": "PI",
        "baseline": Baseline(sbp=D(120), dbp=D(80), hr=D(70), moaas=5),
        "last_readings": [
            {"sbp": D(145), "dbp": D(92), "hr": D(80)},
            {"sbp": D(140), "dbp": D(90), "hr": D(90)},
        ],
        "last_moaas": 5,
        "alert_and_oriented": True,
        "nausea_controlled": True,
        "walks_steadily": True,
        "walks_steadily_required": True,
        "escort_present": True,
        "instructions_given": True,
    }
    return DischargeFacts(**{**base, **changes})  # type: ignore[arg-type]


def unmet(facts: DischargeFacts) -> list[str]:
    return [c.key for c in discharge_criteria(LIMITS, facts) if not c.met]


def test_discharge_all_met_at_the_edges() -> None:
    assert unmet(_facts()) == []  # 140/90 is baseline +20/+10; HR 90 = 70 + 20


def test_discharge_each_criterion() -> None:
    assert unmet(_facts(minutes_monitored=D(119))) == ["monitoring_time"]
    assert unmet(_facts(minutes_monitored=None)) == ["monitoring_time"]
    rising = [{"sbp": D(130), "dbp": D(85)}, {"sbp": D(136), "dbp": D(85)}]
    assert unmet(_facts(last_readings=rising)) == ["bp_stable"]  # +6 > 5
    high = [{"sbp": D(141), "dbp": D(85)}, {"sbp": D(141), "dbp": D(85)}]
    assert unmet(_facts(last_readings=high)) == ["vitals_baseline"]
    assert unmet(_facts(last_readings=[{"sbp": D(130), "dbp": D(85)}])) == ["bp_stable"]
    assert unmet(_facts(last_moaas=4)) == ["moaas_5"]
    assert unmet(_facts(walks_steadily=False)) == ["walks_steadily"]
    assert unmet(_facts(walks_steadily=False, walks_steadily_required=False)) == []
    assert unmet(_facts(escort_present=False, instructions_given=False)) == [
        "escort_present",
        "instructions_given",
    ]


def test_a_symptom_with_normal_vitals_blocks_discharge() -> None:
    assert unmet(_facts(symptoms_awaiting_prescriber=["chest_pain"])) == ["symptoms_cleared"]
