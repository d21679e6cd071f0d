"""Eligibility screenings, their reviews, clinics' rule sets, consent templates and consents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from ketamine_clinic.accounts.scoping import ClinicScopedQuerySet
from ketamine_clinic.clinical.eligibility import LEVELS

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import Clinic
from ketamine_clinic.patients.links import PatientLink


class Route(models.TextChoices):
    IV = "iv", "IV racemic ketamine"
    IM = "im", "IM racemic ketamine"
    INTRANASAL = "intranasal", "Intranasal esketamine"
    ORAL = "oral", "Oral ketamine"


class ClinicRuleSet(models.Model):
    """One version of a clinic's own eligibility rules and thresholds (on top of the built-in
    rules). Versions are never edited: a change is a new version."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    thresholds = models.JSONField(default=dict, blank=True)
    extra_rules = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "number"], name="one_ruleset_number")
        ]

    def __str__(self) -> str:
        return f"clinic {self.clinic_id} rules v{self.number}"


class Screening(models.Model):
    class Decision(models.TextChoices):
        ELIGIBLE = "eligible", "Eligible"
        NEEDS_REVIEW = "needs_review", "Needs a prescriber's review"
        INELIGIBLE = "ineligible", "Not eligible"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="screenings"
    )
    route = models.CharField(max_length=12, choices=Route.choices)
    intake = models.JSONField(help_text="the intake as evaluated (clinical.eligibility.Intake)")
    decision = models.CharField(max_length=14, choices=Decision.choices)
    findings = models.JSONField(default=list)
    ruleset_version = models.CharField(max_length=80)
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    screened_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    notes = models.TextField(max_length=4000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-screened_at"]

    def __str__(self) -> str:
        return f"screening {self.pk} ({self.decision}) of patient {self.patient_id}"


class ScreeningFinding(models.Model):
    """One rule that fired in a screening, as a row for queries and exports.

    Written with the screening, in the same transaction; `Screening.findings` keeps the same
    findings as the record that was shown and signed off. Never edited.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="finding_rows")
    position = models.PositiveSmallIntegerField(help_text="0 is the most severe")
    rule = models.CharField(max_length=60, help_text="the rule's id")
    level = models.CharField(max_length=20, choices=[(level, level) for level in LEVELS])
    route = models.CharField(max_length=12, choices=Route.choices)
    reason = models.TextField(help_text="in plain language, with the patient's own values")
    source = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["screening", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["screening", "position"], name="one_finding_per_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} ({self.level}) in screening {self.screening_id}"


class IntakeObservation(models.Model):
    """A measurement taken at the screening intake (blood pressure, heart rate, weight,
    height), with its LOINC code and UCUM unit (clinical.observations).

    Written with the screening, in the same transaction; `Screening.intake` keeps the intake as
    evaluated. Never edited.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="observations")
    code = models.CharField(max_length=20, help_text="LOINC")
    unit = models.CharField(max_length=20, help_text="UCUM")
    value = models.DecimalField(max_digits=7, decimal_places=2)
    observed_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["screening", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["screening", "code"], name="one_intake_observation_per_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.value} {self.unit} at screening {self.screening_id}"


class ScreeningReview(models.Model):
    """A prescriber's decision on a screening that needs review (or a contraindication override,
    which needs two different prescribers and a clinic protocol that allows it)."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", "May proceed"
        DECLINED = "declined", "Must not proceed"

    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reasoning = models.TextField(max_length=4000)
    reviewed_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reviewed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["screening", "reviewer"], name="one_review_per_prescriber"
            )
        ]

    def __str__(self) -> str:
        return f"review of screening {self.screening_id}: {self.outcome}"


class ConsentTemplate(models.Model):
    """A versioned consent document for a route; a change is a new version."""

    class Kind(models.TextChoices):
        IV = "iv", "IV ketamine"
        IM = "im", "IM ketamine"
        INTRANASAL = "intranasal", "Esketamine nasal spray"
        KAP = "kap", "Ketamine-assisted psychotherapy"

    clinic = models.ForeignKey(
        "accounts.Clinic",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="empty: the product's template, for every clinic",
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=20000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "kind", "version"], name="one_consent_template_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Consent(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="consents"
    )
    template = models.ForeignKey(ConsentTemplate, on_delete=models.PROTECT, related_name="+")
    signed_name = models.CharField(max_length=200)
    signature_png = models.TextField(help_text="the drawn signature, as a PNG data URI")
    signed_at = models.DateTimeField()
    signed_ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(
        max_length=10,
        choices=[("tablet", "On the clinic tablet"), ("link", "Through a link")],
        default="tablet",
    )
    presented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    witnessed_at = models.DateTimeField(null=True, blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"consent {self.pk} of patient {self.patient_id} ({self.status})"

    @property
    def status(self) -> str:
        if self.withdrawn_at:
            return "withdrawn"
        if not self.witnessed_at:
            return "awaiting witness"
        return "current"


class ConsentLink(PatientLink):
    """A one-time link for a patient to read and sign a consent document on their own device.

    Like a self-report link: a 256-bit token of which only the hash is stored, expiring,
    revocable, dead once signed. A staff witness countersigns afterwards, as on the tablet.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(ConsentTemplate, on_delete=models.PROTECT, related_name="+")
    consent = models.OneToOneField(
        Consent, on_delete=models.PROTECT, null=True, blank=True, related_name="link"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta(PatientLink.Meta):
        pass

    def __str__(self) -> str:
        return f"consent link {self.pk} for patient {self.patient_id}"


class IntakeLink(PatientLink):
    """A one-time link for the patient to answer the history part of the intake themselves.

    Their answers prefill the staff intake form, where a clinician checks them, adds the
    measurements (blood pressure, heart rate) and screens.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="intake_links"
    )
    answers = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta(PatientLink.Meta):
        pass

    def __str__(self) -> str:
        return f"intake link {self.pk} for patient {self.patient_id}"


class ScreeningSettings(models.Model):
    """A clinic's screening protocol: how long a screening stays current, and whether two
    prescribers may override a contraindication. One row per clinic, made on first use."""

    clinic = models.OneToOneField(
        "accounts.Clinic",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="screening_settings",
    )
    screening_valid_days = models.PositiveSmallIntegerField(
        default=180,
        help_text="How long an eligibility screening stays current (a clinic policy, issue #4).",
    )
    allow_contraindication_override = models.BooleanField(
        default=False,
        help_text="The clinic's protocol lets two prescribers override a contraindication.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "screening settings"

    def __str__(self) -> str:
        return f"screening settings of clinic {self.clinic_id}"


def settings_for(clinic: Clinic) -> ScreeningSettings:
    """Return the clinic's screening settings, made with the defaults on first use."""
    row, _ = ScreeningSettings.objects.get_or_create(clinic=clinic)
    return row
