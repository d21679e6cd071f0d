"""The staff pages and the patient's self-report pages, through the real URLs."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.db.models import F, Value
from django.test import Client, override_settings
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.measures import selectors, services, trajectories
from ketamine_clinic.measures.models import Assessment, SafetyAlert, SelfReportLink
from ketamine_clinic.patients.models import Patient

MODERATE = [2, 2, 1, 1, 2, 1, 1, 1, 0]


def _phq9_post(values, difficulty=None):
    data = {f"item_{i}": str(v) for i, v in enumerate(values, start=1) if v is not None}
    if difficulty is not None:
        data["item_10"] = str(difficulty)
    return data


def test_measures_tab_shows_chart_outcomes_and_every_answer(world, login):
    first = timezone.now() - timedelta(days=20)
    services.assessment_record(
        actor=world.nurse,
        patient=world.patient1,
        instrument_id="phq9",
        answers=[3, 3, 2, 2, 2, 2, 2, 2, 0],
        administered_at=first,  # 18
    )
    services.assessment_record(
        actor=world.nurse,
        patient=world.patient1,
        instrument_id="phq9",
        answers=[1, 1, 1, 0, 0, 0, 0, 0, 0],  # 3: remission, responder
    )
    body = login(world.prescriber).get(f"/measures/patients/{world.patient1.pk}/").content.decode()
    assert 'src="data:image/svg+xml;base64,' in body
    assert "PHQ-9 totals over time" in body
    assert re.search(r"<dt>Baseline</dt><dd>18</dd>", body)
    assert re.search(r"<dt>Latest</dt><dd>3</dd>", body)
    assert "-15 (-83%)" in body
    assert body.count('<span class="good">yes</span>') == 2  # responder and remission
    assert "9:0" in body


def test_front_desk_sees_no_scores_on_the_measures_tab(world, login):
    services.assessment_record(
        actor=world.nurse, patient=world.patient1, instrument_id="phq9", answers=MODERATE
    )
    body = login(world.frontdesk).get(f"/measures/patients/{world.patient1.pk}/").content.decode()
    assert "visible to clinicians only" in body
    assert "moderate" not in body
    assert "Send a self-report link" in body


def test_clinician_entry_form_scores_and_alerts(world, login):
    client = login(world.nurse)
    url = f"/measures/patients/{world.patient1.pk}/enter/phq9/"
    form = client.get(url).content.decode()
    assert "Little interest or pleasure in doing things" in form
    assert "Pfizer" in form  # attribution
    response = client.post(url, _phq9_post([2, 2, 1, 1, 2, 1, 1, 1, 2], difficulty=1))
    assert response.status_code == 302
    a = Assessment.objects.get()
    assert (a.total, a.critical) == (13, True)
    assert SafetyAlert.objects.filter(assessment=a).exists()
    chart = client.get(f"/patients/{world.patient1.pk}/").content.decode()
    assert "Safety alert: PHQ-9: critical answer on item 9" in chart


def test_send_link_by_email_shows_the_link_once_with_a_qr_code(world, login):
    client = login(world.frontdesk)
    response = client.post(
        f"/measures/patients/{world.patient1.pk}/send/",
        {"instruments": ["phq9"], "email": "alice@example.org"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    url = re.search(r'value="(http://testserver/r/[^"]+/)"', body).group(1)
    assert 'alt="QR code of the self-report link"' in body
    assert len(mail.outbox) == 1
    assert url in mail.outbox[0].body
    assert mail.outbox[0].to == ["alice@example.org"]
    assert SelfReportLink.objects.get().emailed_to == "alice@example.org"
    assert "Sent by e-mail to alice@example.org." in body


@override_settings(EMAIL_BACKEND="tests.measures.unreachable_mail.EmailBackend")
def test_a_failed_email_still_shows_the_link_and_says_so(world, login):
    client = login(world.frontdesk)
    body = client.post(
        f"/measures/patients/{world.patient1.pk}/send/",
        {"instruments": ["phq9"], "email": "alice@example.org"},
    ).content.decode()
    assert re.search(r'value="http://testserver/r/[^"]{43}/"', body)
    assert "The e-mail to alice@example.org could not be sent." in body
    assert "Sent by e-mail" not in body


def _issue(world, instruments=("phq9",)):
    issued = services.self_report_link_create(
        actor=world.frontdesk, patient=world.patient1, instrument_ids=list(instruments)
    )
    return f"/r/{issued.token}/"


def test_patient_answers_on_the_link_and_sees_only_their_first_name(world, client):
    url = _issue(world)
    start = client.get(url).content.decode()
    assert "Hello Alice" in start
    assert "Moreno" not in start and "TH000001" not in start and "1984" not in start
    assert AuditEvent.objects.filter(action="self_report.open").count() == 1
    page = client.get(f"{url}phq9/").content.decode()
    assert "<legend>1. Little interest or pleasure in doing things</legend>" in page
    response = client.post(f"{url}phq9/", _phq9_post(MODERATE))
    assert response.status_code == 302
    assert response["Location"] == "/r/done/"
    done = client.get("/r/done/").content.decode()
    assert "Thank you, Alice" in done
    assert "988" not in done  # no alert, no crisis box
    assert Assessment.objects.get().total == 11
    # the link is dead now: the neutral page
    again = client.get(url)
    assert again.status_code == 404
    assert "This link is not valid" in again.content.decode()


def test_a_critical_self_report_shows_crisis_resources(world, client):
    url = _issue(world)
    client.post(f"{url}phq9/", _phq9_post([0, 0, 0, 0, 0, 0, 0, 0, 1]))
    done = client.get("/r/done/").content.decode()
    assert "call or text 988" in done
    assert SafetyAlert.objects.count() == 1


def test_an_unfinished_critical_self_report_shows_crisis_resources_on_every_later_visit(
    world, client
):
    url = _issue(world)
    partial = client.post(f"{url}phq9/", {"item_1": "1", "item_9": "2"})
    assert partial.status_code == 422  # unfinished: the patient is told what is missing
    assert "call or text 988" in partial.content.decode()
    assert SafetyAlert.objects.get().reason == (
        "PHQ-9: critical answer on item 9 (response not finished)"
    )
    later = Client().get(url).content.decode()  # another visit, another session
    assert "call or text 988" in later
    assert "Continue: PHQ-9" in later


def test_the_clinic_can_set_its_own_crisis_text(world, client):
    services.crisis_resources_set(
        actor=world.admin, clinic=world.clinic1, text="Call Samaritans on 116 123."
    )
    url = _issue(world)
    client.post(f"{url}phq9/", _phq9_post([0, 0, 0, 0, 0, 0, 0, 0, 2]))
    done = client.get("/r/done/").content.decode()
    assert "Call Samaritans on 116 123." in done
    assert "988" not in done


def test_a_partial_answer_is_kept_and_the_patient_is_told_what_is_missing(world, client):
    url = _issue(world)
    response = client.post(f"{url}phq9/", _phq9_post([1, 1, 1]))
    assert response.status_code == 422
    assert "answer questions 4, 5, 6, 7, 8, 9 to finish" in response.content.decode()
    assert Assessment.objects.get().status == "incomplete"
    resumed = client.get(f"{url}phq9/").content.decode()
    checked = re.findall(
        r'<input type="radio" name="(item_\d+)" value="(\d)"[^>]*\bchecked\b', resumed
    )
    assert checked == [("item_1", "1"), ("item_2", "1"), ("item_3", "1")]
    assert "Continue: PHQ-9" in client.get(url).content.decode()


@pytest.mark.parametrize("case", ["unknown", "expired", "revoked", "used"])
def test_every_invalid_link_gets_the_same_neutral_page_and_an_audit_event(world, client, case):
    url = _issue(world)
    if case == "unknown":
        url = "/r/" + "x" * 43 + "/"
    elif case == "expired":
        SelfReportLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    elif case == "revoked":
        services.self_report_link_revoke(actor=world.nurse, link=SelfReportLink.objects.get())
    else:
        client.post(f"{url}phq9/", _phq9_post(MODERATE))
    response = client.get(url)
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    event = AuditEvent.objects.filter(action="self_report.invalid_link").get()
    expected = {
        "unknown": "unknown token",
        "expired": "expired",
        "revoked": "revoked",
        "used": "submitted",
    }[case]
    assert event.detail == {"status": expected}


@override_settings(SELF_REPORT_RATE_PER_MINUTE=3)
def test_link_pages_are_rate_limited_per_address(world, client):
    cache.clear()
    statuses = [client.get("/r/" + "y" * 43 + "/").status_code for _ in range(5)]
    assert statuses == [404, 404, 404, 429, 429]
    cache.clear()


def test_worklist_shows_open_alerts_and_due_questionnaires(world, login):
    services.schedule_set(
        actor=world.admin, clinic=world.clinic1, instrument_id="phq9", trigger="baseline"
    )
    services.assessment_record(
        actor=world.nurse,
        patient=world.patient1,
        instrument_id="phq9",
        answers=[0, 0, 0, 0, 0, 0, 0, 0, 1],
    )
    client = login(world.prescriber)
    body = client.get("/measures/worklist/").content.decode()
    assert "PHQ-9: critical answer on item 9" in body
    assert "Nothing is due." in body  # patient1 has done the baseline PHQ-9
    alert = SafetyAlert.objects.get()
    shown = AuditEvent.objects.get(action="chart.view", detail__via="worklist")
    assert (shown.clinic, shown.detail) == (
        world.clinic1,
        {"via": "worklist", "alerts": [alert.pk], "patients": [world.patient1.pk]},
    )
    assert [p.patient for p in shown.named_patients.all()] == [world.patient1]
    ack = client.post(
        f"/measures/alerts/{alert.pk}/",
        {"action": "assessed_in_person", "note": "Seen today; no intent; plan reviewed."},
    )
    assert ack.status_code == 302
    assert "No open safety alert." in client.get("/measures/worklist/").content.decode()


def test_worklist_shows_due_and_overdue_questionnaires(world, login):
    services.schedule_set(
        actor=world.admin, clinic=world.clinic1, instrument_id="gad7", trigger="baseline"
    )
    services.schedule_set(
        actor=world.admin,
        clinic=world.clinic1,
        instrument_id="phq9",
        trigger="every_n_days",
        interval_days=14,
    )
    last = timezone.now() - timedelta(days=20)
    services.assessment_record(
        actor=world.nurse,
        patient=world.patient1,
        instrument_id="phq9",
        answers=MODERATE,
        administered_at=last,
    )
    due = {
        (d.instrument.id, d.due_on, d.reason, d.overdue)
        for d in selectors.due_questionnaires(world.prescriber)
    }
    today = timezone.localdate()
    registered = timezone.localtime(world.patient1.created_at).date()
    # PHQ-9: due 14 days after the last one (6 days ago), overdue after 2 more days.
    # GAD-7: due since registration (today in the fixture), not overdue yet.
    assert due == {
        ("phq9", last.date() + timedelta(days=14), "every 14 days", True),
        ("gad7", registered, "baseline", registered + timedelta(days=2) < today),
    }
    body = login(world.prescriber).get("/measures/worklist/").content.decode()
    assert "every 14 days" in body and "overdue" in body and "baseline" in body
    # clinic 2's nurse sees nothing of clinic 1's patients
    assert selectors.due_questionnaires(world.nurse2) == []


@pytest.mark.parametrize("moment", [time(0, 1), time(23, 59)])  # either end of that local day
@pytest.mark.parametrize(("days_ago", "due"), [(13, False), (14, True), (15, True)])
def test_a_questionnaire_every_14_days_is_due_from_the_14th_day(world, days_ago, due, moment):
    """Counted in local calendar days from the last complete response (edge: 13, 14, 15)."""
    services.schedule_set(
        actor=world.admin,
        clinic=world.clinic1,
        instrument_id="phq9",
        trigger="every_n_days",
        interval_days=14,
    )
    today = timezone.localdate()
    last_day = today - timedelta(days=days_ago)
    services.assessment_record(
        actor=world.nurse,
        patient=world.patient1,
        instrument_id="phq9",
        answers=MODERATE,
        administered_at=timezone.make_aware(datetime.combine(last_day, moment)),
    )

    rows = [
        d
        for d in selectors.due_questionnaires(world.prescriber, today)
        if d.patient == world.patient1
    ]

    assert [(d.instrument.id, d.due_on) for d in rows] == (
        [("phq9", last_day + timedelta(days=14))] if due else []
    )


def test_a_nurse_sees_the_alert_but_cannot_acknowledge_it(world, login):
    services.assessment_record(
        actor=world.nurse,
        patient=world.patient1,
        instrument_id="phq9",
        answers=[0, 0, 0, 0, 0, 0, 0, 0, 1],
    )
    alert = SafetyAlert.objects.get()
    client = login(world.nurse)
    assert (
        "Only a prescriber can acknowledge"
        in client.get(f"/measures/alerts/{alert.pk}/").content.decode()
    )
    assert (
        client.post(f"/measures/alerts/{alert.pk}/", {"action": "other", "note": "x"}).status_code
        == 403
    )
    assert SafetyAlert.objects.get().is_open


def test_another_clinics_alert_is_404(world, login):
    services.assessment_record(
        actor=world.nurse2,
        patient=world.patient2,
        instrument_id="phq9",
        answers=[0, 0, 0, 0, 0, 0, 0, 0, 1],
    )
    alert = SafetyAlert.objects.get()
    assert login(world.prescriber).get(f"/measures/alerts/{alert.pk}/").status_code == 404


def test_settings_page_sets_a_schedule(world, login):
    client = login(world.admin)
    response = client.post(
        "/measures/settings/",
        {
            "clinic": world.clinic1.pk,
            "instrument": "phq9",
            "trigger": "every_n_days",
            "interval_days": "14",
            "active": "on",
        },
    )
    assert response.status_code == 302
    page = client.get("/measures/settings/").content.decode()
    assert "Every N days in follow-up (N = 14)" in page
    bad = client.post(
        "/measures/settings/",
        {
            "clinic": world.clinic1.pk,
            "instrument": "phq9",
            "trigger": "every_n_days",
            "interval_days": "",
        },
    )
    assert "Give the number of days" in bad.content.decode()


def test_the_dashboard_counts_open_alerts_for_clinicians_only(world, login, client):
    services.assessment_record(
        actor=world.nurse,
        patient=world.patient1,
        instrument_id="phq9",
        answers=[0, 0, 0, 0, 0, 0, 0, 0, 3],
    )
    body = login(world.prescriber).get("/").content.decode()
    assert re.search(r"<h2>Open safety alerts</h2>\s*<p class=\"big\">1</p>", body)
    client.logout()
    assert "Open safety alerts" not in login(world.frontdesk).get("/").content.decode()


def test_the_treatment_seam_sets_the_baseline_before_the_first_treatment(world, monkeypatch):
    now = timezone.now()
    for days_ago, answers in [
        (10, [3, 3, 3, 3, 2, 2, 2, 2, 0]),  # 20
        (5, [2, 2, 2, 2, 2, 2, 2, 2, 0]),  # 16
        (1, [1, 1, 1, 1, 1, 1, 1, 1, 0]),  # 8
    ]:
        services.assessment_record(
            actor=world.nurse,
            patient=world.patient1,
            instrument_id="phq9",
            answers=answers,
            administered_at=now - timedelta(days=days_ago),
        )
    first_treatment = now - timedelta(days=7)

    def given_at(*times):
        return [
            lambda t=t: Patient.objects.annotate(patient_id=F("pk"), treated_at=Value(t))
            for t in times
        ]

    monkeypatch.setattr(trajectories, "TREATMENT_TIMES_PROVIDERS", given_at(now, first_treatment))
    assert selectors.treatment_times(world.patient1) == [first_treatment, now]
    (phq9,) = selectors.score_histories(world.patient1)
    t = phq9.trajectory
    assert [total for _, total in phq9.points] == [20, 16, 8]
    assert (t.baseline, t.latest, t.change, t.responder, t.remission) == (20, 8, -12, True, False)
    # with the first treatment before every score there is no baseline
    monkeypatch.setattr(
        trajectories, "TREATMENT_TIMES_PROVIDERS", given_at(now - timedelta(days=30))
    )
    (phq9,) = selectors.score_histories(world.patient1)
    assert (phq9.trajectory.baseline, phq9.trajectory.latest) == (None, 8)


def test_the_measures_tab_takes_a_fixed_number_of_queries(
    world, login, django_assert_max_num_queries
):
    """One day of scores or twelve on two instruments: the tab takes the same queries, one of
    them the outcomes query."""
    now = timezone.now()
    client = login(world.nurse)
    counts = []
    for days in (range(1), range(1, 12)):
        for days_ago in days:
            for instrument_id, answers in [("phq9", [2] * 9), ("gad7", [1] * 7)]:
                services.assessment_record(
                    actor=world.nurse,
                    patient=world.patient1,
                    instrument_id=instrument_id,
                    answers=answers,
                    administered_at=now - timedelta(days=days_ago),
                )
        # 46: the chart frame checks the clinical-view permission (minimum necessary, #14) and
        # reads the clinic's time zone (#16).
        with django_assert_max_num_queries(46) as captured:
            page = client.get(f"/measures/patients/{world.patient1.pk}/")
        assert page.status_code == 200 and "Baseline" in page.content.decode()
        sqls = [q["sql"].upper() for q in captured.captured_queries]
        assert len([sql for sql in sqls if "FIRST_VALUE" in sql]) == 1
        counts.append(len(sqls))
    assert counts[0] == counts[1]


@override_settings(SELF_REPORT_RATE_PER_MINUTE=4)
def test_every_patient_link_shares_one_budget_per_address(world, client):
    """Self-report, consent and intake links count against the same per-address limit, so
    guessing tokens on one kind of link does not get a fresh budget on another."""
    cache.clear()
    token = "z" * 43
    paths = [f"/r/{token}/", f"/c/{token}/", f"/i/{token}/", f"/r/{token}/", f"/c/{token}/"]
    statuses = [client.get(path).status_code for path in paths]
    assert statuses == [404, 404, 404, 404, 429]
    assert client.get(f"/i/{token}/").status_code == 429
    cache.clear()
