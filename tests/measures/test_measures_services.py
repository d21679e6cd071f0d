"""Clinician entry, self-report links, safety alerts, schedules: the service layer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from ketamine_clinic.accounts.access import AccessDenied
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.measures import services
from ketamine_clinic.measures.models import (
    Assessment,
    AssessmentAnswer,
    MeasureDue,
    SafetyAlert,
    SelfReportLink,
)

MODERATE = [2, 2, 1, 1, 2, 1, 1, 1, 0]  # 11: moderate, item 9 = 0
CRITICAL = [2, 2, 1, 1, 2, 1, 1, 1, 1]  # 12: moderate, item 9 = 1


def test_a_complete_phq9_is_scored_and_stored_item_by_item_with_loinc(world):
    a = services.assessment_record(
        actor=world.nurse, patient=world.patient1, instrument_id="phq9", answers=MODERATE
    )
    assert (a.status, a.total, a.severity, a.critical) == ("complete", 11, "moderate", False)
    answers = list(a.answers.values_list("item_number", "value", "loinc"))
    assert answers[0] == (1, 2, "44250-9")
    assert answers[8] == (9, 0, "44260-8")
    assert answers[9] == (10, None, "69722-7")  # the unscored difficulty item, unanswered
    assert not SafetyAlert.objects.exists()
    event = AuditEvent.objects.get(action="assessment.record")
    assert event.detail["total"] == 11
    assert event.patient == world.patient1


def test_item_9_above_zero_opens_a_safety_alert_in_the_same_action(world):
    a = services.assessment_record(
        actor=world.nurse, patient=world.patient1, instrument_id="phq9", answers=CRITICAL
    )
    assert a.critical is True
    alert = SafetyAlert.objects.get()
    assert alert.assessment == a
    assert alert.is_open
    assert alert.reason == "PHQ-9: critical answer on item 9"
    assert (
        AuditEvent.objects.filter(action="safety_alert.open", patient=world.patient1).count() == 1
    )


def test_an_incomplete_response_is_kept_and_never_scored(world):
    a = services.assessment_record(
        actor=world.nurse,
        patient=world.patient1,
        instrument_id="phq9",
        answers={1: 3, 2: 3, 9: 0},
    )
    assert a.status == "incomplete"
    assert a.total is None and a.severity == "" and a.critical is False
    assert a.result == {"missing_items": [3, 4, 5, 6, 7, 8]}
    assert not SafetyAlert.objects.exists()


def test_item_9_in_an_incomplete_response_still_opens_the_alert_at_once(world):
    a = services.assessment_record(
        actor=world.nurse,
        patient=world.patient1,
        instrument_id="phq9",
        answers={1: 3, 2: 3, 9: 3},
    )
    assert (a.status, a.total, a.severity, a.critical) == ("incomplete", None, "", True)
    assert a.result == {"missing_items": [3, 4, 5, 6, 7, 8], "critical_items": [9]}
    alert = SafetyAlert.objects.get()
    assert alert.assessment == a
    assert alert.reason == "PHQ-9: critical answer on item 9 (response not finished)"


def test_no_answer_at_all_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        services.assessment_record(
            actor=world.nurse, patient=world.patient1, instrument_id="phq9", answers={}
        )
    assert caught.value.message_dict == {"answers": ["No item is answered."]}
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(("item12", "alert"), [(1, False), (2, True)])
def test_qids_item_12_alerts_from_2(world, item12, alert):
    answers = [1] * 16
    answers[11] = item12
    a = services.assessment_record(
        actor=world.nurse, patient=world.patient1, instrument_id="qids-sr16", answers=answers
    )
    assert a.total == 8 + item12  # 8 domains at 1, plus the suicide domain
    assert SafetyAlert.objects.filter(assessment=a).exists() is alert


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 4], "answers.9"),
        ([0] * 11, "answers"),
        ({12: 1}, "answers"),
        ([-1, 0, 0, 0, 0, 0, 0, 0, 0], "answers.1"),
        ({1: 2, 9: 4}, "answers.9"),  # out of range in an incomplete response too
    ],
)
def test_bad_answers_name_the_item_and_write_nothing(world, answers, field):
    with pytest.raises(ValidationError) as caught:
        services.assessment_record(
            actor=world.nurse, patient=world.patient1, instrument_id="phq9", answers=answers
        )
    assert field in caught.value.message_dict
    assert not Assessment.objects.exists()
    assert not AssessmentAnswer.objects.exists()


def test_unknown_instrument_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        services.assessment_record(
            actor=world.nurse, patient=world.patient1, instrument_id="bdi", answers=[]
        )
    assert caught.value.message_dict == {"instrument": ["Unknown instrument 'bdi'."]}


def test_front_desk_cannot_enter_answers(world):
    with pytest.raises(AccessDenied):
        services.assessment_record(
            actor=world.frontdesk, patient=world.patient1, instrument_id="phq9", answers=MODERATE
        )


def _link(world, instruments=("phq9",)):
    return services.self_report_link_create(
        actor=world.frontdesk, patient=world.patient1, instrument_ids=list(instruments)
    )


def test_a_link_stores_only_the_hash_of_a_256_bit_token_and_expires_in_72_hours(world):
    issued = _link(world)
    link = SelfReportLink.objects.get()
    assert len(issued.token) >= 43  # 32 random bytes, URL-safe base64
    assert link.token_hash == services.token_hash(issued.token)
    assert issued.token not in link.token_hash
    hours = (link.expires_at - link.created_at).total_seconds() / 3600
    assert 71.99 < hours <= 72.01
    assert services.open_link(issued.token) == link


def test_partial_self_report_is_saved_and_can_be_resumed(world):
    issued = _link(world)
    first = services.self_report_save(
        token=issued.token, instrument_id="phq9", answers={1: 1, 2: 1}
    )
    assert first.assessment.status == "incomplete"
    assert first.link_finished is False
    assert services.open_link(issued.token) is not None  # still usable
    done = services.self_report_save(
        token=issued.token, instrument_id="phq9", answers=dict(enumerate(MODERATE, start=1))
    )
    assert done.assessment.pk == first.assessment.pk
    assert (done.assessment.status, done.assessment.total) == ("complete", 11)
    assert done.link_finished is True
    assert services.open_link(issued.token) is None  # dies when submitted
    assert Assessment.objects.count() == 1


def test_a_critical_partial_self_report_alerts_once_and_the_link_can_still_be_finished(world):
    issued = _link(world)
    partial = services.self_report_save(
        token=issued.token, instrument_id="phq9", answers={1: 1, 9: 2}
    )
    assert partial.assessment.status == "incomplete"
    assert partial.alert is not None  # the crisis resources are shown at once
    finished = services.self_report_save(
        token=issued.token, instrument_id="phq9", answers=dict(enumerate(CRITICAL, start=1))
    )
    assert (finished.assessment.status, finished.assessment.total) == ("complete", 12)
    assert finished.alert == partial.alert  # the same alert, not a second one
    assert finished.link_finished is True
    assert SafetyAlert.objects.count() == 1
    assert AuditEvent.objects.filter(action="safety_alert.open").count() == 1


def test_a_submitted_questionnaire_cannot_be_submitted_again(world):
    issued = _link(world, ("phq9", "gad7"))
    services.self_report_save(
        token=issued.token, instrument_id="phq9", answers=dict(enumerate(MODERATE, start=1))
    )
    with pytest.raises(ValidationError, match="already been submitted"):
        services.self_report_save(
            token=issued.token, instrument_id="phq9", answers=dict(enumerate(CRITICAL, start=1))
        )
    assert Assessment.objects.get().total == 11
    assert not SafetyAlert.objects.exists()


def test_self_report_item_9_opens_an_alert_attributed_to_the_patient_link(world):
    issued = _link(world)
    progress = services.self_report_save(
        token=issued.token, instrument_id="phq9", answers=dict(enumerate(CRITICAL, start=1))
    )
    assert progress.alert is not None
    event = AuditEvent.objects.get(action="safety_alert.open")
    assert event.actor is None
    assert event.actor_username == "patient (self-report link)"


@pytest.mark.parametrize("state", ["expired", "revoked", "forged", "wrong instrument"])
def test_dead_or_forged_links_save_nothing(world, state):
    issued = _link(world)
    token = issued.token
    instrument = "phq9"
    message = "This link is not valid."
    if state == "expired":
        SelfReportLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "revoked":
        services.self_report_link_revoke(actor=world.nurse, link=issued.link)
    elif state == "forged":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    else:
        instrument = "gad7"
        message = "This questionnaire is not part of the link."
    with pytest.raises(ValidationError) as caught:
        services.self_report_save(token=token, instrument_id=instrument, answers={1: 0})
    assert caught.value.messages == [message]
    assert not Assessment.objects.exists()


def test_a_bad_email_address_is_refused_on_its_field_and_makes_no_link(world):
    with pytest.raises(ValidationError) as caught:
        services.self_report_link_create(
            actor=world.frontdesk,
            patient=world.patient1,
            instrument_ids=["phq9"],
            email_to="alice-at-example",
        )
    assert caught.value.message_dict == {"email": ["Enter a valid e-mail address."]}
    assert not SelfReportLink.objects.exists()


def test_links_only_for_self_report_instruments_of_a_visible_patient(world):
    with pytest.raises(ValidationError) as caught:
        services.self_report_link_create(
            actor=world.nurse, patient=world.patient1, instrument_ids=[]
        )
    assert "instruments" in caught.value.message_dict
    with pytest.raises(AccessDenied):
        services.self_report_link_create(
            actor=world.nurse, patient=world.patient2, instrument_ids=["phq9"]
        )


def test_only_a_prescriber_acknowledges_and_a_note_is_required(world):
    services.assessment_record(
        actor=world.nurse, patient=world.patient1, instrument_id="phq9", answers=CRITICAL
    )
    alert = SafetyAlert.objects.get()
    with pytest.raises(AccessDenied):
        services.safety_alert_acknowledge(
            actor=world.nurse, alert=alert, action="safety_plan", note="x"
        )
    with pytest.raises(ValidationError) as caught:
        services.safety_alert_acknowledge(
            actor=world.prescriber, alert=alert, action="safety_plan", note="   "
        )
    assert "note" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.safety_alert_acknowledge(
            actor=world.prescriber, alert=alert, action="ignored", note="x"
        )
    assert "action" in caught.value.message_dict
    services.safety_alert_acknowledge(
        actor=world.prescriber,
        alert=alert,
        action="assessed_in_person",
        note="Passive thoughts, no plan; safety plan reviewed.",
    )
    alert.refresh_from_db()
    assert not alert.is_open
    assert alert.acknowledged_by == world.prescriber
    with pytest.raises(ValidationError, match="already been acknowledged"):
        services.safety_alert_acknowledge(
            actor=world.prescriber, alert=alert, action="other", note="again"
        )
    event = AuditEvent.objects.get(action="safety_alert.acknowledge")
    assert event.detail == {"note": "Passive thoughts, no plan; safety plan reviewed."}


def test_treatment_events_make_session_questionnaires_due_once(world):
    services.schedule_set(
        actor=world.admin, clinic=world.clinic1, instrument_id="phq9", trigger="before_session"
    )
    services.schedule_set(
        actor=world.admin, clinic=world.clinic1, instrument_id="phq9", trigger="day_after_session"
    )
    at = timezone.now() - timedelta(days=1, minutes=10)
    made = services.treatment_event_recorded(
        actor=world.nurse,
        patient=world.patient1,
        kind="session_scheduled",
        at=at,
        event_ref="session-1",
    )
    assert [(d.instrument_id, d.due_on) for d in made] == [("phq9", at.date())]
    again = services.treatment_event_recorded(
        actor=world.nurse,
        patient=world.patient1,
        kind="session_scheduled",
        at=at,
        event_ref="session-1",
    )
    assert again == []
    after = services.treatment_event_recorded(
        actor=world.nurse,
        patient=world.patient1,
        kind="session_completed",
        at=at,
        event_ref="session-1",
    )
    assert after[0].due_on == at.date() + timedelta(days=1)
    rows = AuditEvent.objects.filter(action="measures.due", patient=world.patient1)
    assert sorted((r.detail["event"], r.detail["due"][0][0]) for r in rows) == [
        ("session_completed", after[0].instrument_id),
        ("session_scheduled", "phq9"),
    ]
    with pytest.raises(Http404):
        services.treatment_event_recorded(
            actor=world.nurse2,
            patient=world.patient1,
            kind="session_scheduled",
            at=at,
            event_ref="session-9",
        )
    # a PHQ-9 on the session day satisfies the before-session item, not the day-after one
    before = services.assessment_record(
        actor=world.nurse,
        patient=world.patient1,
        instrument_id="phq9",
        answers=MODERATE,
        administered_at=at,
    )
    satisfied = dict(MeasureDue.objects.values_list("schedule__trigger", "satisfied_by"))
    assert satisfied == {"before_session": before.pk, "day_after_session": None}
    # the next day's PHQ-9 satisfies the day-after item
    next_day = services.assessment_record(
        actor=world.nurse,
        patient=world.patient1,
        instrument_id="phq9",
        answers=MODERATE,
        administered_at=at + timedelta(days=1),
    )
    satisfied = dict(MeasureDue.objects.values_list("schedule__trigger", "satisfied_by"))
    assert satisfied == {"before_session": before.pk, "day_after_session": next_day.pk}


def test_a_phq9_the_day_before_a_session_counts_as_before_it(world):
    services.schedule_set(
        actor=world.admin, clinic=world.clinic1, instrument_id="phq9", trigger="before_session"
    )
    session = timezone.now() + timedelta(days=1)
    services.treatment_event_recorded(
        actor=world.nurse,
        patient=world.patient1,
        kind="session_scheduled",
        at=session,
        event_ref="session-2",
    )
    a = services.assessment_record(
        actor=world.nurse, patient=world.patient1, instrument_id="phq9", answers=MODERATE
    )
    assert MeasureDue.objects.get().satisfied_by == a


def test_a_moved_session_moves_its_unanswered_questionnaires_and_audits_it(world):
    for trigger in ("before_session", "day_after_session"):
        services.schedule_set(
            actor=world.admin, clinic=world.clinic1, instrument_id="phq9", trigger=trigger
        )
    at = timezone.now() + timedelta(days=3)
    services.treatment_event_recorded(
        actor=world.nurse, patient=world.patient1, kind="session_scheduled", at=at, event_ref="s-1"
    )
    services.treatment_event_recorded(
        actor=world.nurse, patient=world.patient1, kind="session_scheduled", at=at, event_ref="s-2"
    )
    later = at + timedelta(days=2)
    moved = services.treatment_event_moved(
        actor=world.nurse, patient=world.patient1, event_ref="s-1", at=later
    )
    day = timezone.localtime(later).date()
    assert [(d.event_ref, d.instrument_id, d.due_on) for d in moved] == [("s-1", "phq9", day)]
    due = MeasureDue.objects.get(event_ref="s-1")
    assert due.due_on == day and due.reason == f"before the session ({day:%Y-%m-%d})"
    # the other session's item stays where it was
    assert MeasureDue.objects.get(event_ref="s-2").due_on == timezone.localtime(at).date()
    event = AuditEvent.objects.get(action="measures.due_move")
    assert event.patient == world.patient1
    assert event.detail == {
        "event_ref": "s-1",
        "moved": [["phq9", f"{timezone.localtime(at).date():%Y-%m-%d}", f"{day:%Y-%m-%d}"]],
    }
    # the same day again, or an event with nothing due, changes nothing and audits nothing
    for ref in ("s-1", "s-9"):
        again = services.treatment_event_moved(
            actor=world.nurse, patient=world.patient1, event_ref=ref, at=later
        )
        assert again == []
    assert AuditEvent.objects.filter(action="measures.due_move").count() == 1
    with pytest.raises(Http404):
        services.treatment_event_moved(
            actor=world.nurse2, patient=world.patient1, event_ref="s-1", at=at
        )
