"""Demo: today's treatment sessions in every state, run through the session services.

Waiting, checked in, dosing, monitoring (with a high blood-pressure alert), ready for
discharge, and one done and signed. The sessions are walk-ins booked by the demo prescriber:
the demo plans start tomorrow, so none of their planned sessions falls today. Each step is
recorded at the time it would have happened this morning, with the services' clock seam
(`_now`) set to that time; the ledger's draws and witnessed wastes carry the same times.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from decimal import Decimal
from unittest import mock

from django.utils import timezone

from ketamine_clinic.accounts.models import Clinic, StaffMember
from ketamine_clinic.inventory import services as ledger
from ketamine_clinic.inventory.models import Container
from ketamine_clinic.measures import services as measures
from ketamine_clinic.measures.models import SafetyAlert
from ketamine_clinic.patients import services as patient_services
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.plans.models import Chair, Protocol, Room, TreatmentPlan
from ketamine_clinic.screening.services import treatment_readiness
from ketamine_clinic.treatments import closing, flowsheet, services
from ketamine_clinic.treatments.models import RoomReadinessCheck, TreatmentSession

from .demo_inventory import DEMO_PASSWORD
from .demo_plans import _screen_and_consent

CSSRS_NEGATIVE = [0, 0, None, None, None, 0, None]
GOOD = {
    "identity_confirmed": True,
    "escort_confirmed": True,
    "questionnaires_done": True,
    "fasted_food_2h": True,
    "fasted_liquids_30min": True,
    "new_cardiac_or_cerebrovascular_event": False,
    "vascular_history_newly_known": False,
    "psychosis_or_mania": False,
    "alcohol_or_drugs_today": False,
    "possible_pregnancy": False,
    "bladder_symptoms": False,
}
ALL_MET = closing.Checklist(
    alert_and_oriented=True,
    nausea_controlled=True,
    walks_steadily=True,
    escort_present=True,
    instructions_given=True,
)
# Minutes before now at which each session was checked in (None: still waiting, due in 30 min).
STAGES: list[tuple[str, int | None]] = [
    ("signed", 240),
    ("ready", 170),
    ("monitoring", 95),
    ("dosing", 40),
    ("checked_in", 10),
    ("waiting", None),
]


@contextmanager
def _at(when: datetime) -> Iterator[None]:
    with (
        mock.patch.object(services, "_now", lambda: when),
        mock.patch.object(closing, "_now", lambda: when),
        mock.patch.object(ledger, "_now", lambda: when),
        mock.patch.object(measures, "_now", lambda: when),
        mock.patch.object(patient_services, "_now", lambda: when),
    ):
        yield


def _anchor() -> datetime:
    """Now, or late enough in the local day for the first session to have begun today."""
    now = timezone.localtime()
    earliest = timezone.make_aware(datetime.combine(now.date(), time(4, 30)))
    return max(now, earliest)


def _vitals(
    nurse: StaffMember, session: TreatmentSession, at: datetime, sbp: int, dbp: int, hr: int
) -> None:
    with _at(at):
        flowsheet.vitals_record(
            actor=nurse,
            session=session,
            values={
                "sbp": Decimal(sbp),
                "dbp": Decimal(dbp),
                "hr": Decimal(hr),
                "spo2": Decimal(97),
                "rr": Decimal(14),
            },
            moaas=5,
            cadss6=2,
            taken_at=at,
        )


def _candidates(
    patients: list[Patient], nurse: StaffMember, prescriber: StaffMember, rng: random.Random
) -> Iterator[Patient]:
    """Patients ready for IV treatment, without a running plan or an open safety alert."""
    for patient in patients:
        if TreatmentPlan.objects.filter(patient=patient).exists():
            continue
        if SafetyAlert.objects.filter(patient=patient, acknowledged_at=None).exists():
            continue
        if not treatment_readiness(patient, "iv", actor=prescriber).ready:
            _screen_and_consent(rng, patient, nurse, prescriber, prescriber)
        if treatment_readiness(patient, "iv", actor=prescriber).ready:
            yield patient


def _vial(clinic: Clinic, mg: Decimal) -> Container:
    return Container.objects.filter(
        clinic=clinic, balance_mg__gte=mg, lot__product__ml_per_container__isnull=False
    ).earliest("balance_mg", "pk")


def seed(
    rng: random.Random,
    clinic: Clinic,
    patients: list[Patient],
    nurse: StaffMember,
    prescriber: StaffMember,
) -> int:
    """Book and run today's sessions; return how many."""
    now = _anchor()
    protocol = Protocol.objects.get(clinic=clinic, slug="iv-ketamine-induction", is_current=True)
    chairs = list(Chair.objects.filter(clinic=clinic, is_active=True).order_by("name"))
    people = _candidates(patients, nurse, prescriber, rng)
    first_check_in = now - timedelta(minutes=STAGES[0][1] or 0)
    with _at(first_check_in - timedelta(minutes=20)):
        for room in Room.objects.filter(clinic=clinic):
            services.room_readiness_record(
                actor=nurse,
                room=room,
                items=dict.fromkeys(RoomReadinessCheck.ITEMS, True),
                prescriber_on_site=prescriber,
            )
    made = 0
    for (stage, minutes_ago), chair in zip(STAGES, chairs, strict=False):
        patient = next(people, None)
        if patient is None:
            break
        start = now - timedelta(minutes=minutes_ago) if minutes_ago else now
        _run(stage, start, now, protocol, chair, patient, nurse, prescriber)
        made += 1
    return made


