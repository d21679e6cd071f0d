from __future__ import annotations

from ketamine_clinic.audit.models import AuditEvent


def test_nurse_opens_a_chart_of_her_clinic_and_the_view_is_audited(world, login):
    client = login(world.nurse)
    response = client.get(f"/patients/{world.patient1.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Moreno, Alice" in body
    assert "82.4 kg" in body
    assert "28.5" in body  # BMI of 82.4 kg at 170 cm
    event = AuditEvent.objects.filter(action="chart.view").get()
    assert event.actor == world.nurse
    assert event.patient == world.patient1
    assert event.role == "nurse"
    assert event.clinic == world.clinic1
    assert event.ip == "127.0.0.1"
