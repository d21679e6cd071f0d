"""Organisations, their clinic sites, staff members, their roles, invitations and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from .permissions import ROLE_LABELS, Role


class Organization(models.Model):
    name = models.CharField(max_length=200)
    # MRNs are issued as <prefix><sequence>, unique within the organisation.
    mrn_prefix = models.CharField(max_length=6, default="KC")
    next_mrn_number = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Clinic(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="clinics")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    timezone = models.CharField(max_length=64, default="America/New_York")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="clinic_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class StaffMember(AbstractUser):
    """A person who works at one or more clinics. Never deleted: deactivated."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    credentials = models.CharField(max_length=60, blank=True, help_text="e.g. MD, NP, RN")

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{name}, {self.credentials}" if self.credentials else name


ROLE_CHOICES = [(r.value, ROLE_LABELS[r]) for r in Role]


class Membership(models.Model):
    """A staff member's role at one clinic."""

    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["clinic__name", "staff__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "clinic"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.staff.username} · {self.role} @ {self.clinic.name}"


class StaffInvitation(models.Model):
    """A one-time link for an invited staff member to choose a password."""

    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"invitation for {self.staff.username}"


class ApiToken(models.Model):
    """An API credential. Only the SHA-256 of the token is stored; it acts as its owner."""

    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="first characters, to recognise a token")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.staff.username})"
