"""A treatment session and what it records: check-in, dose, administration, vitals, side
effects, adverse events, rescue medicines, alerts, discharge, the signed note and its addenda.

Readings, administration events and addenda are append-only; a signed note is locked.
Corrections are new rows (reference: inventory/models.py, audit/models.py).
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models

from ketamine_clinic.accounts.scoping import ClinicScopedQuerySet

_USER = settings.AUTH_USER_MODEL


class RecordIsAppendOnly(Exception):
    """Raised when code tries to change or remove a row that is kept as recorded."""


class AppendOnlyQuerySet(ClinicScopedQuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise RecordIsAppendOnly("recorded rows cannot be updated")

    def delete(self) -> NoReturn:
        raise RecordIsAppendOnly("recorded rows cannot be deleted")


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RecordIsAppendOnly(f"{self._meta.model_name} rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RecordIsAppendOnly(f"{self._meta.model_name} rows cannot be deleted")


class TreatmentSettings(models.Model):
    """A clinic's session policy. None of these has a published source (reference.md §1.9)."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="treatment_settings"
    )
    iv_im_fasting_required = models.BooleanField(
        default=True,
        help_text="Ask IV/IM patients the esketamine fasting rule (food ≥ 2 h, liquids ≥ 30 min)"
        ": clinic policy, no published source for IV/IM.",
    )
    walks_steadily_required = models.BooleanField(
        default=True,
        help_text="Discharge needs 'walks steadily': a clinic choice (ACEP 2011 does not "
        "require it).",
    )
    weight_max_age_days = models.PositiveSmallIntegerField(
        default=30,
        help_text="Weigh again at check-in when the latest weight is older: clinic "
        "policy default, no published source.",
    )

    objects = ClinicScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"treatment settings of clinic {self.clinic_id}"


