"""The Plan tab, the schedule views, protocols, settings, the .ics and the API."""

from __future__ import annotations

import json
import threading
from datetime import datetime, time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from ketamine_clinic.plans import booking, services
from ketamine_clinic.plans import capacity as cap
from ketamine_clinic.plans.models import Chair

from .conftest import make_ready, next_monday

API = "/api/v1"


def test_pages_render_for_their_roles(world, clinic, login):
    make_ready(world, world.patient1)
    plan = services.plan_create(
        actor=world.prescriber,
        patient=world.patient1,
        protocol="iv-ketamine-induction",
        start_date=next_monday(),
    ).plan
    c = login(world.prescriber)
    page = c.get(f"/plans/patients/{world.patient1.pk}/").content.decode()
    assert (
        "IV racemic ketamine: induction" in page
        and "41.2 mg" in page
        and "Sign and activate" in page
    )
    assert c.post(f"/plans/{plan.pk}/action/", {"action": "activate"}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == "active"
    day = c.get(f"/plans/schedule/?date={next_monday():%Y-%m-%d}").content.decode()
    assert "Moreno" in day and "induction #1" in day and "monitoring 08:55–10:25" in day
    assert "Schedule" in day
    week = c.get(f"/plans/schedule/week/?date={next_monday():%Y-%m-%d}").content.decode()
    assert "week-table" in week
    assert c.get("/plans/protocols/").status_code == 200
    ics = c.get(f"/plans/patients/{world.patient1.pk}/appointments.ics")
    text = ics.content.decode()
    assert text.count("BEGIN:VEVENT") == 6 and "ketamine" not in text.lower() and "mg" not in text
    fd = login(world.frontdesk)
    assert fd.get(f"/plans/schedule/?date={next_monday():%Y-%m-%d}").status_code == 200
    assert fd.get(f"/plans/patients/{world.patient1.pk}/").status_code == 403


def test_api_create_plan_returns_its_sessions_and_bad_input_is_422(
    world, clinic, client, token_for
):
    headers = token_for(world.prescriber)
    r = client.post(
        f"{API}/patients/{world.patient1.pk}/plans",
        data=json.dumps(
            {"protocol": "iv-ketamine-induction", "start_date": f"{next_monday():%Y-%m-%d}"}
        ),
        content_type="application/json",
        **headers,
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert len(body["sessions"]) == 6 and body["sessions"][0]["chair"] == "Chair 1"
    assert body["sessions"][0]["dose_mg"] == "41.20" and "activate" in body["actions"]
    r = client.post(
        f"{API}/patients/{world.patient1.pk}/plans",
        data=json.dumps({"protocol": "im-ketamine", "start_date": "2000-01-01"}),
        content_type="application/json",
        **headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "start_date"
    r = client.get(f"{API}/protocols", **headers)
    slugs = {p["slug"] for p in r.json()}
    assert {
        "iv-ketamine-induction",
        "iv-ketamine-maintenance",
        "im-ketamine",
        "esketamine-label",
        "ketamine-assisted-psychotherapy",
    } <= slugs
    r = client.get(f"{API}/schedule?date={next_monday():%Y-%m-%d}", **headers)
    assert r.status_code == 200 and len(r.json()[0]["sessions"]) == 1
    r = client.post(
        f"{API}/patients/{world.patient2.pk}/plans",
        data=json.dumps(
            {"protocol": "iv-ketamine-induction", "start_date": f"{next_monday():%Y-%m-%d}"}
        ),
        content_type="application/json",
        **headers,
    )
    assert r.status_code == 404


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_front_desk_users_booking_the_last_chair_one_wins(world):
    from django.db import connections

    from ketamine_clinic.plans.models import Room

    services.protocols_seed(clinic=world.clinic1)
    cap.settings_for(world.clinic1)
    room = Room.objects.create(clinic=world.clinic1, name="Room A")
    Chair.objects.create(clinic=world.clinic1, room=room, name="Chair 1")
    from .test_plan_services import _second_patient

    start = next_monday() + __import__("datetime").timedelta(days=70)
    plans = [
        services.plan_create(
            actor=world.prescriber, patient=p, protocol="iv-ketamine-maintenance", start_date=start
        ).plan
        for p in (world.patient1, _second_patient(world))
    ]
    at = cap.aware(datetime.combine(next_monday(), time(10, 0)), world.clinic1)
    results: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def book(plan):
        try:
            barrier.wait()
            booking.session_book(actor=world.frontdesk, plan=plan, starts_at=at)
            outcome = "ok"
        except ValidationError as error:
            outcome = " ".join(error.messages)
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=book, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results)[-1] == "ok" and results.count("ok") == 1
    loser = next(r for r in results if r != "ok")
    assert "No chair is free then" in loser or "already booked" in loser
