"""Demo protocols, plans in every phase and a booked schedule, all made through the services.

Plans that began weeks ago are made with the plan services' clock seam (`_now`) set back, as
if the prescriber had made them then; their past sessions are then recorded as held.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

from django.utils import timezone

from ketamine_clinic.accounts.models import Clinic, StaffMember
from ketamine_clinic.clinical.instruments import INSTRUMENTS
from ketamine_clinic.measures import services as measures
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.plans import booking, services
from ketamine_clinic.plans import capacity as cap
from ketamine_clinic.plans.models import TreatmentPlan
from ketamine_clinic.screening import services as screening
from ketamine_clinic.screening.services import treatment_readiness

from .demo_measures import answers_for_total
from .demo_screening import intake_for, signature_png


@contextmanager
def _as_of(when: datetime) -> Iterator[None]:
    with (
        mock.patch.object(services, "_now", lambda: when),
        mock.patch.object(booking, "_now", lambda: when),
    ):
        yield


def _start(clinic: Clinic, days: int) -> datetime:
    return timezone.now() + timedelta(days=days)


def _past_plan(
    prescriber: StaffMember, nurse: StaffMember, patient: Patient, slug: str, days_ago: int
) -> TreatmentPlan:
    """A plan made `days_ago` and activated then, its past sessions held at the planned dose."""
    when = timezone.now() - timedelta(days=days_ago)
    with _as_of(when):
        plan = services.plan_create(
            actor=prescriber,
            patient=patient,
            protocol=slug,
            start_date=cap.local(when, patient.clinic).date() + timedelta(days=1),
        ).plan
        services.plan_activate(actor=prescriber, plan=plan)
    for session in plan.sessions.filter(starts_at__lt=timezone.now()).order_by("sequence"):
        booking.session_set_status(
            actor=nurse, session=session, status="completed", dose_mg_given=session.dose_mg
        )
    return plan


def _future_plan(
    prescriber: StaffMember, patient: Patient, slug: str, in_days: int
) -> TreatmentPlan:
    start = cap.local(_start(patient.clinic, in_days), patient.clinic).date()
    plan = services.plan_create(
        actor=prescriber, patient=patient, protocol=slug, start_date=start
    ).plan
    return services.plan_activate(actor=prescriber, plan=plan)


def seed(
    rng: random.Random,
    clinic: Clinic,
    screened: list[Patient],
    newcomers: list[Patient],
    prescriber: StaffMember,
    nurse: StaffMember,
    admin: StaffMember,
    frontdesk: StaffMember,
) -> None:
    """Chairs, protocols and plans: induction, review due, booster due, paused, completed."""
    services.protocols_seed(clinic=clinic, actor=admin)
    cap.settings_for(clinic)
    for room, chairs in (("Infusion room A", 4), ("Infusion room B", 2)):
        for n in range(chairs):
            services.chair_add(
                actor=admin, clinic=clinic, room_name=room, chair_name=f"{room[-1]}{n + 1}"
            )
    for patient in newcomers:
        _screen_and_consent(rng, patient, nurse, prescriber, frontdesk)
    screened = [*screened, *newcomers]
    readiness = {p.pk: treatment_readiness(p, "iv", actor=prescriber).ready for p in screened}
    ready = [p for p in screened if readiness[p.pk]]
    not_ready = next(p for p in screened if not readiness[p.pk])
    review, booster, paused, completed, *inductions = ready
    _past_plan(prescriber, nurse, review, "iv-ketamine-induction", 18)  # six held: review due
    done = _past_plan(prescriber, nurse, completed, "iv-ketamine-induction", 45)
    services.plan_review(
        actor=prescriber, plan=done, decision="complete", note="Remission; follow up by phone."
    )
    _past_plan(prescriber, nurse, booster, "iv-ketamine-maintenance", 20)
    _symptoms_return(rng, booster, nurse)
    plan = _future_plan(prescriber, paused, "iv-ketamine-induction", 2)
    services.plan_set_status(actor=prescriber, plan=plan, status="paused", reason="Travelling")
    for i, patient in enumerate(inductions):
        _future_plan(prescriber, patient, "iv-ketamine-induction", 1 + i)
    services.plan_create(
        actor=prescriber,
        patient=not_ready,
        protocol="iv-ketamine-induction",
        start_date=cap.local(_start(clinic, 7), clinic).date(),
    )


def _screen_and_consent(
    rng: random.Random,
    patient: Patient,
    nurse: StaffMember,
    prescriber: StaffMember,
    frontdesk: StaffMember,
) -> None:
    """Screen for IV (a prescriber clears one that needs review) and sign a witnessed consent."""
    result = screening.screening_record(
        actor=nurse, patient=patient, intake=intake_for(patient, rng)
    )
    if result.decision == "needs_review":
        screening.screening_review(
            actor=prescriber,
            screening=result,
            outcome="approved",
            reasoning="Findings discussed with the patient; proceed with the usual monitoring.",
        )
    template = next(t for t in screening.current_templates(patient.clinic) if t.kind == "iv")
    name = f"{patient.legal_given_name} {patient.legal_family_name}"
    consent = screening.consent_sign(
        actor=frontdesk,
        patient=patient,
        template=template,
        signed_name=name,
        signature_png=signature_png(name, rng),
        ip="127.0.0.1",
    )
    screening.consent_witness(actor=nurse, consent=consent)


def _symptoms_return(rng: random.Random, patient: Patient, nurse: StaffMember) -> None:
    """PHQ-9: a response (4) then the score back up (15): the maintenance plan's booster is due."""
    instrument = INSTRUMENTS["phq9"]
    for days_ago, total in ((30, 19), (12, 4), (1, 15)):
        measures.assessment_record(
            actor=nurse,
            patient=patient,
            instrument_id="phq9",
            answers=answers_for_total(instrument, total, rng),
            administered_at=timezone.now() - timedelta(days=days_ago),
        )
