"""Protocols (versioned templates), treatment plans, their planned sessions, and the clinic's
scheduling resources: rooms and infusion chairs, opening hours, staff shifts, nurse ratio."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketamine_clinic.accounts.scoping import ClinicScopedQuerySet
from ketamine_clinic.screening.models import Route


class ClinicScheduleSettings(models.Model):
    """One clinic's scheduling policy (clinic policy defaults, no published source)."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="schedule_settings"
    )
    patients_per_nurse = models.PositiveSmallIntegerField(
        default=2, help_text="dosing or monitored patients one nurse may look after at once"
    )
    slot_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="the grid session start times are placed on"
    )
    booster_loss_fraction = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=0.5,
        help_text="booster due when this fraction of the improvement from baseline is lost",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"schedule settings of clinic {self.clinic_id}"


class OpeningHours(models.Model):
    """When a clinic takes patients on one weekday (0 = Monday), in its local time."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    weekday = models.PositiveSmallIntegerField()
    opens = models.TimeField()
    closes = models.TimeField()

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["weekday", "opens"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "weekday"], name="one_opening_per_weekday")
        ]

    def __str__(self) -> str:
        return f"clinic {self.clinic_id} day {self.weekday} {self.opens}-{self.closes}"


class StaffShift(models.Model):
    """Nurses on duty on one weekday between two local times."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    weekday = models.PositiveSmallIntegerField()
    starts = models.TimeField()
    ends = models.TimeField()
    nurses = models.PositiveSmallIntegerField(default=1)
    label = models.CharField(max_length=100, blank=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["weekday", "starts"]

    def __str__(self) -> str:
        return (
            f"clinic {self.clinic_id} day {self.weekday} {self.starts}-{self.ends} x{self.nurses}"
        )


class Room(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="one_room_name")]

    def __str__(self) -> str:
        return self.name


class Chair(models.Model):
    """An infusion chair (or treatment bed) in a room: one patient at a time."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="chairs")
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["room__name", "name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="one_chair_name")]

    def __str__(self) -> str:
        return self.name


class Protocol(models.Model):
    """One signed version of a clinic's regimen template. Versions are never edited: a change
    is a new version (signed, audited); plans keep the version they were made from."""

    class DoseUnit(models.TextChoices):
        MG_PER_KG = "mg_per_kg", "mg/kg"
        MG = "mg", "mg (fixed)"
        MG_PER_KG_PER_HOUR = "mg_per_kg_per_hour", "mg/kg/h over the administration time"

    class IndicationKind(models.TextChoices):
        DEPRESSION = "depression", "Depression"
        SUICIDAL_IDEATION = "suicidal_ideation", "Depression with acute suicidal ideation"
        CHRONIC_PAIN = "chronic_pain", "Chronic pain"
        PSYCHOTHERAPY = "psychotherapy", "Ketamine-assisted psychotherapy"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    slug = models.SlugField(max_length=60)
    version = models.PositiveIntegerField()
    is_current = models.BooleanField(default=True)
    name = models.CharField(max_length=200)
    route = models.CharField(max_length=12, choices=Route.choices)
    indication_kind = models.CharField(max_length=20, choices=IndicationKind.choices)
    dose_unit = models.CharField(max_length=20, choices=DoseUnit.choices)
    dose_default = models.DecimalField(max_digits=7, decimal_places=3)
    dose_min = models.DecimalField(max_digits=7, decimal_places=3)
    dose_max = models.DecimalField(max_digits=7, decimal_places=3)
    titration_step = models.DecimalField(max_digits=7, decimal_places=3, default=0)
    administration_minutes = models.PositiveIntegerField()
    min_monitoring_minutes = models.PositiveIntegerField()
    prep_minutes = models.PositiveIntegerField(default=15)
    turnover_minutes = models.PositiveIntegerField(default=15)
    phases = models.JSONField(default=list)
    max_sessions_per_30_days = models.PositiveSmallIntegerField()
    max_mg_per_30_days = models.DecimalField(max_digits=8, decimal_places=2)
    instruments = models.JSONField(default=dict)
    session_limits = models.JSONField(default=dict, blank=True)
    periodic_checks = models.JSONField(default=dict, blank=True)
    bladder_check_every_sessions = models.PositiveSmallIntegerField(default=6)
    liver_tests_every_days = models.PositiveSmallIntegerField(default=90)
    requires_urine_drug_screen = models.BooleanField(default=False)
    integration_within_days = models.PositiveSmallIntegerField(null=True, blank=True)
    provenance = models.JSONField(
        default=dict, blank=True, help_text="per field: where its value comes from"
    )
    source = models.TextField()
    change_note = models.CharField(max_length=300, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "slug", "version"], name="one_protocol_version"
            ),
            models.UniqueConstraint(
                fields=["clinic", "slug"],
                condition=Q(is_current=True),
                name="one_current_protocol_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def chair_minutes(self) -> int:
        """Return the whole chair time of one session."""
        return (
            self.prep_minutes
            + self.administration_minutes
            + self.min_monitoring_minutes
            + self.turnover_minutes
        )


class TreatmentPlan(models.Model):
    """A patient's course on one protocol version."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        STOPPED = "stopped", "Stopped"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_plans"
    )
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="plans")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    stop_reason = models.CharField(max_length=300, blank=True)
    dose = models.DecimalField(max_digits=7, decimal_places=3)
    weight_kg_used = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    start_date = models.DateField()
    outcome_instrument = models.CharField(max_length=20, default="phq9")
    exposure_sign_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    exposure_sign_off_reason = models.CharField(max_length=300, blank=True)
    review_decision = models.CharField(max_length=20, blank=True)
    review_note = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status__in=["active", "paused"]),
                name="one_running_plan_per_patient",
            )
        ]

    def __str__(self) -> str:
        return f"plan {self.pk} ({self.status}) of patient {self.patient_id}"


class PlannedSession(models.Model):
    """One booked session of a plan: the chair held from preparation to turnover."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CHECKED_IN = "checked_in", "Checked in"
        COMPLETED = "completed", "Completed"
        MISSED = "missed", "Missed"
        CANCELLED = "cancelled", "Cancelled"

    class Kind(models.TextChoices):
        DOSING = "dosing", "Dosing session"
        INTEGRATION = "integration", "Integration therapy"

    HOLDS_CHAIR = ("booked", "checked_in", "completed")

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="planned_sessions"
    )
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="sessions")
    sequence = models.PositiveSmallIntegerField()
    phase = models.CharField(max_length=40)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.DOSING)
    # Integration therapy takes no infusion chair; every dosing session has one.
    chair = models.ForeignKey(
        Chair, on_delete=models.PROTECT, related_name="sessions", null=True, blank=True
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2)
    dose_mg_given = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["chair", "starts_at"],
                condition=Q(status__in=["booked", "checked_in", "completed"]),
                name="one_session_per_chair_start",
            ),
            models.UniqueConstraint(
                fields=["plan", "kind", "sequence"],
                condition=Q(status__in=["booked", "checked_in", "completed"]),
                name="one_live_session_per_sequence",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "starts_at"])]

    def __str__(self) -> str:
        return f"session {self.sequence} of plan {self.plan_id} at {self.starts_at:%Y-%m-%d %H:%M}"
