"""The data as analytics and FHIR read it: coded observations, findings as rows, per-clinic
settings in their capability's app, and a creation and change time on every clinical row."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from ketamine_clinic.accounts.models import Clinic
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.inventory.models import InventorySettings
from ketamine_clinic.inventory.models import settings_for as inventory_settings
from ketamine_clinic.measures.models import MeasuresSettings
from ketamine_clinic.measures.models import settings_for as measures_settings
from ketamine_clinic.patients import services as patient_services
from ketamine_clinic.screening import services
from ketamine_clinic.screening.models import (
    IntakeObservation,
    Screening,
    ScreeningFinding,
    ScreeningSettings,
)
from ketamine_clinic.screening.models import settings_for as screening_settings

INTAKE = {
    "route": "iv",
    "age_years": 42,
    "systolic_bp": 150,
    "diastolic_bp": 95,
    "heart_rate": 72,
    "weight_kg": 82.4,
    "medication_classes": ["benzodiazepine"],
    "failed_antidepressant_trials": 3,
    "depressive_indication": True,
}


# --- coded observations -----------------------------------------------------------------------


def test_a_weight_is_stored_with_its_loinc_code_and_ucum_unit(world):
    row = patient_services.weight_record(
        actor=world.nurse,
        patient=world.patient1,
        weight_kg=Decimal("82.4"),
        height_cm=Decimal("176.0"),
    )
    row.refresh_from_db()
    assert (row.weight_code, row.weight_unit, row.weight_kg) == ("29463-7", "kg", Decimal("82.4"))
    assert (row.height_code, row.height_unit, row.height_cm) == ("8302-2", "cm", Decimal("176.0"))


def test_a_screening_keeps_its_measurements_as_coded_rows(world):
    screening = services.screening_record(actor=world.nurse, patient=world.patient1, intake=INTAKE)
    rows = list(screening.observations.order_by("id"))
    assert [(o.code, o.unit, o.value) for o in rows] == [
        ("8480-6", "mm[Hg]", Decimal("150")),
        ("8462-4", "mm[Hg]", Decimal("95")),
        ("8867-4", "/min", Decimal("72")),
        ("29463-7", "kg", Decimal("82.4")),
    ]
    assert {(o.clinic, o.patient, o.observed_at) for o in rows} == {
        (world.clinic1, world.patient1, screening.screened_at)
    }
    # The JSON kept for the record says the same.
    assert (screening.intake["systolic_bp"], screening.intake["diastolic_bp"]) == (150, 95)


def test_a_screening_keeps_its_findings_as_rows_in_the_order_shown(world):
    screening = services.screening_record(actor=world.nurse, patient=world.patient1, intake=INTAKE)
    rows = list(screening.finding_rows.all())
    assert [r.rule for r in rows] == [f["rule"] for f in screening.findings]
    assert [(r.rule, r.level) for r in rows] == [
        ("bp_above_140_90", "prescriber_review"),
        ("benzodiazepine", "caution"),
    ]
    first = rows[0]
    assert (first.position, first.route, first.clinic, first.patient) == (
        0,
        "iv",
        world.clinic1,
        world.patient1,
    )
    assert first.reason == screening.findings[0]["reason"]
    assert first.source.startswith("docs/clinical/reference.md §1.6")


def test_the_rows_are_written_with_the_screening_or_not_at_all(world, monkeypatch):
    def refuse(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "record", refuse)
    with pytest.raises(RuntimeError):
        services.screening_record(actor=world.nurse, patient=world.patient1, intake=INTAKE)
    assert Screening.objects.count() == 0
    assert ScreeningFinding.objects.count() == IntakeObservation.objects.count() == 0


def test_the_rows_are_scoped_to_the_clinics_of_the_reader(world):
    services.screening_record(actor=world.nurse, patient=world.patient1, intake=INTAKE)
    perm = Perm.SCREENING_VIEW
    assert IntakeObservation.objects.for_actor(world.nurse, perm).count() == 4
    assert IntakeObservation.objects.for_actor(world.nurse2, perm).count() == 0
    assert ScreeningFinding.objects.for_actor(world.nurse2, perm).count() == 0


# --- per-clinic settings ----------------------------------------------------------------------


def test_each_capability_makes_its_settings_on_first_use_with_the_defaults(world):
    assert not ScreeningSettings.objects.exists()
    screening = screening_settings(world.clinic1)
    assert (screening.screening_valid_days, screening.allow_contraindication_override) == (
        180,
        False,
    )
    assert measures_settings(world.clinic1).crisis_resources == ""
    assert inventory_settings(world.clinic1).count_every_hours == 24
    assert screening_settings(world.clinic1).pk == screening.pk  # made once
    assert (
        ScreeningSettings.objects.count(),
        MeasuresSettings.objects.count(),
        InventorySettings.objects.count(),
    ) == (1, 1, 1)
    clinic_fields = {f.name for f in Clinic._meta.get_fields()}
    assert not clinic_fields & {
        "screening_valid_days",
        "allow_contraindication_override",
        "count_every_hours",
        "crisis_resources",
    }


def test_a_screening_stays_current_for_the_clinics_own_number_of_days(world):
    ScreeningSettings.objects.create(clinic=world.clinic1, screening_valid_days=30)
    screening = services.screening_record(actor=world.nurse, patient=world.patient1, intake=INTAKE)
    assert screening.expires_at - screening.screened_at == timedelta(days=30)
    other = services.screening_record(
        actor=world.nurse2, patient=world.patient2, intake={**INTAKE, "route": "im"}
    )
    assert other.expires_at - other.screened_at == timedelta(days=180)


# --- created_at / updated_at --------------------------------------------------------------------

# Rows that are never changed once written: a creation time is all they need.
WRITTEN_ONCE = {
    "inventory.LedgerEntry": "append-only, refused by database triggers (audit/triggers.py)",
    "screening.ScreeningFinding": "a copy of the screening's findings, never edited",
    "screening.IntakeObservation": "a copy of the intake's measurements, never edited",
    "screening.ClinicRuleSet": "a version of the clinic's rules; a change is a new version",
    "screening.ScreeningReview": "a prescriber's decision, never edited",
}


@pytest.mark.parametrize("label", ["patients", "measures", "screening", "inventory"])
def test_every_clinical_model_says_when_it_was_made_and_last_changed(label):
    for model in apps.get_app_config(label).get_models():
        fields = {f.name: f for f in model._meta.get_fields()}
        name = model._meta.label
        assert getattr(fields.get("created_at"), "auto_now_add", False), name
        if name in WRITTEN_ONCE:
            assert "updated_at" not in fields, name
        else:
            assert getattr(fields.get("updated_at"), "auto_now", False), name


def test_a_partial_change_moves_updated_at(world):
    indication = patient_services.indication_add(
        actor=world.nurse, patient=world.patient1, icd10_code="F33.2"
    )
    an_hour_ago = timezone.now() - timedelta(hours=1)
    type(indication).objects.filter(pk=indication.pk).update(updated_at=an_hour_ago)
    indication.refresh_from_db()
    patient_services.indication_remove(actor=world.nurse, indication=indication)
    indication.refresh_from_db()
    assert indication.removed_at is not None
    assert indication.updated_at > an_hour_ago + timedelta(minutes=59)
