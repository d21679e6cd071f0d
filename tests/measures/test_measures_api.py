"""The measures endpoints of the JSON API."""

from __future__ import annotations

from django.core import mail

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.measures.models import Assessment, SafetyAlert, SelfReportLink

API = "/api/v1"
CRITICAL = [2, 2, 1, 1, 2, 1, 1, 1, 1]


def _post(client, headers, path, body):
    return client.post(f"{API}{path}", body, content_type="application/json", **headers)


def test_instruments_are_listed_with_items_licence_and_codes(world, client, token_for):
    response = client.get(f"{API}/instruments", **token_for(world.nurse))
    assert response.status_code == 200
    phq9 = next(i for i in response.json() if i["id"] == "phq9")
    assert phq9["loinc_panel"] == "44249-1"
    assert phq9["total_range"] == [0, 27]
    assert phq9["items"][8]["loinc"] == "44260-8"
    assert phq9["items"][8]["text"].startswith("Thoughts that you would be better off dead")
    assert [o["value"] for o in phq9["items"][0]["options"]] == [0, 1, 2, 3]
    assert "Public domain" in phq9["licence"]


def test_post_a_critical_phq9_returns_the_score_and_the_alert(world, client, token_for):
    headers = token_for(world.nurse)
    response = _post(
        client,
        headers,
        f"/patients/{world.patient1.pk}/assessments",
        {"instrument": "phq9", "answers": CRITICAL},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["total"], body["severity"], body["critical"]) == (12, "moderate", True)
    assert body["safety_alert_id"] == SafetyAlert.objects.get().pk
    assert body["answers"][8] == {"item_number": 9, "value": 1, "loinc": "44260-8"}
    listed = client.get(f"{API}/patients/{world.patient1.pk}/assessments", **headers).json()
    assert [a["id"] for a in listed] == [body["id"]]
    assert listed[0]["safety_alert_id"] == body["safety_alert_id"]
    read = AuditEvent.objects.get(action="chart.view", detail__via="assessments")
    assert (read.actor, read.patient) == (world.nurse, world.patient1)


def test_a_link_with_an_email_is_sent_and_a_bad_address_names_the_field(world, client, token_for):
    headers = token_for(world.frontdesk)
    path = f"/patients/{world.patient1.pk}/self-report-links"
    bad = _post(client, headers, path, {"instruments": ["phq9"], "email": "alice-at-example"})
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"field": "email", "message": "Enter a valid e-mail address."}]
    assert not SelfReportLink.objects.exists()
    assert mail.outbox == []
    sent = _post(client, headers, path, {"instruments": ["phq9"], "email": "alice@example.org"})
    assert sent.status_code == 201
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.org"]
    assert sent.json()["url"] in mail.outbox[0].body
    assert sent.json()["emailed"] is True


def test_a_link_whose_email_fails_is_still_answered_with_its_token(world, client, token_for):
    from django.test import override_settings

    path = f"/patients/{world.patient1.pk}/self-report-links"
    with override_settings(EMAIL_BACKEND="tests.measures.unreachable_mail.EmailBackend"):
        sent = _post(
            client, token_for(world.frontdesk), path, {"instruments": ["phq9"], "email": "a@b.org"}
        )
    assert sent.status_code == 201
    assert (sent.json()["emailed"], len(sent.json()["token"])) == (False, 43)
    assert SelfReportLink.objects.get().emailed_to == "a@b.org"


def test_bad_answers_answer_422_naming_the_item(world, client, token_for):
    response = _post(
        client,
        token_for(world.nurse),
        f"/patients/{world.patient1.pk}/assessments",
        {"instrument": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, 7]},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "answers.9", "message": "Item 9: 7 is not one of 0, 1, 2, 3."}
    ]
    assert not Assessment.objects.exists()


def test_unknown_fields_and_wrong_types_are_refused(world, client, token_for):
    headers = token_for(world.nurse)
    path = f"/patients/{world.patient1.pk}/assessments"
    extra = _post(client, headers, path, {"instrument": "phq9", "answers": [0] * 9, "x": 1})
    assert extra.status_code == 422
    assert extra.json()["errors"][0]["field"] == "x"
    wrong = _post(client, headers, path, {"instrument": "phq9", "answers": "all zero"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "answers"


def test_front_desk_sends_links_but_cannot_read_or_enter_answers(world, client, token_for):
    headers = token_for(world.frontdesk)
    path = f"/patients/{world.patient1.pk}"
    link = _post(client, headers, f"{path}/self-report-links", {"instruments": ["phq9"]})
    assert link.status_code == 201
    body = link.json()
    assert body["url"] == f"http://testserver/r/{body['token']}/"
    assert SelfReportLink.objects.get().token_hash != body["token"]
    assert client.get(f"{API}{path}/assessments", **headers).status_code == 403
    entered = _post(client, headers, f"{path}/assessments", {"instrument": "phq9", "answers": []})
    assert entered.status_code == 403


def test_another_clinics_patient_is_404(world, client, token_for):
    headers = token_for(world.nurse)
    path = f"/patients/{world.patient2.pk}"
    assert client.get(f"{API}{path}/assessments", **headers).status_code == 404
    assert (
        _post(client, headers, f"{path}/self-report-links", {"instruments": ["phq9"]}).status_code
        == 404
    )


def test_alerts_are_listed_and_acknowledged_by_a_prescriber(world, client, token_for):
    _post(
        client,
        token_for(world.nurse),
        f"/patients/{world.patient1.pk}/assessments",
        {"instrument": "phq9", "answers": CRITICAL},
    )
    prescriber = token_for(world.prescriber)
    alerts = client.get(f"{API}/safety-alerts", **prescriber).json()
    assert len(alerts) == 1
    alert_id = alerts[0]["id"]
    read = AuditEvent.objects.get(action="chart.view", detail__via="api")
    assert (read.actor, read.clinic, read.detail) == (
        world.prescriber,
        world.clinic1,
        {"via": "api", "alerts": [alert_id], "patients": [world.patient1.pk]},
    )
    unknown = client.get(f"{API}/safety-alerts?status=closed", **prescriber)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "status"
    nurse_try = _post(
        client,
        token_for(world.nurse),
        f"/safety-alerts/{alert_id}/acknowledge",
        {"action": "safety_plan", "note": "x"},
    )
    assert nurse_try.status_code == 403
    no_note = _post(
        client,
        prescriber,
        f"/safety-alerts/{alert_id}/acknowledge",
        {"action": "safety_plan", "note": ""},
    )
    assert no_note.status_code == 422
    assert no_note.json()["errors"][0]["field"] == "note"
    done = _post(
        client,
        prescriber,
        f"/safety-alerts/{alert_id}/acknowledge",
        {"action": "contacted_by_phone", "note": "Called; safe; seen tomorrow."},
    )
    assert done.status_code == 200
    assert done.json()["acknowledged_by"] == "prescriber"
    assert client.get(f"{API}/safety-alerts", **prescriber).json() == []
    assert len(client.get(f"{API}/safety-alerts?status=all", **prescriber).json()) == 1
    # clinic 2's nurse never sees clinic 1's alert
    assert client.get(f"{API}/safety-alerts?status=all", **token_for(world.nurse2)).json() == []
    assert AuditEvent.objects.filter(action="safety_alert.acknowledge").count() == 1