class TreatmentSession(models.Model):
    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        CHECKED_IN = "checked_in", "Checked in"
        DOSING = "dosing", "Dosing"
        MONITORING = "monitoring", "Monitoring"
        READY = "ready_for_discharge", "Ready for discharge"
        DISCHARGED = "discharged", "Discharged"
        SIGNED = "signed", "Done (signed)"
        STOPPED = "stopped", "Stopped"
        CANCELLED = "cancelled", "Cancelled"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_sessions"
    )
    planned_session = models.OneToOneField(
        "plans.PlannedSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="treatment_session",
    )
    protocol = models.ForeignKey("plans.Protocol", on_delete=models.PROTECT, related_name="+")
    chair = models.ForeignKey("plans.Chair", on_delete=models.PROTECT, related_name="+")
    route = models.CharField(max_length=12)
    scheduled_at = models.DateTimeField()
    walk_in_reason = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.WAITING)
    created_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    # The pre-dose blood-pressure gate and the decision it needed.
    bp_gate_level = models.CharField(max_length=8, blank=True)
    bp_decision_by = models.ForeignKey(
        _USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    bp_decision_reason = models.CharField(max_length=500, blank=True)
    bp_emergency = models.BooleanField(default=False)
    pre_dose_moaas = models.PositiveSmallIntegerField(null=True, blank=True)
    # Continuous pulse oximetry during IV infusions (issue #17).
    continuous_oximetry = models.BooleanField(default=False)
    lowest_spo2 = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    stop_reason = models.CharField(max_length=500, blank=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_at", "pk"]
        indexes = [models.Index(fields=["clinic", "scheduled_at"])]

    def __str__(self) -> str:
        return f"session {self.pk} ({self.state}) of patient {self.patient_id}"

    @property
    def is_esketamine(self) -> bool:
        return self.route == "intranasal"


class CheckIn(AppendOnly):
    """The pre-checks of one session (issue #11 step 1, the day-of re-check of issue #17)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(
        TreatmentSession, on_delete=models.PROTECT, related_name="checkin"
    )
    recorded_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    answers = models.JSONField(help_text="each pre-check and its answer")
    medication_flags = models.JSONField(default=list)
    readiness = models.JSONField(default=dict, help_text="the screening/consent gate's answer")
    urine_drug_screen = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return f"check-in of session {self.session_id}"


class ReadingSet(AppendOnly):
    """One bedside reading: its measures are VitalSignReading rows; sedation, dissociation and
    symptoms beside them."""

    class Phase(models.TextChoices):
        BASELINE = "baseline", "Baseline"
        DURING = "during", "During administration"
        AFTER = "after", "After administration"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="readings")
    phase = models.CharField(max_length=10, choices=Phase.choices)
    taken_at = models.DateTimeField()
    recorded_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    moaas = models.PositiveSmallIntegerField(null=True, blank=True)
    cadss6 = models.PositiveSmallIntegerField(null=True, blank=True)
    symptoms = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["taken_at", "pk"]

    def __str__(self) -> str:
        return f"reading {self.pk} of session {self.session_id}"


class VitalSignReading(AppendOnly):
    """One measure as a coded observation (LOINC, UCUM; reference.md §3.3)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    reading_set = models.ForeignKey(ReadingSet, on_delete=models.PROTECT, related_name="measures")
    key = models.CharField(max_length=12, help_text="clinical.observations.VITAL_SIGNS key")
    loinc = models.CharField(max_length=10)
    unit = models.CharField(max_length=10)
    value = models.DecimalField(max_digits=6, decimal_places=1)
    taken_at = models.DateTimeField()

    class Meta:
        ordering = ["reading_set_id", "pk"]
        indexes = [models.Index(fields=["patient", "loinc", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.loinc} {self.value} {self.unit}"


class DoseAdministration(models.Model):
    """The dose as prepared, verified by a second clinician, and drawn from the ledger."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(TreatmentSession, on_delete=models.PROTECT, related_name="dose")
    container = models.ForeignKey("inventory.Container", on_delete=models.PROTECT, related_name="+")
    dispense = models.OneToOneField(
        "inventory.LedgerEntry", on_delete=models.PROTECT, related_name="dose_administration"
    )
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    dose_per_kg = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    prescribed_mg = models.DecimalField(max_digits=7, decimal_places=1)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=1)
    drawn_mg = models.DecimalField(max_digits=7, decimal_places=1)
    concentration_mg_per_ml = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    drug_volume_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    bag_ml = models.DecimalField(max_digits=6, decimal_places=1, default=0)
    total_volume_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    rate_ml_per_h = models.DecimalField(max_digits=7, decimal_places=1, null=True)
    minutes = models.DecimalField(max_digits=6, decimal_places=1)
    devices = models.PositiveSmallIntegerField(null=True, blank=True)
    steps = models.JSONField(default=list)
    prepared_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField()
    verified_by = models.ForeignKey(
        _USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    sign_off_reasons = models.JSONField(default=list)
    sign_off_by = models.ForeignKey(
        _USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sign_off_note = models.CharField(max_length=500, blank=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(verified_by=models.F("prepared_by")),
                name="dose_verified_by_another",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dose_mg} mg for session {self.session_id}"


class AdministrationEvent(AppendOnly):
    class Kind(models.TextChoices):
        START = "start", "Start"
        PAUSE = "pause", "Pause"
        RESUME = "resume", "Resume"
        RATE = "rate_change", "Rate change"
        STOP = "stop", "Stop"
        DEVICE = "device", "Esketamine device"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="administration_events"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField()
    rate_ml_per_h = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    device_number = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%H:%M}"


class SessionAlert(models.Model):
    """A limit crossed or a symptom reported: on the screen and in the record."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="alerts")
    reading_set = models.ForeignKey(
        ReadingSet, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    code = models.CharField(max_length=40)
    level = models.CharField(max_length=10)
    message = models.CharField(max_length=300)
    source = models.CharField(max_length=300)
    raised_at = models.DateTimeField()
    outcome = models.CharField(max_length=500, blank=True)
    outcome_by = models.ForeignKey(
        _USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome_at = models.DateTimeField(null=True, blank=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["raised_at", "pk"]

    def __str__(self) -> str:
        return f"{self.level}: {self.message}"


class SideEffect(AppendOnly):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="side_effects"
    )
    code = models.CharField(max_length=30)
    detail = models.CharField(max_length=300, blank=True)
    onset_at = models.DateTimeField()
    recorded_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["onset_at", "pk"]

    def __str__(self) -> str:
        return self.code


class RescueMedication(AppendOnly):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="rescue_medications"
    )
    drug = models.CharField(max_length=100)
    dose = models.CharField(max_length=60)
    route = models.CharField(max_length=30)
    given_at = models.DateTimeField()
    reason = models.CharField(max_length=300)
    recorded_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["given_at", "pk"]

    def __str__(self) -> str:
        return f"{self.drug} {self.dose}"


class AdverseEvent(models.Model):
    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"
        LIFE_THREATENING = "life_threatening", "Life-threatening"

    class Relatedness(models.TextChoices):
        UNRELATED = "unrelated", "Unrelated"
        UNLIKELY = "unlikely", "Unlikely"
        POSSIBLE = "possible", "Possible"
        PROBABLE = "probable", "Probable"
        DEFINITE = "definite", "Definite"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="adverse_events"
    )
    alert = models.OneToOneField(
        SessionAlert, on_delete=models.PROTECT, null=True, blank=True, related_name="adverse_event"
    )
    description = models.CharField(max_length=500)
    onset_at = models.DateTimeField()
    severity = models.CharField(max_length=20, choices=Severity.choices)
    serious = models.BooleanField(default=False)
    action_taken = models.CharField(max_length=500, blank=True)
    outcome = models.CharField(max_length=500, blank=True)
    relatedness = models.CharField(max_length=10, choices=Relatedness.choices, blank=True)
    recorded_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    followed_up_by = models.ForeignKey(
        _USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    followed_up_at = models.DateTimeField(null=True, blank=True)
    follow_up_note = models.CharField(max_length=500, blank=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["onset_at", "pk"]

    def __str__(self) -> str:
        return f"{self.severity} AE: {self.description[:40]}"

    @property
    def is_open(self) -> bool:
        return self.serious and self.followed_up_at is None


class Discharge(AppendOnly):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(
        TreatmentSession, on_delete=models.PROTECT, related_name="discharge"
    )
    discharged_at = models.DateTimeField()
    discharged_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    criteria = models.JSONField(help_text="each criterion, met or not, as evaluated")
    override_by = models.ForeignKey(
        _USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_reason = models.CharField(max_length=500, blank=True)
    ready_to_leave_at = models.DateTimeField(
        null=True, blank=True, help_text="REMS: when the patient would have been ready to leave"
    )

    def __str__(self) -> str:
        return f"discharge of session {self.session_id}"


class NoteIsLocked(Exception):
    """Raised when code tries to change a signed note (corrections are addenda)."""


class SessionNote(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(TreatmentSession, on_delete=models.PROTECT, related_name="note")
    summary = models.TextField(help_text="drafted from the record")
    text = models.TextField(max_length=8000, blank=True)
    signed_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()

    objects = AppendOnlyQuerySet.as_manager()

    def __str__(self) -> str:
        return f"note of session {self.session_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise NoteIsLocked("a signed note cannot be changed: add an addendum")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NoteIsLocked("a signed note cannot be deleted")


class Addendum(AppendOnly):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField(max_length=4000)
    written_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()

    class Meta:
        ordering = ["written_at", "pk"]

    def __str__(self) -> str:
        return f"addendum {self.pk} to note {self.note_id}"


class RoomReadinessCheck(AppendOnly):
    """Emergency readiness of a room on one day, before its first session (issue #17)."""

    ITEMS = {
        "pulse_oximeter": "Pulse oximeter",
        "oxygen": "Oxygen",
        "suction": "Suction",
        "airway_kit": "Airway kit",
        "rescue_medicines": "Rescue medicines in stock and in date",
    }

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey("plans.Room", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    checked_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField()
    items = models.JSONField()
    prescriber_on_site = models.ForeignKey(
        _USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-day", "room_id"]

    def __str__(self) -> str:
        return f"readiness of room {self.room_id} on {self.day}"


class PdmpCheck(AppendOnly):
    """A recorded PDMP check (the product records it; it does not query a PDMP)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    checked_on = models.DateField()
    checked_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(max_length=300)

    class Meta:
        ordering = ["-checked_on", "-pk"]

    def __str__(self) -> str:
        return f"PDMP check {self.checked_on}"


class RemsEnrolment(models.Model):
    """The patient's enrolment in the esketamine REMS (before the first dose, §2.5)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="rems_enrolment"
    )
    enrolled_on = models.DateField()
    reference = models.CharField(max_length=60, blank=True)
    recorded_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")

    objects = ClinicScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"REMS enrolment of patient {self.patient_id}"


class RemsMonitoringForm(models.Model):
    """The REMS Patient Monitoring Form of one outpatient esketamine session: due within 7 days
    (reference.md §2.5), marked sent with the date and by whom."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(
        TreatmentSession, on_delete=models.PROTECT, related_name="rems_form"
    )
    due_on = models.DateField()
    sent_on = models.DateField(null=True, blank=True)
    sent_by = models.ForeignKey(
        _USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"REMS PMF of session {self.session_id}"


class LiverTest(AppendOnly):
    """A periodic liver test over the course (racemic ketamine label: drug-induced liver injury
    with repeated use, reference.md §1.9): when, its result, who recorded it."""

    class Result(models.TextChoices):
        NORMAL = "normal", "Normal"
        ABNORMAL = "abnormal", "Abnormal"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="liver_tests"
    )
    taken_on = models.DateField()
    result = models.CharField(max_length=10, choices=Result.choices)
    detail = models.CharField(max_length=300, blank=True, help_text="e.g. ALT 62 U/L")
    recorded_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-taken_on", "-pk"]

    def __str__(self) -> str:
        return f"liver test {self.taken_on} ({self.result})"
