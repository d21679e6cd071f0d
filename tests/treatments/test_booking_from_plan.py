"""A session opened from a real plan: the plan's protocol version, limits and dose are used, the
planned session follows the session (checked in, completed with the mg given), and the
questionnaires are made due by the plans app at booking and by the session at discharge."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.measures import services as measures
from ketamine_clinic.plans import capacity as cap
from ketamine_clinic.plans import services as plans
from ketamine_clinic.plans.models import PlannedSession, Protocol
from ketamine_clinic.treatments import closing, flowsheet, services
from ketamine_clinic.treatments.models import TreatmentSession
from tests.conftest import PASSWORD
from tests.plans.conftest import next_monday

from .conftest import answers
from .test_session_flow import ALL_MET


@pytest.fixture
def planned(world, bay) -> PlannedSession:
    """An active IV induction plan at 0.6 mg/kg (the protocol's default is 0.5) whose protocol
    lowers the systolic-rise alert to 30 mmHg; its first planned session."""
    plans.protocols_seed(clinic=world.clinic1)
    cap.settings_for(world.clinic1)
    Protocol.objects.filter(clinic=world.clinic1, slug="iv-ketamine-induction").update(
        session_limits={"alert_sbp_rise": {"value": 30, "source": "clinic protocol, test"}}
    )
    plan = plans.plan_create(
        actor=world.prescriber,
        patient=world.patient1,
        protocol="iv-ketamine-induction",
        start_date=next_monday(),
        dose="0.6",
    ).plan
    plan = plans.plan_activate(actor=world.prescriber, plan=plan)
    return plan.sessions.filter(kind="dosing").order_by("sequence").first()


def test_a_session_booked_from_a_plan_runs_on_its_protocol_and_dose(
    world, bay, planned, clock, monkeypatch
):
    calls: list[tuple[str, str]] = []
    real = measures.treatment_event_recorded

    def spy(**kwargs):
        calls.append((kwargs["kind"], kwargs["event_ref"]))
        return real(**kwargs)

    monkeypatch.setattr(measures, "treatment_event_recorded", spy)
    session = services.session_book(actor=world.nurse, planned_session=planned)
    assert session.protocol.slug == "iv-ketamine-induction" and session.chair == planned.chair
    assert session.scheduled_at == planned.starts_at and session.route == "iv"
    # the plans app made the questionnaires due when it booked; the session does not again
    assert calls == []
    with pytest.raises(ValidationError) as twice:
        services.session_book(actor=world.nurse, planned_session=planned)
    assert "planned_session" in twice.value.message_dict

    services.check_in(actor=world.nurse, session=session, data=answers())
    planned.refresh_from_db()
    assert planned.status == "checked_in"
    assert AuditEvent.objects.filter(action="session.status_change", object_id=str(planned.pk))

    dose = services.dose_prepare(
        actor=world.nurse, session=session, signature=PASSWORD, container=bay.vial
    )
    # the plan's 0.6 mg/kg × 82.4 kg = 49.44 → 49.4 mg (not the protocol's 0.5 → 41.2 mg)
    assert (dose.dose_per_kg, dose.dose_mg) == (Decimal("0.600"), Decimal("49.4"))
    services.dose_verify(
        actor=world.prescriber, session=session, dose_mg=dose.dose_mg, signature=PASSWORD
    )
    services.administration_record(actor=world.nurse, session=session, kind="start")
    clock.advance(10)
    _, alerts = flowsheet.vitals_record(
        actor=world.nurse,
        session=session,
        values={"sbp": Decimal(160), "dbp": Decimal(90), "hr": Decimal(80)},
        moaas=5,
        taken_at=clock.now,
    )
    # +32 from 128: an alert under this protocol's 30 mmHg limit (the default is 40)
    assert [a.code for a in alerts] == ["sbp_rise"]
    clock.advance(30)
    services.administration_record(actor=world.nurse, session=session, kind="stop")
    clock.advance(89)
    session.refresh_from_db()
    with pytest.raises(ValidationError) as early:  # the protocol's 90 min, not 60
        closing.discharge_record(actor=world.nurse, session=session, checklist=ALL_MET)
    assert "monitoring_time" in early.value.message_dict
    clock.advance(1)
    for sbp in (134, 132):
        flowsheet.vitals_record(
            actor=world.nurse,
            session=session,
            values={"sbp": Decimal(sbp), "dbp": Decimal(84), "hr": Decimal(76)},
            moaas=5,
            taken_at=clock.now,
        )
    closing.discharge_record(actor=world.nurse, session=session, checklist=ALL_MET)
    planned.refresh_from_db()
    assert (planned.status, planned.dose_mg_given) == ("completed", Decimal("49.4"))
    assert calls == [("session_completed", f"session-{session.pk}")]
    closing.note_sign(actor=world.nurse, session=session)
    assert TreatmentSession.objects.get(pk=session.pk).state == "signed"


def test_a_draft_plans_session_cannot_be_opened(world, bay):
    plans.protocols_seed(clinic=world.clinic1)
    cap.settings_for(world.clinic1)
    plan = plans.plan_create(
        actor=world.prescriber,
        patient=world.patient1,
        protocol="iv-ketamine-induction",
        start_date=next_monday(),
    ).plan
    first = plan.sessions.order_by("sequence").first()
    with pytest.raises(ValidationError) as error:
        services.session_book(actor=world.nurse, planned_session=first)
    assert "not active" in error.value.message_dict["planned_session"][0]
    assert not TreatmentSession.objects.exists()
