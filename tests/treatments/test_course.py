"""Over the course (issue #17): the bladder question every N sessions at check-in, and liver
tests every N days with a reminder when due (both protocol values, "clinic default")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.accounts.access import AccessDenied
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.treatments import course, services
from ketamine_clinic.treatments.models import CheckIn, SessionAlert, TreatmentSession

from .conftest import GOOD_ANSWERS, answers, walk_in


def _past_check_in(world, bay, asked: bool) -> None:
    session = walk_in(world, bay)
    extra = {course.BLADDER_KEY: False} if asked else {}
    CheckIn.objects.create(
        clinic=world.clinic1,
        patient=world.patient1,
        session=session,
        recorded_by=world.nurse,
        recorded_at=timezone.now(),
        answers=extra,
    )


def test_the_bladder_question_comes_every_third_session(world, bay):
    bay.protocol.bladder_check_every_sessions = 3
    bay.protocol.save()
    asked = []
    for number in range(1, 8):
        session = walk_in(world, bay)
        due = course.bladder_question_due(session)
        asked.append(due)
        CheckIn.objects.create(
            clinic=world.clinic1,
            patient=world.patient1,
            session=session,
            recorded_by=world.nurse,
            recorded_at=timezone.now() + timedelta(seconds=number),
            answers={course.BLADDER_KEY: False} if due else {},
        )
    # sessions 1, 4 and 7
    assert asked == [True, False, False, True, False, False, True]


def test_check_in_needs_the_answer_when_due_and_a_yes_alerts_the_prescriber(world, bay):
    session = walk_in(world, bay)
    without = {k: v for k, v in GOOD_ANSWERS.items() if k != course.BLADDER_KEY}
    with pytest.raises(ValidationError) as missing:
        services.check_in(
            actor=world.nurse,
            session=session,
            data=services.CheckInAnswers(
                answers=without, baseline=answers().baseline, pre_dose_moaas=5
            ),
        )
    assert set(missing.value.message_dict) == {course.BLADDER_KEY}
    assert "clinic default" in missing.value.message_dict[course.BLADDER_KEY][0]
    services.check_in(
        actor=world.nurse, session=session, data=answers(answers={course.BLADDER_KEY: True})
    )
    [alert] = SessionAlert.objects.filter(session=session)
    assert (alert.code, alert.level) == ("bladder_symptoms", "warning")
    assert CheckIn.objects.get(session=session).answers[course.BLADDER_KEY] is True


def test_not_due_the_question_is_not_needed(world, bay):
    _past_check_in(world, bay, asked=True)
    session = walk_in(world, bay)
    without = {k: v for k, v in GOOD_ANSWERS.items() if k != course.BLADDER_KEY}
    services.check_in(
        actor=world.nurse,
        session=session,
        data=services.CheckInAnswers(
            answers=without, baseline=answers().baseline, pre_dose_moaas=5
        ),
    )
    assert TreatmentSession.objects.get(pk=session.pk).state == "checked_in"


@pytest.mark.parametrize(("days_ago", "due"), [(89, False), (90, True), (91, True)])
def test_a_liver_test_is_due_90_days_after_the_last(world, bay, days_ago, due):
    today = timezone.localdate()
    course.liver_test_record(
        actor=world.nurse,
        patient=world.patient1,
        taken_on=today - timedelta(days=days_ago),
        result="normal",
        detail="ALT 24 U/L",
    )
    status = course.liver_status(world.patient1, bay.protocol, today)
    assert status.due is due
    assert status.due_on == today - timedelta(days=days_ago) + timedelta(days=90)
    assert status.days_overdue == max(0, days_ago - 90)


def test_no_liver_test_is_due_now_and_bad_input_is_named(world, bay):
    assert course.liver_status(world.patient1, bay.protocol).due
    with pytest.raises(ValidationError) as bad:
        course.liver_test_record(
            actor=world.nurse,
            patient=world.patient1,
            taken_on=timezone.localdate() + timedelta(days=1),
            result="fine",
        )
    assert set(bad.value.message_dict) == {"taken_on", "result"}
    with pytest.raises(AccessDenied):  # another clinic's nurse
        course.liver_test_record(
            actor=world.nurse2,
            patient=world.patient1,
            taken_on=timezone.localdate(),
            result="normal",
        )


def test_the_sessions_tab_and_check_in_show_the_reminder(world, bay, client, login):
    session = walk_in(world, bay)
    login(world.nurse)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "Liver tests</strong> every 90 days (clinic default" in page
    assert "none recorded." in page and "Due" in page
    assert 'name="bladder_symptoms"' in page
    tab = f"/sessions/patient/{world.patient1.pk}/"
    response = client.post(
        f"{tab}liver-tests/",
        {
            "taken_on": timezone.localdate().isoformat(),
            "result": "abnormal",
            "detail": "ALT 62 U/L",
        },
    )
    assert response.status_code == 302
    body = client.get(tab).content.decode()
    assert "Abnormal" in body and "ALT 62 U/L" in body
    assert "Next due " + (timezone.localdate() + timedelta(days=90)).isoformat() in body
    assert (
        AuditEvent.objects.filter(action="session.liver_test", patient=world.patient1).count() == 1
    )
    client.post(f"{tab}liver-tests/", {"taken_on": "yesterday", "result": "normal"})
    assert "Give the date as YYYY-MM-DD." in client.get(tab).content.decode()
