"""The migrations that reshape existing data: settings leave accounts.Clinic for their apps;
screenings gain their findings and measurements as rows; rows are dated from their own times."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ketamine_clinic.audit import triggers

BEFORE = [
    ("accounts", "0004_clinic_count_every_hours"),
    ("patients", "0001_initial"),
    ("measures", "0002_licenseditemtexts"),
    ("screening", "0004_intakelink"),
    ("inventory", "0005_product_supplier_active"),
]
AFTER = [
    ("accounts", "0005_clinic_settings_moved_to_their_apps"),
    ("patients", "0002_timestamps_and_weight_codes"),
    ("measures", "0004_timestamps"),
    ("screening", "0006_timestamps_findings_and_intake_observations"),
    ("inventory", "0007_timestamps"),
]
SCREENED_AT = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
FINDINGS = [
    {
        "rule": "bp_above_140_90",
        "level": "prescriber_review",
        "reason": "Your blood pressure today, 150/95 mm Hg, is above 140/90 mm Hg.",
        "source": "reference.md §1.6 and §2.3",
    },
    {
        "rule": "benzodiazepine",
        "level": "caution",
        "reason": "Recorded medicine.",
        "source": "§2.4",
    },
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_data_is_carried_into_its_new_shape():
    old = _migrate(BEFORE)
    try:
        org = old.get_model("accounts", "Organization").objects.create(name="Riverbend")
        clinics = old.get_model("accounts", "Clinic").objects
        north = clinics.create(
            organization=org,
            name="North",
            screening_valid_days=90,
            allow_contraindication_override=True,
            count_every_hours=8,
            crisis_resources="Call Samaritans on 116 123.",
        )
        south = clinics.create(organization=org, name="South")
        nurse = old.get_model("accounts", "StaffMember").objects.create(
            username="nurse", organization=org
        )
        patient = old.get_model("patients", "Patient").objects.create(
            clinic=north,
            organization=org,
            mrn="RB000001",
            legal_given_name="Ada",
            legal_family_name="Byron",
            date_of_birth=date(1984, 3, 7),
            sex="female",
            created_by=nurse,
        )
        weight = old.get_model("patients", "WeightMeasurement").objects.create(
            clinic=north,
            patient=patient,
            measured_at=SCREENED_AT,
            weight_kg=Decimal("82.4"),
            recorded_by=nurse,
        )
        old.get_model("screening", "Screening").objects.create(
            clinic=north,
            patient=patient,
            route="iv",
            intake={"route": "iv", "systolic_bp": 150, "diastolic_bp": 95, "heart_rate": None},
            decision="needs_review",
            findings=FINDINGS,
            ruleset_version="builtin-2026.11",
            screened_by=nurse,
            screened_at=SCREENED_AT,
            expires_at=SCREENED_AT,
        )

        new = _migrate(AFTER)

        screening = new.get_model("screening", "ScreeningSettings").objects
        assert (screening.get(clinic=north.pk).screening_valid_days,) == (90,)
        assert screening.get(clinic=north.pk).allow_contraindication_override is True
        assert screening.get(clinic=south.pk).screening_valid_days == 180
        measures = new.get_model("measures", "MeasuresSettings").objects
        assert measures.get(clinic=north.pk).crisis_resources == "Call Samaritans on 116 123."
        assert measures.get(clinic=south.pk).crisis_resources == ""
        inventory = new.get_model("inventory", "InventorySettings").objects
        assert [inventory.get(clinic=c.pk).count_every_hours for c in (north, south)] == [8, 24]

        row = new.get_model("patients", "WeightMeasurement").objects.get(pk=weight.pk)
        assert (row.weight_code, row.weight_unit, row.height_code, row.height_unit) == (
            "29463-7",
            "kg",
            "8302-2",
            "cm",
        )
        assert row.created_at == row.recorded_at

        made = new.get_model("screening", "Screening").objects.get()
        assert made.created_at == SCREENED_AT
        findings = new.get_model("screening", "ScreeningFinding").objects.order_by("position")
        assert [(f.position, f.rule, f.level, f.route) for f in findings] == [
            (0, "bp_above_140_90", "prescriber_review", "iv"),
            (1, "benzodiazepine", "caution", "iv"),
        ]
        assert findings[0].reason == FINDINGS[0]["reason"]
        observations = new.get_model("screening", "IntakeObservation").objects.order_by("code")
        assert [(o.code, o.unit, o.value, o.observed_at) for o in observations] == [
            ("8462-4", "mm[Hg]", Decimal("95"), SCREENED_AT),
            ("8480-6", "mm[Hg]", Decimal("150"), SCREENED_AT),
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        triggers.ensure_all(connection)  # a rebuilt table loses its triggers on SQLite
