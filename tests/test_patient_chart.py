"""Registering and editing patients, and the clinical parts of the chart."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.accounts.access import AccessDenied
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.patients import services
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.selectors import chart_summary, patient_search

DETAILS = {
    "legal_given_name": "Carla",
    "legal_family_name": "Nakamura",
    "date_of_birth": date(1990, 6, 15),
    "sex": "female",
}


def _register(world, **overrides):
    return services.patient_register(
        actor=world.nurse, clinic=world.clinic1, details={**DETAILS, **overrides}
    )


def test_mrns_are_issued_in_sequence_per_organisation(world):
    assert world.patient1.mrn == "TH000001"
    assert world.patient2.mrn == "TH000002"  # the other clinic, same organisation
    assert _register(world).mrn == "TH000003"


def test_a_supplied_mrn_is_kept_and_the_sequence_skips_it(world):
    imported = services.patient_register(
        actor=world.nurse, clinic=world.clinic1, details=DETAILS, mrn="th000003"
    )
    assert imported.mrn == "TH000003"
    assert _register(world).mrn == "TH000004"


def test_a_duplicate_mrn_is_refused_and_nothing_is_written(world):
    patients, events = Patient.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.patient_register(
            actor=world.nurse, clinic=world.clinic1, details=DETAILS, mrn="TH000001"
        )
    assert caught.value.message_dict == {"mrn": ["This MRN is already used in this organisation."]}
    assert (Patient.objects.count(), AuditEvent.objects.count()) == (patients, events)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date_of_birth": date.today() + timedelta(days=1)}, "date_of_birth", "future"),
        ({"date_of_birth": date(1890, 1, 1)}, "date_of_birth", "120 years"),
        ({"legal_family_name": "x" * 101}, "legal_family_name", "at most 100 characters"),
        ({"sex": "robot"}, "sex", "not a valid choice"),
        ({"email": "not-an-address"}, "email", "valid email"),
        ({"legal_given_name": ""}, "legal_given_name", "cannot be blank"),
    ],
)
def test_bad_details_name_the_field_and_write_nothing(world, overrides, field, message):
    patients, events = Patient.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        _register(world, **overrides)
    assert field in caught.value.message_dict
    assert message in " ".join(caught.value.message_dict[field])
    assert (Patient.objects.count(), AuditEvent.objects.count()) == (patients, events)


def test_an_unknown_field_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        _register(world, favourite_colour="blue")
    assert caught.value.message_dict == {"favourite_colour": ["This field is not known."]}


def test_a_bad_first_weight_rolls_back_the_whole_registration(world):
    patients = Patient.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.patient_register(
            actor=world.nurse, clinic=world.clinic1, details=DETAILS, weight_kg=Decimal("350.1")
        )
    assert "weight_kg" in caught.value.message_dict
    assert Patient.objects.count() == patients
    # The MRN counter was rolled back too: the next patient still gets TH000003.
    assert _register(world).mrn == "TH000003"


def test_auditor_cannot_register(world):
    with pytest.raises(AccessDenied):
        services.patient_register(actor=world.auditor, clinic=world.clinic1, details=DETAILS)
    assert AuditEvent.objects.filter(action="access.denied", actor=world.auditor).count() == 1


def test_update_records_only_what_changed(world):
    services.patient_update(
        actor=world.nurse,
        patient=world.patient1,
        changes={"legal_given_name": "Alice", "preferred_name": "Ali"},
    )
    event = AuditEvent.objects.get(action="patient.update")
    assert event.changes == {"preferred_name": ["", "Ali"]}
    services.patient_update(actor=world.nurse, patient=world.patient1, changes={"phone": ""})
    assert AuditEvent.objects.filter(action="patient.update").count() == 1  # no-op not logged


def test_latest_weight_drives_the_summary(world):
    now = timezone.now()
    services.weight_record(
        actor=world.nurse, patient=world.patient1, weight_kg=Decimal("79.0"), measured_at=now
    )
    services.weight_record(
        actor=world.nurse,
        patient=world.patient1,
        weight_kg=Decimal("90.0"),
        measured_at=now - timedelta(days=90),
    )
    summary = chart_summary(world.patient1)
    assert summary.latest_weight is not None
    assert summary.latest_weight.weight_kg == Decimal("79.0")
    assert summary.latest_height_cm == Decimal("170.0")
    assert summary.bmi is not None
    assert summary.bmi.value == Decimal("27.3")  # 79 / 1.7² = 27.34


@pytest.mark.parametrize(
    ("kg", "ok"), [("25", True), ("350", True), ("24.9", False), ("350.1", False)]
)
def test_weight_edges(world, kg, ok):
    if ok:
        row = services.weight_record(
            actor=world.nurse, patient=world.patient1, weight_kg=Decimal(kg), confirm_jump=True
        )
        assert row.weight_kg == Decimal(kg)
    else:
        with pytest.raises(ValidationError) as caught:
            services.weight_record(actor=world.nurse, patient=world.patient1, weight_kg=Decimal(kg))
        assert caught.value.message_dict["weight_kg"] == ["Weight must be between 25 and 350 kg."]


def test_a_weight_in_the_future_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        services.weight_record(
            actor=world.nurse,
            patient=world.patient1,
            weight_kg=Decimal("70"),
            measured_at=timezone.now() + timedelta(hours=1),
        )
    assert "measured_at" in caught.value.message_dict


def test_indications_are_coded_and_one_is_primary(world):
    first = services.indication_add(
        actor=world.prescriber,
        patient=world.patient1,
        icd10_code="f332",
        treatment_resistant=True,
        is_primary=True,
    )
    assert first.icd10_code == "F33.2"
    assert (
        first.description
        == "Major depressive disorder, recurrent severe without psychotic features"
    )
    second = services.indication_add(
        actor=world.prescriber, patient=world.patient1, icd10_code="F43.12", is_primary=True
    )
    first.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)
    with pytest.raises(ValidationError) as caught:
        services.indication_add(actor=world.prescriber, patient=world.patient1, icd10_code="F33.2")
    assert caught.value.message_dict == {"icd10_code": ["F33.2 is already on the chart."]}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"icd10_code": "ABC"}, "icd10_code"),
        ({"icd10_code": "Z99.89"}, "description"),  # not in the list: needs a description
        ({"icd10_code": "F41.1", "treatment_resistant": True}, "treatment_resistant"),
        ({"icd10_code": "F41.1", "noted_on": date.today() + timedelta(days=2)}, "noted_on"),
    ],
)
def test_bad_indications_are_refused(world, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        services.indication_add(actor=world.prescriber, patient=world.patient1, **kwargs)
    assert field in caught.value.message_dict
    assert world.patient1.indications.count() == 0


def test_removing_an_indication_keeps_it_for_the_record(world):
    indication = services.indication_add(
        actor=world.prescriber, patient=world.patient1, icd10_code="F41.1"
    )
    services.indication_remove(actor=world.nurse, indication=indication)
    indication.refresh_from_db()
    assert indication.removed_at is not None
    event = AuditEvent.objects.get(action="indication.remove")
    assert event.detail == {"icd10_code": "F41.1"}
    # and it can be added again
    services.indication_add(actor=world.prescriber, patient=world.patient1, icd10_code="F41.1")


def test_medications_carry_the_class_that_matters(world):
    med = services.medication_add(
        actor=world.nurse,
        patient=world.patient1,
        name=" Lorazepam ",
        dose_and_frequency="0.5 mg at night",
        ketamine_interaction_class="benzodiazepine",
        started_on=date(2024, 1, 10),
    )
    assert med.name == "Lorazepam"
    with pytest.raises(ValidationError) as caught:
        services.medication_add(
            actor=world.nurse, patient=world.patient1, name="X", ketamine_interaction_class="herb"
        )
    assert "ketamine_interaction_class" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.medication_stop(actor=world.nurse, medication=med, stopped_on=date(2023, 12, 31))
    assert caught.value.message_dict == {
        "stopped_on": ["A medication cannot stop before it started."]
    }
    services.medication_stop(actor=world.nurse, medication=med, stopped_on=date(2025, 5, 1))
    med.refresh_from_db()
    assert med.stopped_on == date(2025, 5, 1)
    assert AuditEvent.objects.get(action="medication.stop").changes == {
        "stopped_on": [None, "2025-05-01"]
    }


def test_care_team_only_from_the_patients_clinic(world):
    member = services.care_team_add(
        actor=world.nurse,
        patient=world.patient1,
        staff=world.prescriber,
        responsibility="Treating prescriber",
    )
    assert member.clinic == world.clinic1
    with pytest.raises(ValidationError) as caught:
        services.care_team_add(
            actor=world.nurse, patient=world.patient1, staff=world.nurse2, responsibility="x"
        )
    assert caught.value.message_dict == {
        "staff": ["This person does not work at the patient's clinic."]
    }
    services.care_team_remove(actor=world.nurse, member=member)
    assert not world.patient1.care_team.exists()
    assert AuditEvent.objects.filter(action="care_team.remove").count() == 1


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("moreno", True),
        ("ali moreno", True),
        ("TH000001", True),
        ("th000001", True),
        ("1984-03-07", True),
        ("03/07/1984", True),
        ("1984-03-08", False),
        ("keller", False),
    ],
)
def test_search_by_name_mrn_or_birth_date(world, query, found):
    assert bool(patient_search(world.nurse, query)) is found


def test_ui_registration_shows_field_errors_and_saves_nothing(world, login):
    client = login(world.frontdesk)
    count = Patient.objects.count()
    response = client.post(
        "/patients/new/",
        {
            "clinic": world.clinic1.pk,
            "legal_given_name": "Dana",
            "legal_family_name": "Ito",
            "date_of_birth": (date.today() + timedelta(days=3)).isoformat(),
            "sex": "female",
            "weight_kg": "400",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Date of birth cannot be in the future." in body
    assert "Weight must be between 25 and 350 kg." in body
    assert Patient.objects.count() == count


def test_ui_registration_creates_and_redirects_to_the_chart(world, login):
    client = login(world.frontdesk)
    response = client.post(
        "/patients/new/",
        {
            "clinic": world.clinic1.pk,
            "legal_given_name": "Dana",
            "legal_family_name": "Ito",
            "date_of_birth": "1970-01-02",
            "sex": "female",
            "weight_kg": "64.5",
            "height_cm": "160",
        },
    )
    patient = Patient.objects.get(legal_family_name="Ito")
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/"
    chart = client.get(response["Location"]).content.decode()
    assert "MRN TH000003" in chart
    assert "64.5 kg" not in chart  # front desk enters the weight, but does not see it again
    chart = login(world.nurse).get(response["Location"]).content.decode()
    assert "64.5 kg" in chart
    assert "25.2" in chart  # 64.5 / 1.6² = 25.20


def test_front_desk_cannot_register_at_a_clinic_not_theirs(world, login):
    client = login(world.frontdesk)
    response = client.post(
        "/patients/new/",
        {
            "clinic": world.clinic2.pk,
            "legal_given_name": "X",
            "legal_family_name": "Y",
            "date_of_birth": "1970-01-02",
            "sex": "male",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Patient.objects.filter(legal_family_name="Y").exists()


def test_ui_indication_with_bad_code_answers_422_with_the_reason(world, login):
    client = login(world.prescriber)
    response = client.post(f"/patients/{world.patient1.pk}/indications/new/", {"icd10_code": "9X"})
    assert response.status_code == 422
    assert "is not an ICD-10-CM code" in response.content.decode()


def test_a_nurse_here_and_front_desk_there_registers_there_without_allergies(world, login):
    """The form offers the allergy fields (a clinician somewhere); left blank, they are no
    clinical entry at the front-desk clinic. Filled in, they are refused there."""
    from ketamine_clinic.accounts.models import Membership

    Membership.objects.create(staff=world.nurse, clinic=world.clinic2, role="front_desk")
    client = login(world.nurse)
    form = {
        "clinic": world.clinic2.pk,
        "legal_given_name": "Dana",
        "legal_family_name": "Ito",
        "date_of_birth": "1970-01-02",
        "sex": "female",
        "allergies": "",
    }
    assert 'name="allergies"' in client.get("/patients/new/").content.decode()
    response = client.post("/patients/new/", form)
    assert response.status_code == 302
    patient = Patient.objects.get(legal_family_name="Ito")
    assert (patient.clinic, patient.allergies) == (world.clinic2, "")
    refused = client.post(
        "/patients/new/", {**form, "legal_family_name": "Ode", "allergies": "Latex"}
    )
    assert refused.status_code == 403
    assert not Patient.objects.filter(legal_family_name="Ode").exists()
    denied = AuditEvent.objects.get(action="access.denied", actor=world.nurse)
    assert (denied.clinic, denied.detail) == (world.clinic2, {"permission": "chart.clinical_edit"})
