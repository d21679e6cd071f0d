"""What every one-time link for a patient has: a token's hash, an expiry, a use, a revocation.

Self-report, consent and intake links hold a 256-bit random token of which only the hash is
stored; each expires, can be revoked, and works until it has been used once.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models


class PatientLink(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def status_at(self, now: datetime) -> str:
        """Return "revoked", "submitted" (used), "expired" or "open" (usable) at `now`."""
        if self.revoked_at:
            return "revoked"
        if self.submitted_at:
            return "submitted"
        if self.expires_at <= now:
            return "expired"
        return "open"
