"""The other instruments through the chart: skip logic, clinician-rated and copyrighted ones."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.access import AccessDenied
from ketamine_clinic.measures import services
from ketamine_clinic.measures.models import Assessment, SafetyAlert


def _form(values: dict[int, int]) -> dict[str, str]:
    return {f"item_{n}": str(v) for n, v in values.items()}


def test_cssrs_skip_logic_through_the_entry_form(world, login):
    client = login(world.nurse)
    url = f"/measures/patients/{world.patient1.pk}/enter/cssrs-screener/"
    # Yes to 1, No to 2: questions 3-5 are skipped; No to 6 skips its follow-up.
    response = client.post(url, _form({1: 1, 2: 0, 6: 0}))
    assert response.status_code == 302
    a = Assessment.objects.get()
    assert (a.status, a.severity, a.critical) == ("complete", "low", False)
    assert a.result["risk"] == "low"
    # Answering a skipped question is refused on that question.
    refused = client.post(url, _form({1: 1, 2: 0, 3: 1, 6: 0}))
    assert refused.status_code == 200
    assert "Item 3 is skipped by the answers before it." in refused.content.decode()
    assert Assessment.objects.count() == 1


@pytest.mark.parametrize(
    ("answers", "risk", "alert"),
    [
        ({1: 1, 2: 1, 3: 1, 4: 0, 5: 0, 6: 0}, "moderate", True),
        ({1: 1, 2: 1, 3: 1, 4: 1, 5: 0, 6: 0}, "high", True),
        ({1: 0, 2: 0, 6: 1, 7: 1}, "high", True),  # behaviour within 3 months
        ({1: 0, 2: 0, 6: 1, 7: 0}, "moderate", True),  # behaviour longer ago
        ({1: 1, 2: 1, 3: 0, 4: 0, 5: 0, 6: 0}, "low", False),  # the edge below moderate
        ({1: 0, 2: 0, 6: 0}, "none", False),
    ],
)
def test_cssrs_moderate_or_high_risk_opens_an_alert(world, answers, risk, alert):
    a = services.assessment_record(
        actor=world.prescriber,
        patient=world.patient1,
        instrument_id="cssrs-screener",
        answers=answers,
    )
    assert a.result["risk"] == risk
    assert SafetyAlert.objects.filter(assessment=a).exists() is alert


def test_an_unfinished_screener_with_a_yes_to_4_alerts_at_once(world, login):
    client = login(world.nurse)
    url = f"/measures/patients/{world.patient1.pk}/enter/cssrs-screener/"
    response = client.post(url, _form({1: 1, 2: 1, 4: 1}), follow=True)
    a = Assessment.objects.get()
    assert (a.status, a.critical, a.result["critical_items"]) == ("incomplete", True, [4])
    assert SafetyAlert.objects.get().assessment == a
    assert "A safety alert is open for this patient." in response.content.decode()


def test_madrs_item_10_at_4_alerts_and_at_3_does_not(world):
    three = services.assessment_record(
        actor=world.prescriber,
        patient=world.patient1,
        instrument_id="madrs",
        answers=[4, 4, 3, 3, 2, 2, 2, 2, 2, 3],
    )
    assert (three.total, three.severity, three.critical) == (27, "moderate", False)
    four = services.assessment_record(
        actor=world.prescriber,
        patient=world.patient1,
        instrument_id="madrs",
        answers=[4, 4, 3, 3, 2, 2, 2, 2, 2, 4],
    )
    assert (four.total, four.critical) == (28, True)
    assert SafetyAlert.objects.get().assessment == four


def test_copyrighted_instruments_ship_no_text_and_say_so(world, login):
    body = (
        login(world.prescriber)
        .get(f"/measures/patients/{world.patient1.pk}/enter/madrs/")
        .content.decode()
    )
    assert "is copyrighted" in body
    assert "1. Apparent sadness" in body  # the standard heading, not the item text


def test_a_licensed_clinic_adds_the_item_texts(world, login):
    client = login(world.admin)
    response = client.post(
        f"/measures/settings/licensed-texts/madrs/?clinic={world.clinic1.pk}",
        {
            "clinic": world.clinic1.pk,
            "licence_note": "Licence ref 123, 2026",
            "item_1": "Our licensed text for item one.",
        },
    )
    assert response.status_code == 302
    form = (
        login(world.prescriber)
        .get(f"/measures/patients/{world.patient1.pk}/enter/madrs/")
        .content.decode()
    )
    assert "1. Our licensed text for item one." in form
    assert "Item texts entered by your clinic under its licence." in form
    # clinic 2 does not see clinic 1's licensed text
    other = (
        login(world.nurse2)
        .get(f"/measures/patients/{world.patient2.pk}/enter/madrs/")
        .content.decode()
    )
    assert "Our licensed text" not in other


def test_licensed_texts_need_a_licence_note_and_a_copyrighted_instrument(world):
    with pytest.raises(ValidationError) as caught:
        services.licensed_texts_set(
            actor=world.admin,
            clinic=world.clinic1,
            instrument_id="madrs",
            texts={1: "x"},
            licence_note=" ",
        )
    assert "licence_note" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.licensed_texts_set(
            actor=world.admin,
            clinic=world.clinic1,
            instrument_id="phq9",
            texts={1: "x"},
            licence_note="ours",
        )
    assert "instrument" in caught.value.message_dict
    with pytest.raises(AccessDenied):
        services.licensed_texts_set(
            actor=world.nurse,
            clinic=world.clinic1,
            instrument_id="madrs",
            texts={1: "x"},
            licence_note="ours",
        )


@pytest.mark.parametrize("instrument", ["madrs", "cssrs-screener", "qids-sr16", "moaas"])
def test_links_refuse_clinician_rated_or_textless_instruments(world, instrument):
    with pytest.raises(ValidationError) as caught:
        services.self_report_link_create(
            actor=world.nurse, patient=world.patient1, instrument_ids=[instrument]
        )
    assert "instruments" in caught.value.message_dict


def test_pcl5_self_report_keeps_clusters_and_the_provisional_diagnosis(world):
    issued = services.self_report_link_create(
        actor=world.nurse, patient=world.patient1, instrument_ids=["pcl5"]
    )
    # B: 1 item at 2; C: 1 at 2; D: 2 at 2; E: 2 at 2 -> provisional PTSD; total 12.
    answers = {n: 0 for n in range(1, 21)}
    for n in (1, 6, 8, 9, 15, 16):
        answers[n] = 2
    progress = services.self_report_save(token=issued.token, instrument_id="pcl5", answers=answers)
    result = progress.assessment.result
    assert progress.assessment.total == 12
    assert result["clusters"] == {"B": 2, "C": 2, "D": 4, "E": 4}
    assert result["provisional_ptsd"] is True
    assert progress.assessment.severity == ""
