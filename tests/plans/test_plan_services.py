"""Plans through the services: dose from weight, calendar, the readiness gate, caps, bad input,
booking conflicts, rescheduling a missed session."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.measures.models import MeasureDue, MeasureSchedule
from ketamine_clinic.plans import booking, services
from ketamine_clinic.plans import capacity as cap
from ketamine_clinic.plans.models import PlannedSession, Protocol, TreatmentPlan

from .conftest import make_ready, next_monday


def _plan(world, **kw):
    args = {"protocol": "iv-ketamine-induction", "start_date": next_monday()}
    args.update(kw)
    return services.plan_create(actor=world.prescriber, patient=world.patient1, **args)


def test_iv_induction_plan_doses_from_the_latest_weight_and_books_six_sessions(world, clinic):
    result = _plan(world)
    plan = result.plan
    sessions = list(plan.sessions.order_by("sequence"))
    assert plan.status == "draft" and plan.weight_kg_used == Decimal("82.4")
    assert [s.dose_mg for s in sessions] == [Decimal("41.20")] * 6  # 0.5 mg/kg × 82.4 kg
    monday = next_monday()
    days = [cap.local(s.starts_at, clinic).date() for s in sessions]
    assert days == [monday + timedelta(d) for d in (0, 2, 4, 7, 9, 11)]
    first = cap.local(sessions[0].starts_at, clinic)
    assert first.time() == time(8, 0)
    assert sessions[0].ends_at - sessions[0].starts_at == timedelta(minutes=160)
    assert AuditEvent.objects.filter(action="plan.create", patient=world.patient1).count() == 1


def test_a_plan_cannot_be_activated_without_readiness_and_says_what_to_do(world, clinic):
    plan = _plan(world).plan
    with pytest.raises(ValidationError) as error:
        services.plan_activate(actor=world.prescriber, plan=plan)
    assert "screen the patient first" in str(error.value)
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_activation_signs_and_makes_the_before_session_questionnaires_due(world, clinic):
    MeasureSchedule.objects.create(
        clinic=clinic, instrument_id="phq9", trigger=MeasureSchedule.Trigger.BEFORE_SESSION
    )
    make_ready(world, world.patient1)
    plan = _plan(world).plan
    plan = services.plan_activate(actor=world.prescriber, plan=plan)
    assert plan.status == "active" and plan.signed_by == world.prescriber
    assert MeasureDue.objects.filter(patient=world.patient1, instrument_id="phq9").count() == 6


def test_bad_input_is_refused_with_the_field_and_what_would_work(world, clinic):
    with pytest.raises(ValidationError) as error:
        _plan(world, start_date=next_monday() - timedelta(days=30))
    assert "start_date" in error.value.message_dict
    assert "in the past" in error.value.message_dict["start_date"][0]
    with pytest.raises(ValidationError) as error:
        _plan(world, dose="0.8")
    assert "above this protocol's maximum of 0.750" in error.value.message_dict["dose"][0]
    with pytest.raises(ValidationError) as error:
        _plan(world, protocol="no-such")
    assert "iv-ketamine-induction" in error.value.message_dict["protocol"][0]
    _plan(world)
    with pytest.raises(ValidationError) as error:
        _plan(world)
    assert "still open" in error.value.message_dict["protocol"][0]


def test_front_desk_cannot_create_plans_and_another_clinic_is_404(world, clinic):
    from ketamine_clinic.accounts.access import AccessDenied

    with pytest.raises((Http404, AccessDenied)):
        services.plan_create(
            actor=world.frontdesk,
            patient=world.patient1,
            protocol="iv-ketamine-induction",
            start_date=next_monday(),
        )
    with pytest.raises(Http404):
        services.plan_create(
            actor=world.prescriber,
            patient=world.patient2,
            protocol="iv-ketamine-induction",
            start_date=next_monday(),
        )


def test_esketamine_day_one_is_56_mg_then_the_plan_dose(world, clinic):
    plan = _plan(world, protocol="esketamine-label", dose="84").plan
    doses = [s.dose_mg for s in plan.sessions.order_by("sequence")]
    assert doses[0] == Decimal("56") and set(doses[1:]) == {Decimal("84")}
    assert len(doses) == 16


def test_booking_the_taken_chair_is_refused_with_a_free_alternative(world, clinic):
    plan = _plan(world).plan
    first = plan.sessions.order_by("sequence")[0]
    other = services.plan_create(
        actor=world.prescriber,
        patient=_second_patient(world),
        protocol="iv-ketamine-maintenance",
        start_date=next_monday() + timedelta(days=60),
    ).plan
    with pytest.raises(ValidationError) as error:
        booking.session_book(
            actor=world.frontdesk, plan=other, starts_at=first.starts_at, chair=first.chair
        )
    message = error.value.message_dict["chair"][0]
    assert "already booked" in message and "Free then: Chair 2 at 08:00" in message
    ok = booking.session_book(actor=world.frontdesk, plan=other, starts_at=first.starts_at)
    assert ok.chair.name == "Chair 2"
    evening = cap.aware(datetime.combine(next_monday(), time(17, 0)), clinic)
    with pytest.raises(ValidationError) as error:
        booking.session_book(actor=world.frontdesk, plan=other, starts_at=evening)
    assert "outside opening hours (08:00–18:00)" in error.value.message_dict["starts_at"][0]


def _second_patient(world):
    from ketamine_clinic.patients import services as patient_services

    return patient_services.patient_register(
        actor=world.frontdesk,
        clinic=world.clinic1,
        details={
            "legal_given_name": "Cora",
            "legal_family_name": "Lind",
            "date_of_birth": datetime(1990, 1, 2).date(),
            "sex": "female",
        },
        weight_kg=Decimal("60"),
    )


def test_a_missed_session_shifts_the_rest_and_says_what_moved(world, clinic):
    plan = _plan(world).plan
    sessions = list(plan.sessions.order_by("sequence"))
    moves = booking.session_missed_reschedule(actor=world.frontdesk, session=sessions[1])
    assert moves[0].sequence == 2 and moves[0].old is None
    live = list(plan.sessions.filter(status="booked").order_by("starts_at"))
    days = [cap.local(s.starts_at, clinic).date() for s in live]
    assert len(live) == 6
    assert all((b - a).days >= 2 for a, b in itertools.pairwise(days))
    assert PlannedSession.objects.get(pk=sessions[1].pk).status == "missed"
    assert AuditEvent.objects.filter(action="session.reschedule").count() == 1


def test_rescheduling_moves_the_before_session_questionnaires_with_the_sessions(world, clinic):
    from ketamine_clinic.measures import services as measures

    measures.schedule_set(
        actor=world.admin, clinic=world.clinic1, instrument_id="phq9", trigger="before_session"
    )
    make_ready(world, world.patient1)
    plan = services.plan_activate(actor=world.prescriber, plan=_plan(world).plan)
    sessions = list(plan.sessions.order_by("sequence"))
    before = {d.event_ref: d.due_on for d in MeasureDue.objects.filter(patient=world.patient1)}
    assert len(before) == 6
    # Session 2 was missed yesterday: it is booked again today and the rest shift with it.
    with mock.patch.object(booking, "_now", lambda: sessions[1].starts_at + timedelta(days=1)):
        moves = booking.session_missed_reschedule(actor=world.frontdesk, session=sessions[1])
    moved = {m.sequence for m in moves if m.old is not None}
    assert moved >= {3, 4, 5, 6}
    for s in plan.sessions.filter(status="booked"):
        due = MeasureDue.objects.get(patient=world.patient1, event_ref=f"planned-session-{s.pk}")
        assert due.due_on == timezone.localtime(s.starts_at).date(), s.sequence
    for s in sessions:
        if s.sequence in moved:
            assert (
                before[f"planned-session-{s.pk}"]
                != MeasureDue.objects.get(event_ref=f"planned-session-{s.pk}").due_on
            )
    assert AuditEvent.objects.filter(action="measures.due_move").count() == len(moved)


def test_a_plan_over_the_30_day_cap_needs_a_written_sign_off(world, clinic):
    make_ready(world, world.patient1)
    proto = Protocol.objects.get(clinic=clinic, slug="iv-ketamine-induction")
    Protocol.objects.filter(pk=proto.pk).update(max_sessions_per_30_days=5)
    plan = _plan(world).plan
    with pytest.raises(ValidationError) as error:
        services.plan_activate(actor=world.prescriber, plan=plan)
    assert "6 sessions in 30 days (cap 5)" in error.value.message_dict["cap_sign_off_reason"][0]
    plan = services.plan_activate(
        actor=world.prescriber, plan=plan, cap_sign_off_reason="Severe, agreed with patient"
    )
    assert plan.status == "active" and plan.exposure_sign_off_by == world.prescriber


def test_protocol_change_is_a_new_version_signed_by_a_prescriber(world, clinic):
    proto = Protocol.objects.get(clinic=clinic, slug="iv-ketamine-induction", is_current=True)
    plan = _plan(world).plan
    draft = services.protocol_draft_version(
        actor=world.admin, protocol=proto, changes={"dose_max": Decimal("0.6")}, note="Clinic limit"
    )
    assert (draft.version, draft.is_current) == (2, False)
    assert draft.provenance["dose_max"].startswith("clinic's choice (v2")
    from ketamine_clinic.accounts.access import AccessDenied

    with pytest.raises(AccessDenied):
        services.protocol_sign(actor=world.admin, protocol=draft)
    services.protocol_sign(actor=world.prescriber, protocol=draft)
    assert Protocol.objects.get(clinic=clinic, slug=proto.slug, is_current=True).version == 2
    plan.refresh_from_db()
    assert plan.protocol.version == 1
    assert AuditEvent.objects.filter(action="protocol.sign").count() == 1


def test_stop_needs_a_reason_and_cancels_booked_sessions(world, clinic):
    plan = _plan(world).plan
    with pytest.raises(ValidationError):
        services.plan_set_status(actor=world.prescriber, plan=plan, status="stopped")
    services.plan_set_status(
        actor=world.prescriber, plan=plan, status="stopped", reason="Patient moved"
    )
    assert set(plan.sessions.values_list("status", flat=True)) == {"cancelled"}
    assert TreatmentPlan.objects.get(pk=plan.pk).stop_reason == "Patient moved"


def test_a_dose_recorded_on_the_schedule_is_a_treatment_time(world, clinic):
    """Completed with mg given and no session flowsheet behind it: its booked start is a
    treatment time; completed with 0 mg, or merely booked, is not."""
    from ketamine_clinic.measures.selectors import treatment_times

    make_ready(world, world.patient1)
    plan = services.plan_activate(actor=world.prescriber, plan=_plan(world).plan)
    first, second, third = plan.sessions.order_by("sequence")[:3]
    booking.session_set_status(
        actor=world.nurse, session=first, status="completed", dose_mg_given=Decimal("41.2")
    )
    booking.session_set_status(
        actor=world.nurse, session=second, status="completed", dose_mg_given=Decimal(0)
    )
    assert treatment_times(world.patient1) == [first.starts_at]
    assert third.status == "booked"
