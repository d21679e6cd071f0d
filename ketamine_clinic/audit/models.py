"""The append-only audit trail."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketamine_clinic.accounts.scoping import ClinicScopedQuerySet


class AuditTrailIsAppendOnly(Exception):
    """Raised when code tries to change or remove an audit event."""


class AuditEventQuerySet(ClinicScopedQuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditTrailIsAppendOnly("audit events cannot be updated")

    def delete(self) -> NoReturn:
        raise AuditTrailIsAppendOnly("audit events cannot be deleted")


class AuditEvent(models.Model):
    """One touch of the system: who, in which role and clinic, did what to which record."""

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=60, blank=True)
    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Whose trail the event belongs to: the clinic's organisation, or, for an event of no
    # clinic, the actor's (or the account a failed sign-in named). An event of no organisation
    # (a made-up username, an unknown self-report token) is for the operator only.
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # One of audit.actions.Action (record() takes nothing else). Not a `choices` field: the
    # registry grows with every capability, and a migration per new action would add nothing.
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=10, default="system")
    correlation_id = models.CharField(max_length=32, blank=True)
    # For an update: {"field": [old, new], ...}; values as text.
    changes = models.JSONField(default=dict, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    # "nonce:HMAC-SHA256" of the row's content with the chain key (audit.chain); empty for the
    # rows written before the key existed.
    mac = models.CharField(max_length=100, blank=True, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["patient", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditTrailIsAppendOnly("audit events cannot be deleted")


class AuditEventPatientQuerySet(models.QuerySet["AuditEventPatient"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditTrailIsAppendOnly("audit events cannot be updated")

    def delete(self) -> NoReturn:
        raise AuditTrailIsAppendOnly("audit events cannot be deleted")


class AuditEventPatient(models.Model):
    """A patient named by an event that shows many (a list read), one row each.

    The event's own `patient` is empty when it names several; these rows let the trail's
    patient filter find it on SQLite and PostgreSQL alike (JSON containment is not portable).
    """

    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="named_patients")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")

    objects = AuditEventPatientQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "event"], name="audit_event_patient_once")
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} names patient {self.patient_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditTrailIsAppendOnly("audit events cannot be deleted")


class AuditSealQuerySet(models.QuerySet["AuditSeal"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditTrailIsAppendOnly("audit seals cannot be updated")

    def delete(self) -> NoReturn:
        raise AuditTrailIsAppendOnly("audit seals cannot be deleted")


class AuditSeal(models.Model):
    """A keyed seal over the audit events of one id range: which ids it holds and a digest of
    their MACs, chained to the seal before it (audit.chain). A deleted event is found by it."""

    first_event_id = models.BigIntegerField(unique=True)
    last_event_id = models.BigIntegerField()
    runs = models.JSONField(help_text="the sealed ids as [first, last] runs")
    events = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    previous_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(default=timezone.now)

    objects = AuditSealQuerySet.as_manager()

    class Meta:
        ordering = ["first_event_id"]

    def __str__(self) -> str:
        return f"audit seal {self.first_event_id}–{self.last_event_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("audit seals cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditTrailIsAppendOnly("audit seals cannot be deleted")
