"""The session through the API and the pages: field-named 422s, 404 across clinics."""

from __future__ import annotations

from ketamine_clinic.treatments import services
from tests.conftest import PASSWORD

from .conftest import BASELINE, GOOD_ANSWERS, answers, walk_in

API = "/api/v1"


def _post(client, url, body, headers):
    return client.post(url, body, content_type="application/json", **headers)


def test_api_runs_the_steps_and_names_fields(world, bay, client, token_for):
    session = walk_in(world, bay)
    nurse = token_for(world.nurse)
    base = f"{API}/sessions/{session.pk}"
    bad = _post(
        client,
        f"{base}/check-in",
        {
            "answers": GOOD_ANSWERS,
            "baseline": {**{k: str(v) for k, v in BASELINE.items()}, "spo2": "101"},
            "pre_dose_moaas": 5,
        },
        nurse,
    )
    assert bad.status_code == 422
    assert {
        "field": "spo2",
        "message": "Oxygen saturation by pulse oximetry must be between 50 and 100 %.",
    } in bad.json()["errors"]
    ok = _post(
        client,
        f"{base}/check-in",
        {
            "answers": GOOD_ANSWERS,
            "baseline": {k: str(v) for k, v in BASELINE.items()},
            "pre_dose_moaas": 5,
        },
        nurse,
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["state"] == "checked_in"
    early = _post(client, f"{base}/discharge", {}, nurse)
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "state"
    dose = _post(
        client, f"{base}/dose", {"container_id": bay.vial.pk, "signature": PASSWORD}, nurse
    )
    assert dose.status_code == 200, dose.content
    assert dose.json()["dose"]["dose_mg"] == "41.2"
    same = _post(client, f"{base}/verify", {"dose_mg": "41.2", "signature": PASSWORD}, nurse)
    assert same.json()["errors"] == [
        {
            "field": "verified_by",
            "message": "The dose must be verified by someone other than who prepared it.",
        }
    ]
    presc = token_for(world.prescriber)
    assert (
        _post(
            client, f"{base}/verify", {"dose_mg": "41.2", "signature": PASSWORD}, presc
        ).status_code
        == 200
    )
    assert _post(client, f"{base}/administration", {"kind": "start"}, nurse).status_code == 200
    vit = _post(client, f"{base}/vitals", {"sbp": "182", "dbp": "100", "hr": "90"}, nurse)
    assert [a["code"] for a in vit.json()["alerts"]] == ["sbp_high", "sbp_rise"]
    assert vit.json()["readings"][-1]["observations"][0] == {
        "key": "sbp",
        "loinc": "8480-6",
        "unit": "mm[Hg]",
        "value": "182.0",
    }
    # another clinic's nurse: 404
    other = token_for(world.nurse2)
    assert client.get(base, **other).status_code == 404
    assert _post(client, f"{base}/vitals", {"hr": "80"}, other).status_code == 404


def test_today_and_session_pages(world, bay, login):
    session = walk_in(world, bay)
    services.check_in(actor=world.nurse, session=session, data=answers())
    client = login(world.nurse)
    page = client.get("/sessions/today/")
    assert page.status_code == 200
    assert b"Moreno" in page.content and b"Checked in" in page.content
    page = client.get(f"/sessions/{session.pk}/")
    assert b"2. Dose" in page.content
    resp = client.post(f"/sessions/{session.pk}/vitals/", {"sbp": "40", "dbp": "30"})
    assert resp.status_code == 302
    page = client.get(f"/sessions/{session.pk}/")
    assert b"Systolic blood pressure must be between 50 and 300 mm Hg." in page.content
    chart = client.get(f"/patients/{world.patient1.pk}/")
    assert b"Sessions" in chart.content
    assert client.get(f"/sessions/patient/{world.patient1.pk}/").status_code == 200
    assert login(world.nurse2).get(f"/sessions/{session.pk}/").status_code == 404