def _run(
    stage: str,
    start: datetime,
    now: datetime,
    protocol: Protocol,
    chair: Chair,
    patient: Patient,
    nurse: StaffMember,
    prescriber: StaffMember,
) -> None:
    """Take one session from booking as far as `stage`, each step at its time."""
    minute = timedelta(minutes=1)
    booked_at = start - 15 * minute
    with _at(booked_at):
        session = services.session_walk_in(
            actor=prescriber,
            patient=patient,
            protocol=protocol,
            chair=chair,
            reason="Demo: booked by phone",
            scheduled_at=start + (30 * minute if stage == "waiting" else 0 * minute),
        )
    if stage == "waiting":
        return
    weight = patient.weights.order_by("-measured_at").first()
    with _at(start):
        measures.assessment_record(
            actor=nurse, patient=patient, instrument_id="cssrs-screener", answers=CSSRS_NEGATIVE
        )
        services.check_in(
            actor=nurse,
            session=session,
            data=services.CheckInAnswers(
                answers=GOOD,
                baseline={
                    "sbp": Decimal(126),
                    "dbp": Decimal(80),
                    "hr": Decimal(72),
                    "spo2": Decimal(98),
                    "rr": Decimal(14),
                    "temperature": Decimal("36.7"),
                },
                pre_dose_moaas=5,
                weight_kg=weight.weight_kg if weight else Decimal(75),
            ),
        )
    if stage == "checked_in":
        return
    at = start + 10 * minute
    with _at(at):
        # 0.5 mg/kg (reference.md §1.3), drawn up to the next whole mg plus one: the
        # remainder's witnessed waste closes the session.
        kg = weight.weight_kg if weight else Decimal(75)
        drawn = (kg * protocol.dose_default).to_integral_value(rounding="ROUND_CEILING") + 1
        dose = services.dose_prepare(
            actor=nurse,
            session=session,
            signature=DEMO_PASSWORD,
            container=_vial(session.clinic, drawn + 10),
            drawn_mg=drawn,
        )
        services.dose_verify(
            actor=prescriber, session=session, dose_mg=dose.dose_mg, signature=DEMO_PASSWORD
        )
    with _at(at := at + 5 * minute):
        services.administration_record(
            actor=nurse, session=session, kind="start", continuous_oximetry=True
        )
    stop = at + protocol.administration_minutes * minute
    readings = [
        (at + 10 * minute, 134, 84, 78),
        (at + 20 * minute, 172 if stage == "monitoring" else 138, 94, 84),
        (at + 30 * minute, 136, 84, 80),
        (stop + 15 * minute, 130, 82, 76),
        (stop + 30 * minute, 128, 80, 74),
        (stop + 60 * minute, 127, 80, 72),
        (stop + 90 * minute, 126, 80, 72),
    ]
    limit = start + (35 if stage == "dosing" else 10_000) * minute
    for taken_at, sbp, dbp, hr in readings:
        if taken_at > limit or taken_at > now:
            break
        if taken_at > stop and session.state == TreatmentSession.State.DOSING:
            with _at(stop):
                services.administration_record(actor=nurse, session=session, kind="stop")
            session.refresh_from_db()
        _vitals(nurse, session, taken_at, sbp, dbp, hr)
    if stage == "dosing":
        return
    session.refresh_from_db()
    if session.state == TreatmentSession.State.DOSING:
        with _at(stop):
            services.administration_record(actor=nurse, session=session, kind="stop")
    if stage == "monitoring":
        return
    with _at(stop + 5 * minute):
        closing.waste_remainder(
            actor=nurse,
            session=session,
            signature=DEMO_PASSWORD,
            witness=prescriber,
            witness_signature=DEMO_PASSWORD,
        )
    if stage == "ready":
        return
    done = stop + (protocol.min_monitoring_minutes + 5) * minute
    with _at(done):
        closing.discharge_record(
            actor=nurse, session=session, checklist=ALL_MET, ready_to_leave_at=done
        )
        closing.note_sign(
            actor=nurse, session=session, text="Tolerated well; home with the escort."
        )
