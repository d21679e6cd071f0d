"""The session's API at its edges: each step out of order is refused naming the step that comes
first, a signed session takes addenda only, a reading before check-in or in the future is
refused, and each write names the field at fault (422), never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ketamine_clinic.treatments import closing, services
from ketamine_clinic.treatments.models import AdministrationEvent, TreatmentSession
from tests.conftest import PASSWORD

from .conftest import answers, walk_in
from .test_session_flow import ALL_MET, _dosed

API = "/api/v1"
DISCHARGE = {
    "alert_and_oriented": True,
    "nausea_controlled": True,
    "walks_steadily": True,
    "escort_present": True,
    "instructions_given": True,
}


def _post(client, url, body, headers):
    return client.post(url, body, content_type="application/json", **headers)


def _errors(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_discharge_before_administration_names_the_step(world, bay, clock, client, token_for):
    nurse = token_for(world.nurse)
    session = walk_in(world, bay)
    base = f"{API}/sessions/{session.pk}"
    assert _errors(_post(client, f"{base}/discharge", DISCHARGE, nurse)) == {
        "state": "Discharge is not possible while the session is Waiting: check the patient in "
        "first."
    }
    services.check_in(actor=world.nurse, session=session, data=answers())
    assert _errors(_post(client, f"{base}/discharge", DISCHARGE, nurse))["state"].endswith(
        "Checked in: prepare, draw and verify the dose first."
    )
    dose = services.dose_prepare(
        actor=world.nurse, session=session, signature=PASSWORD, container=bay.vial
    )
    services.dose_verify(
        actor=world.prescriber, session=session, dose_mg=dose.dose_mg, signature=PASSWORD
    )
    services.administration_record(actor=world.nurse, session=session, kind="start")
    running = _errors(_post(client, f"{base}/discharge", DISCHARGE, nurse))["state"]
    assert running == (
        "Discharge is not possible while the session is Dosing: record the administration to "
        "its end (the stop, or every device) first."
    )
    assert _errors(_post(client, f"{base}/sign", {"text": ""}, nurse))["state"].startswith(
        "Signing the note is not possible while the session is Dosing"
    )


def test_a_signed_session_takes_addenda_only(world, bay, clock, client, token_for):
    session, _ = _dosed(world, bay, clock)
    services.administration_record(actor=world.nurse, session=session, kind="start")
    clock.advance(40)
    services.administration_record(actor=world.nurse, session=session, kind="stop")
    clock.advance(61)
    closing.discharge_record(
        actor=world.prescriber, session=session, checklist=ALL_MET, override_reason="escort"
    )
    closing.note_sign(actor=world.nurse, session=session, text="done")
    nurse = token_for(world.nurse)
    base = f"{API}/sessions/{session.pk}"
    locked = "the note is signed and locked: corrections are addenda."
    for step, body in (
        ("vitals", {"sbp": "120", "dbp": "80"}),
        ("side-effects", {"code": "nausea"}),
        ("administration", {"kind": "resume"}),
        ("discharge", DISCHARGE),
    ):
        assert _errors(_post(client, f"{base}/{step}", body, nurse))["state"].endswith(locked)
    assert _errors(_post(client, f"{base}/sign", {"text": "again"}, nurse)) == {
        "state": "The note is signed: add an addendum instead."
    }
    added = _post(client, f"{base}/addenda", {"text": "BP 124/80 by phone"}, nurse)
    assert added.status_code == 200
    assert [a["text"] for a in added.json()["note"]["addenda"]] == ["BP 124/80 by phone"]
    assert _errors(_post(client, f"{base}/addenda", {"text": "  "}, nurse)) == {
        "text": "Write the addendum."
    }


def test_readings_before_check_in_or_in_the_future_are_refused(
    world, bay, clock, client, token_for
):
    nurse = token_for(world.nurse)
    session = walk_in(world, bay)
    base = f"{API}/sessions/{session.pk}"
    assert _errors(_post(client, f"{base}/vitals", {"sbp": "120", "dbp": "80"}, nurse)) == {
        "state": "Recording vitals is not possible while the session is Waiting: check the "
        "patient in first."
    }
    services.check_in(actor=world.nurse, session=session, data=answers())
    checked_in = TreatmentSession.objects.get(pk=session.pk).checked_in_at
    for when, message in (
        (checked_in - timedelta(minutes=1), "This time is before the patient checked in."),
        (clock.now + timedelta(minutes=2), "This time is in the future."),
    ):
        body = {"sbp": "120", "dbp": "80", "taken_at": when.isoformat()}
        assert _errors(_post(client, f"{base}/vitals", body, nurse)) == {"taken_at": message}
    just_in_time = {"sbp": "120", "dbp": "80", "taken_at": checked_in.isoformat()}
    assert _post(client, f"{base}/vitals", just_in_time, nurse).status_code == 200
    naive = {"sbp": "120", "dbp": "80", "taken_at": "2026-01-01T10:00:00"}
    assert "taken_at" in _errors(_post(client, f"{base}/vitals", naive, nurse))
    assert _errors(_post(client, f"{base}/vitals", {"dbp": "80"}, nurse)) == {
        "sbp": "Blood pressure needs both systolic and diastolic."
    }
    assert _errors(_post(client, f"{base}/vitals", {"moaas": 6}, nurse)) == {
        "moaas": "MOAA/S is 0 to 5."
    }
    assert _post(client, f"{base}/vitals", {"sbp": "120", "pulse": "1"}, nurse).status_code == 422


def test_administration_edges(world, bay, clock, client, token_for):
    session, _ = _dosed(world, bay, clock)
    nurse = token_for(world.nurse)
    url = f"{API}/sessions/{session.pk}/administration"
    assert _errors(_post(client, url, {"kind": "fly"}, nurse)) == {
        "kind": "Choose start, pause, resume, rate change, stop or device."
    }
    assert _errors(_post(client, url, {"kind": "stop"}, nurse)) == {
        "kind": "The administration begins with 'start'."
    }
    assert _post(client, url, {"kind": "start"}, nurse).status_code == 200
    assert _errors(_post(client, url, {"kind": "resume"}, nurse)) == {
        "kind": "'resume' is not possible now."
    }
    assert _errors(_post(client, url, {"kind": "rate_change"}, nurse)) == {
        "rate_ml_per_h": "Give the new rate in mL/h."
    }
    start = AdministrationEvent.objects.get(session=session).at
    before = {"kind": "pause", "at": (start - timedelta(minutes=1)).isoformat()}
    assert "at" in _errors(_post(client, url, before, nurse))
    assert AdministrationEvent.objects.filter(session=session).count() == 1


def test_side_effect_and_adverse_event_edges(world, bay, clock, client, token_for):
    nurse = token_for(world.nurse)
    session = walk_in(world, bay)
    base = f"{API}/sessions/{session.pk}"
    event = {"description": "Vomited", "severity": "moderate", "serious": False}
    assert _errors(_post(client, f"{base}/adverse-events", event, nurse)) == {
        "state": "The session has not started."
    }
    services.check_in(actor=world.nurse, session=session, data=answers())
    assert _errors(_post(client, f"{base}/side-effects", {"code": "hiccups"}, nurse)) == {
        "code": "Choose a side effect from the list."
    }
    assert _errors(_post(client, f"{base}/side-effects", {"code": "other"}, nurse)) == {
        "detail": "Describe it."
    }
    long = {"code": "nausea", "detail": "x" * 301}
    assert _errors(_post(client, f"{base}/side-effects", long, nurse)) == {
        "detail": "At most 300 characters."
    }
    assert _post(client, f"{base}/side-effects", {"code": "nausea"}, nurse).status_code == 200
    assert _errors(
        _post(client, f"{base}/adverse-events", {**event, "severity": "awful"}, nurse)
    ) == {"severity": "Choose mild, moderate, severe or life-threatening."}
    assert _errors(
        _post(client, f"{base}/adverse-events", {**event, "description": ""}, nurse)
    ) == {"description": "Describe the event."}
    ok = _post(client, f"{base}/adverse-events", {**event, "relatedness": "possible"}, nurse)
    assert ok.status_code == 200
    assert [(a["severity"], a["open"]) for a in ok.json()["adverse_events"]] == [
        ("moderate", False)
    ]


@pytest.mark.parametrize(
    ("step", "body"),
    [
        ("discharge", DISCHARGE),
        ("sign", {"text": ""}),
        ("side-effects", {"code": "nausea"}),
        ("adverse-events", {"description": "x", "severity": "mild", "serious": False}),
        ("administration", {"kind": "start"}),
        ("vitals", {"sbp": "120", "dbp": "80"}),
    ],
)
def test_another_clinics_session_is_404(world, bay, client, token_for, step, body):
    session = walk_in(world, bay)
    other = token_for(world.nurse2)
    assert _post(client, f"{API}/sessions/{session.pk}/{step}", body, other).status_code == 404
