"""The chart header counts safety alerts only, the greeting names the person (issue #16 §1, §10),
and "Enter a questionnaire" is a button beside "Send a self-report link" (§5)."""

from __future__ import annotations

import re
from dataclasses import replace

from django.template.loader import render_to_string

from ketamine_clinic.patients import services
from ketamine_clinic.patients.selectors import ChartAlert, chart_summary


def _open_alerts(page: str) -> str:
    found = re.search(r"<dt>Open alerts</dt><dd>(.*?)</dd>", page)
    assert found is not None
    return found.group(1)


def test_a_missing_escort_is_a_reminder_not_an_alert(world, login):
    patient = services.patient_update(
        actor=world.nurse, patient=world.patient1, changes={"no_known_drug_allergies": True}
    )
    summary = chart_summary(patient, world.nurse)
    assert summary.safety_alerts == []
    assert [r.text for r in summary.reminders] == ["No escort recorded for the ride home."]
    page = login(world.nurse).get(f"/patients/{patient.pk}/").content.decode()
    assert _open_alerts(page) == "none"
    assert '<p class="reminders"><span class="muted">Reminders:</span> <span>No escort' in page


def test_the_header_counts_and_colours_the_safety_alerts(world, login):
    # Allergies not documented (a warning) and no escort (a reminder): one alert, in amber.
    page = login(world.nurse).get(f"/patients/{world.patient1.pk}/").content.decode()
    assert _open_alerts(page) == '<span class="warn">1</span>'
    summary = chart_summary(world.patient1, world.nurse)
    assert [a.level for a in summary.safety_alerts] == ["warning"]
    assert summary.alert_level == "warn"
    with_danger = replace(summary, alerts=[*summary.alerts, ChartAlert("danger", "Safety alert")])
    assert [a.level for a in with_danger.safety_alerts] == ["warning", "danger"]
    assert with_danger.alert_level == "danger"
    assert replace(summary, alerts=summary.reminders).alert_level == ""


def test_the_sign_in_message_says_the_persons_name():
    class Prescriber:
        display_name = "Daniel Reyes, MD"

    text = render_to_string("account/messages/logged_in.txt", {"user": Prescriber()})
    assert text.strip() == "Signed in as Daniel Reyes, MD."


def test_enter_a_questionnaire_is_a_button_beside_send_a_link(world, login):
    page = login(world.prescriber).get(f"/measures/patients/{world.patient1.pk}/").content.decode()
    actions = page.split('<div class="actions">', 1)[1].split("</div>", 1)[0]
    assert "Send a self-report link</a>" in actions
    assert '<summary class="button">Enter a questionnaire</summary>' in actions
