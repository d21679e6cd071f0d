"""The audit trail page says what happened in words; the CSV keeps the codes (issue #16 §9)."""

from __future__ import annotations

import pytest

from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.templatetags.audit_display import ACTION_LABELS, action_label


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("chart.view", "Viewed the chart"),
        ("session.dose_verify", "Double-checked a dose"),
        ("session.adverse_event_follow_up", "Session: adverse event follow up"),
        ("api_token.revoke", "Api token: revoke"),
    ],
)
def test_actions_read_as_words(code, label):
    assert action_label(code) == label


def test_every_labelled_action_is_a_real_action():
    assert set(ACTION_LABELS) <= {a.value for a in Action}


def test_the_trail_shows_the_label_and_the_csv_the_code(world, login):
    assert login(world.nurse).get(f"/patients/{world.patient1.pk}/").status_code == 200
    client = login(world.auditor)
    page = client.get("/audit/").content.decode()
    assert 'Viewed the chart <code class="muted">chart.view</code>' in page
    csv = b"".join(client.get("/audit/export.csv").streaming_content).decode()
    assert ",chart.view," in csv
    assert "Viewed the chart" not in csv
