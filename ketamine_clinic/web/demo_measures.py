"""Demo score histories: questionnaire schedules, courses of PHQ-9 / GAD-7 / PCL-5 answers
over the past weeks, safety alerts (most acknowledged), and self-report links.

Answers are invented but go through the same services as real ones, so the scores, alerts
and audit rows are what the product itself computes.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.utils import timezone

from ketamine_clinic.accounts.models import Clinic, StaffMember
from ketamine_clinic.clinical.instruments import INSTRUMENTS, Instrument
from ketamine_clinic.measures import services
from ketamine_clinic.measures.models import MeasureSchedule, SafetyAlert
from ketamine_clinic.patients.models import Patient

# Which instruments follow which primary indication in the demo.
_BY_GROUP = {"F3": ["phq9"], "F41": ["gad7", "phq9"], "F43": ["pcl5", "phq9"], "G": ["phq9"]}
_ACK_NOTES = [
    (
        "contacted_by_phone",
        "Called the same day: passive thoughts, no plan or intent; "
        "safety plan reviewed; partner at home.",
    ),
    (
        "assessed_in_person",
        "Seen before the session: fleeting thoughts, denies intent; "
        "proceeded with treatment; crisis line number given.",
    ),
    (
        "safety_plan",
        "Safety plan updated with the patient and their escort; follow-up call "
        "booked for tomorrow.",
    ),
]


def schedules(clinic: Clinic) -> None:
    """The demo clinics' questionnaire schedules (seeded directly, as at installation)."""
    for instrument_id, trigger, days in [
        ("phq9", MeasureSchedule.Trigger.BASELINE, None),
        ("phq9", MeasureSchedule.Trigger.BEFORE_SESSION, None),
        ("phq9", MeasureSchedule.Trigger.EVERY_N_DAYS, 14),
    ]:
        MeasureSchedule.objects.get_or_create(
            clinic=clinic,
            instrument_id=instrument_id,
            trigger=trigger,
            defaults={"interval_days": days},
        )


def answers_for_total(
    instrument: Instrument,
    total: int,
    rng: random.Random,
    *,
    critical_item: int | None = None,
    critical_value: int = 0,
) -> list[int | None]:
    """Spread `total` over the scored items at random (each within its options)."""
    scored = [i for i in instrument.items if i.scored]
    values = {i.number: 0 for i in scored}
    if critical_item is not None:
        values[critical_item] = critical_value
    remaining = max(0, total - sum(values.values()))
    candidates = [i for i in scored if i.number != critical_item]
    while remaining > 0 and candidates:
        item = rng.choice(candidates)
        if values[item.number] < max(item.values):
            values[item.number] += 1
            remaining -= 1
        else:
            candidates.remove(item)
    return [values.get(i.number) for i in instrument.items]


def _course(rng: random.Random, baseline: int, weeks: int, kind: str) -> list[int]:
    """Totals at baseline and then twice a week: a responder, a partial one, or neither."""
    fall = {
        "responder": rng.uniform(0.55, 0.85),
        "partial": rng.uniform(0.25, 0.45),
        "non": rng.uniform(0.0, 0.15),
    }[kind]
    points = [baseline]
    for step in range(1, weeks * 2 + 1):
        progress = min(1.0, step / 5)
        value = round(baseline * (1 - fall * progress) + rng.uniform(-2, 2))
        points.append(max(0, min(baseline + 3, value)))
    return points


def history(
    rng: random.Random,
    patient: Patient,
    nurse: StaffMember,
    prescriber: StaffMember | None,
    primary_code: str,
) -> None:
    group = next((g for g in _BY_GROUP if primary_code.startswith(g)), "F3")
    start: datetime = timezone.now() - timedelta(days=rng.randint(20, 60))
    kind = rng.choices(["responder", "partial", "non"], weights=[6, 3, 2])[0]
    weeks = rng.randint(2, 4)
    for instrument_id in _BY_GROUP[group]:
        instrument = INSTRUMENTS[instrument_id]
        high = (instrument.total_range or (0, 27))[1]
        baseline = rng.randint(int(high * 0.55), int(high * 0.8))
        for n, total in enumerate(_course(rng, baseline, weeks, kind)):
            when = start + timedelta(days=n * 3.5, hours=rng.randint(0, 5))
            if when > timezone.now():
                break
            # Some baselines carry item 9 above 0 (acknowledged alerts, where a prescriber is).
            critical = (
                prescriber is not None and instrument_id == "phq9" and n == 0 and rng.random() < 0.2
            )
            answers = answers_for_total(
                instrument,
                total,
                rng,
                critical_item=9 if instrument_id == "phq9" else None,
                critical_value=1 if critical else 0,
            )
            services.assessment_record(
                actor=nurse,
                patient=patient,
                instrument_id=instrument_id,
                answers=answers,
                administered_at=when,
            )
    if prescriber is not None:
        for alert in SafetyAlert.objects.filter(patient=patient, acknowledged_at=None):
            action, note = rng.choice(_ACK_NOTES)
            services.safety_alert_acknowledge(
                actor=prescriber, alert=alert, action=action, note=note
            )


def recent_alerts(rng: random.Random, patients: list[Patient], nurse: StaffMember) -> None:
    """Two patients answered item 9 above 0 this morning: open alerts for the worklist."""
    for patient in patients[:2]:
        instrument = INSTRUMENTS["phq9"]
        services.assessment_record(
            actor=nurse,
            patient=patient,
            instrument_id="phq9",
            answers=answers_for_total(instrument, 14, rng, critical_item=9, critical_value=1),
            administered_at=timezone.now() - timedelta(hours=rng.randint(1, 4)),
        )


def links(patients: list[Patient], sender: StaffMember) -> None:
    """Self-report links: one opened and half answered, one waiting."""
    issued = services.self_report_link_create(
        actor=sender, patient=patients[0], instrument_ids=["phq9", "gad7"]
    )
    services.self_report_save(token=issued.token, instrument_id="phq9", answers={1: 1, 2: 2})
    services.self_report_link_create(actor=sender, patient=patients[1], instrument_ids=["phq9"])
