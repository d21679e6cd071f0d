"""The esketamine REMS worklist: a Patient Monitoring Form due within 7 days of each session
(reference.md §2.5), overdue the day after, marked sent with the date and by whom; and the
enrolment gate before the first dose, through the API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.treatments import closing, selectors, services
from ketamine_clinic.treatments.models import RemsMonitoringForm, TreatmentSession

from .conftest import BASELINE, GOOD_ANSWERS, make_protocol

API = "/api/v1"


def _form(world, bay, session_day: date) -> RemsMonitoringForm:
    """A discharged esketamine session on `session_day` and its form (as discharge makes it)."""
    protocol = make_protocol(world, route="intranasal", slug=f"esk-{session_day}")
    session = services.session_walk_in(
        actor=world.prescriber,
        patient=world.patient1,
        protocol=protocol,
        chair=bay.chair,
        reason="x",
    )
    TreatmentSession.objects.filter(pk=session.pk).update(state="discharged")
    return RemsMonitoringForm.objects.create(
        clinic=world.clinic1,
        patient=world.patient1,
        session=session,
        due_on=session_day + timedelta(days=closing.REMS_FORM_DAYS),
    )


@pytest.mark.parametrize(
    ("days_ago", "overdue", "days_left"), [(6, False, 1), (7, False, 0), (8, True, -1)]
)
def test_a_form_past_7_days_is_overdue(world, bay, days_ago, overdue, days_left):
    today = timezone.localdate()
    _form(world, bay, today - timedelta(days=days_ago))
    [row] = selectors.rems_worklist(world.nurse, today)
    assert (row.overdue, row.days_left) == (overdue, days_left)


def test_marking_sent_records_date_and_who_and_leaves_the_list(world, bay):
    form = _form(world, bay, timezone.localdate() - timedelta(days=2))
    with pytest.raises(ValidationError) as future:
        closing.rems_form_mark_sent(
            actor=world.nurse, form=form, sent_on=timezone.localdate() + timedelta(days=1)
        )
    assert "sent_on" in future.value.message_dict
    closing.rems_form_mark_sent(actor=world.nurse, form=form, sent_on=timezone.localdate())
    form.refresh_from_db()
    assert (form.sent_on, form.sent_by) == (timezone.localdate(), world.nurse)
    assert selectors.rems_worklist(world.nurse) == []
    with pytest.raises(ValidationError):
        closing.rems_form_mark_sent(actor=world.nurse, form=form, sent_on=timezone.localdate())


def test_the_worklist_through_the_api_and_the_page(world, bay, client, token_for, login):
    late = _form(world, bay, timezone.localdate() - timedelta(days=9))
    nurse = token_for(world.nurse)
    listed = client.get(f"{API}/rems-forms", **nurse).json()
    assert [(r["id"], r["overdue"], r["days_left"]) for r in listed] == [(late.pk, True, -2)]
    assert client.get(f"{API}/rems-forms", **token_for(world.nurse2)).json() == []
    other = client.post(
        f"{API}/rems-forms/{late.pk}/sent",
        {},
        content_type="application/json",
        **token_for(world.nurse2),
    )
    assert other.status_code == 404
    page = login(world.nurse).get("/sessions/rems-forms/")
    assert b"Overdue by 2 days" in page.content
    bad = client.post(
        f"{API}/rems-forms/{late.pk}/sent",
        {"sent_on": "2999-01-01"},
        content_type="application/json",
        **nurse,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sent_on"
    ok = client.post(
        f"{API}/rems-forms/{late.pk}/sent", {}, content_type="application/json", **nurse
    )
    assert ok.status_code == 200
    assert (ok.json()["sent_by"], ok.json()["sent_on"]) == ("nurse", str(timezone.localdate()))
    assert b"No form waiting" in login(world.nurse).get("/sessions/rems-forms/").content


def test_an_unenrolled_esketamine_patient_cannot_be_checked_in_through_the_api(
    world, bay, client, token_for
):
    session = services.session_walk_in(
        actor=world.prescriber,
        patient=world.patient1,
        protocol=make_protocol(world, route="intranasal"),
        chair=bay.chair,
        reason="x",
    )
    response = client.post(
        f"{API}/sessions/{session.pk}/check-in",
        {
            "answers": GOOD_ANSWERS,
            "baseline": {k: str(v) for k, v in BASELINE.items()},
            "pre_dose_moaas": 5,
        },
        content_type="application/json",
        **token_for(world.nurse),
    )
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "Enrol the patient in the esketamine REMS" in fields["rems"]
    assert TreatmentSession.objects.get(pk=session.pk).state == "waiting"
