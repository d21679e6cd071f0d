"""The patient chart: identity, contacts, indications, medications, body measurements, care team.

Every row carries its clinic: it scopes every query and is the future shard key.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from ketamine_clinic.accounts.scoping import ClinicScopedQuerySet
from ketamine_clinic.clinical import anthropometrics
from ketamine_clinic.clinical.medications import LABELS as MED_CLASS_LABELS
from ketamine_clinic.clinical.observations import VITAL_SIGNS

from . import validators


class Sex(models.TextChoices):
    # FHIR administrative gender value set.
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class Patient(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="patients")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="patients"
    )
    mrn = models.CharField("MRN", max_length=20)
    legal_given_name = models.CharField(max_length=100)
    legal_family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(validators=[validators.validate_date_of_birth])
    sex = models.CharField(max_length=10, choices=Sex.choices)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    address = models.CharField(max_length=300, blank=True)
    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    escort_name = models.CharField(
        max_length=150, blank=True, help_text="Who takes the patient home after a session"
    )
    escort_phone = models.CharField(max_length=40, blank=True)
    allergies = models.TextField(max_length=2000, blank=True)
    no_known_drug_allergies = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["legal_family_name", "legal_given_name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "mrn"], name="patient_mrn_unique")
        ]
        indexes = [
            models.Index(fields=["clinic", "legal_family_name"]),
            models.Index(fields=["clinic", "date_of_birth"]),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.mrn})"

    def clean(self) -> None:
        if self.no_known_drug_allergies and self.allergies.strip():
            raise ValidationError(
                {
                    "no_known_drug_allergies": "Allergies are listed: "
                    "remove them before recording no known drug allergies."
                }
            )

    @property
    def display_name(self) -> str:
        given = self.legal_given_name
        if self.preferred_name and self.preferred_name != given:
            given = f"{given} “{self.preferred_name}”"
        return f"{self.legal_family_name}, {given}"

    @property
    def first_name_to_address(self) -> str:
        return self.preferred_name or self.legal_given_name

    def age_on(self, today: date) -> int:
        return anthropometrics.age_in_years(self.date_of_birth, today)


class WeightMeasurement(models.Model):
    """A weight and optionally a height, each stored with its LOINC code and UCUM unit
    (clinical.observations; docs/clinical/reference.md §3.3). Doses use the latest weight."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="weights")
    measured_at = models.DateTimeField()
    weight_kg = models.DecimalField(
        "weight (kg)", max_digits=5, decimal_places=1, validators=[validators.validate_weight_kg]
    )
    height_cm = models.DecimalField(
        "height (cm)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[validators.validate_height_cm],
    )
    weight_code = models.CharField(
        max_length=20, default=VITAL_SIGNS["weight"].loinc, editable=False, help_text="LOINC"
    )
    weight_unit = models.CharField(
        max_length=20, default=VITAL_SIGNS["weight"].ucum, editable=False, help_text="UCUM"
    )
    height_code = models.CharField(
        max_length=20,
        default=VITAL_SIGNS["height"].loinc,
        editable=False,
        help_text="LOINC, of height_cm when it is given",
    )
    height_unit = models.CharField(
        max_length=20, default=VITAL_SIGNS["height"].ucum, editable=False, help_text="UCUM"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-measured_at", "-id"]

    def __str__(self) -> str:
        return f"{self.weight_kg} kg on {self.measured_at:%Y-%m-%d}"


class Indication(models.Model):
    """Why the patient is treated, as an ICD-10-CM code."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="indications")
    icd10_code = models.CharField(
        "ICD-10-CM code", max_length=8, validators=[validators.validate_icd10_code]
    )
    description = models.CharField(max_length=200)
    treatment_resistant = models.BooleanField(
        default=False,
        help_text="No response to two or more adequate antidepressant trials this episode",
    )
    is_primary = models.BooleanField(default=False)
    noted_on = models.DateField(validators=[validators.validate_not_in_future])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "icd10_code"]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.description}"


MED_CLASS_CHOICES = [(k.value, v) for k, v in MED_CLASS_LABELS.items()]


class MedicationStatement(models.Model):
    """A medication the patient takes, with the class that matters for ketamine."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=200)
    dose_and_frequency = models.CharField(max_length=200, blank=True)
    ketamine_interaction_class = models.CharField(
        max_length=20, choices=MED_CLASS_CHOICES, default="none"
    )
    started_on = models.DateField(
        null=True, blank=True, validators=[validators.validate_not_in_future]
    )
    stopped_on = models.DateField(
        null=True, blank=True, validators=[validators.validate_not_in_future]
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["stopped_on", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.stopped_on is None


class CareTeamMember(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_team")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    responsibility = models.CharField(max_length=60, help_text="e.g. treating prescriber")
    added_at = models.DateTimeField(auto_now_add=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["added_at"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "staff"], name="care_team_unique")
        ]

    def __str__(self) -> str:
        return f"{self.staff} ({self.responsibility})"


class PatientChartSettings(models.Model):
    """One clinic's chart policy: when a new weight must be confirmed (issue #16 §2)."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="chart_settings"
    )
    weight_jump_share = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=anthropometrics.WEIGHT_JUMP_SHARE_DEFAULT,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.50"))],
        help_text="ask to confirm a weight that differs from the previous one by more than this "
        "share (clinic policy default 0.10, no published source)",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"chart settings of clinic {self.clinic_id}"
