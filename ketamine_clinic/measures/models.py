"""Questionnaire responses, their item answers, self-report links, safety alerts, schedules.

An Assessment is one response to one instrument (definitions live in the clinical core,
`clinical/instruments/`, by id). Every answer is kept item by item with its LOINC code where
one exists, so that the FHIR capability can emit QuestionnaireResponse and Observation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from ketamine_clinic.accounts.scoping import ClinicScopedQuerySet
from ketamine_clinic.clinical.instruments import INSTRUMENTS
from ketamine_clinic.patients.links import PatientLink

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import Clinic

# Instrument ids are validated against the core's registry by the services (not as model
# choices, so that adding an instrument needs no migration).
INSTRUMENT_CHOICES = [(i.id, i.name) for i in INSTRUMENTS.values()]


class SelfReportLink(PatientLink):
    """A one-time, expiring link for a patient to answer questionnaires without an account."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="self_report_links"
    )
    instruments = models.JSONField(help_text="instrument ids, in the order asked")
    first_opened_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    emailed_to = models.EmailField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta(PatientLink.Meta):
        pass

    def __str__(self) -> str:
        return f"self-report link {self.pk} for patient {self.patient_id}"


class Assessment(models.Model):
    """One response to one instrument: complete (scored) or incomplete (never scored)."""

    class Status(models.TextChoices):
        INCOMPLETE = "incomplete", "Incomplete"
        COMPLETE = "complete", "Complete"

    class Source(models.TextChoices):
        CLINICIAN = "clinician", "Entered by a clinician"
        SELF_REPORT = "self_report", "Patient self-report"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="assessments"
    )
    instrument_id = models.CharField(max_length=20)
    status = models.CharField(max_length=12, choices=Status.choices)
    source = models.CharField(max_length=12, choices=Source.choices)
    administered_at = models.DateTimeField(help_text="when the answers were given")
    completed_at = models.DateTimeField(null=True, blank=True)
    total = models.IntegerField(null=True, blank=True)
    severity = models.CharField(max_length=30, blank=True)
    critical = models.BooleanField(default=False)
    result = models.JSONField(default=dict, blank=True, help_text="the core's Score, as data")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    self_report_link = models.ForeignKey(
        SelfReportLink,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-administered_at", "-id"]
        indexes = [models.Index(fields=["patient", "instrument_id", "administered_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["self_report_link", "instrument_id"],
                name="one_response_per_instrument_per_link",
            ),
            models.CheckConstraint(
                condition=models.Q(status="incomplete", total__isnull=True)
                | models.Q(status="complete"),
                name="incomplete_is_never_scored",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.status} for patient {self.patient_id}"

    @property
    def instrument(self):  # type: ignore[no-untyped-def]
        return INSTRUMENTS[self.instrument_id]


class AssessmentAnswer(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    item_number = models.PositiveSmallIntegerField()
    value = models.SmallIntegerField(null=True, blank=True, help_text="null: skipped")
    loinc = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["item_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "item_number"], name="one_answer_per_item"
            )
        ]

    def __str__(self) -> str:
        return f"item {self.item_number} = {self.value}"


class SafetyAlert(models.Model):
    """Opened at once by a critical answer; open until a prescriber acknowledges it."""

    class Action(models.TextChoices):
        ASSESSED_IN_PERSON = "assessed_in_person", "Assessed in person"
        CONTACTED_BY_PHONE = "contacted_by_phone", "Contacted by phone and assessed"
        SAFETY_PLAN = "safety_plan", "Safety plan made or reviewed"
        REFERRED = "referred", "Referred for urgent or emergency care"
        OTHER = "other", "Other (described in the note)"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="safety_alerts"
    )
    assessment = models.OneToOneField(
        Assessment, on_delete=models.PROTECT, related_name="safety_alert"
    )
    reason = models.CharField(max_length=300)
    opened_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=30, choices=Action.choices, blank=True)
    note = models.TextField(max_length=4000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"safety alert {self.pk} ({'open' if self.is_open else 'acknowledged'})"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class MeasureSchedule(models.Model):
    """Which instrument a clinic wants when."""

    class Trigger(models.TextChoices):
        BASELINE = "baseline", "At baseline (before the first treatment)"
        BEFORE_SESSION = "before_session", "Before each treatment session"
        DAY_AFTER_SESSION = "day_after_session", "The day after each treatment session"
        EVERY_N_DAYS = "every_n_days", "Every N days in follow-up"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    instrument_id = models.CharField(max_length=20)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    interval_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="for every N days"
    )
    overdue_after_days = models.PositiveSmallIntegerField(
        default=2,
        help_text="A due questionnaire counts as overdue this many days after its due date "
        "(a workflow setting, not a clinical one).",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["instrument_id", "trigger"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "instrument_id", "trigger"], name="one_rule_per_trigger"
            ),
            models.CheckConstraint(
                condition=~models.Q(trigger="every_n_days") | models.Q(interval_days__gte=1),
                name="every_n_days_has_an_interval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.trigger}"

    @property
    def instrument_name(self) -> str:
        instrument = INSTRUMENTS.get(self.instrument_id)
        return instrument.name if instrument else self.instrument_id


class MeasureDue(models.Model):
    """A questionnaire due because of a treatment event (before / the day after a session)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    schedule = models.ForeignKey(MeasureSchedule, on_delete=models.PROTECT, related_name="+")
    instrument_id = models.CharField(max_length=20)
    due_on = models.DateField()
    reason = models.CharField(max_length=120)
    event_ref = models.CharField(max_length=60, help_text="the treatment event that made it due")
    satisfied_by = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["due_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "patient", "event_ref"], name="one_due_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} due {self.due_on} for patient {self.patient_id}"


class LicensedItemTexts(models.Model):
    """Item texts of a copyrighted instrument (MADRS, CADSS, QIDS-SR16) that a clinic holding a
    licence has entered; shown on its clinician entry form. The product ships none of them."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    instrument_id = models.CharField(max_length=20)
    texts = models.JSONField(help_text="{item number: text}")
    licence_note = models.CharField(
        max_length=300, help_text="Who holds the licence, its reference and date"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "instrument_id"], name="one_licensed_text_set_per_instrument"
            )
        ]

    def __str__(self) -> str:
        return f"licensed {self.instrument_id} texts of clinic {self.clinic_id}"


class MeasuresSettings(models.Model):
    """A clinic's settings of measurement-based care (its questionnaire schedules and licensed
    item texts have their own models). One row per clinic, made on first use."""

    clinic = models.OneToOneField(
        "accounts.Clinic",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="measures_settings",
    )
    crisis_resources = models.TextField(
        max_length=1000,
        blank=True,
        help_text="Shown to a patient whose self-report raises a safety alert. Empty: the "
        "default (988 Suicide & Crisis Lifeline, 911), which suits the US only.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "measures settings"

    def __str__(self) -> str:
        return f"measures settings of clinic {self.clinic_id}"


def settings_for(clinic: Clinic) -> MeasuresSettings:
    """Return the clinic's measures settings, made with the defaults on first use."""
    row, _ = MeasuresSettings.objects.get_or_create(clinic=clinic)
    return row
