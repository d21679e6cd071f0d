"""Every time a person reads is in the clinic's time zone, with its abbreviation (issue #16 §3);
the API keeps ISO 8601 with the offset."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.measures import services as measures_services
from tests.test_api import API

# 15:30 UTC on 24 December is 09:30 in Chicago (CST, UTC-6).
AT = datetime(2026, 12, 24, 15, 30, tzinfo=ZoneInfo("UTC"))
CHICAGO = ZoneInfo("America/Chicago")


def test_the_audit_trail_shows_the_clinics_local_time(world, login):
    world.clinic1.timezone = "America/Chicago"
    world.clinic1.save()
    event = AuditEvent.objects.filter(patient=world.patient1).latest("occurred_at")
    local = event.occurred_at.astimezone(CHICAGO)
    page = login(world.auditor).get("/audit/").content.decode()
    assert f"{local:%Y-%m-%d %H:%M:%S %Z}" in page
    assert local.utcoffset() != event.occurred_at.utcoffset()
    assert "(UTC)" not in page


def test_the_patients_self_report_page_shows_the_expiry_in_the_clinics_zone(world, client):
    world.clinic1.timezone = "America/Chicago"
    world.clinic1.save()
    issued = measures_services.self_report_link_create(
        actor=world.frontdesk, patient=world.patient1, instrument_ids=["phq9"]
    )
    issued.link.expires_at = AT
    issued.link.save()
    page = client.get(f"/r/{issued.token}/").content.decode()
    assert "until 2026-12-24 09:30 CST" in page


def test_the_api_keeps_iso_8601_with_the_offset(world, token_for, client):
    world.clinic1.timezone = "America/Chicago"
    world.clinic1.save()
    world.patient1.weights.update(measured_at=AT)
    chart = client.get(f"{API}/patients/{world.patient1.pk}", **token_for(world.nurse)).json()
    assert datetime.fromisoformat(chart["latest_weight"]["measured_at"]) == AT
    assert chart["latest_weight"]["measured_at"].endswith(("Z", "+00:00"))
