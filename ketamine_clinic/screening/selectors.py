"""Reads of screening and consent."""

from __future__ import annotations

from ketamine_clinic.accounts.access import can
from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.selectors import ChartAlert

from .models import Consent, Screening
from .services import last_withdrawal, screening_status


def readiness_alerts(patient: Patient, viewer: StaffMember | None) -> list[ChartAlert]:
    """Chart header: a withdrawn consent, or a screening that blocks or awaits review."""
    alerts = []
    withdrawn_at = last_withdrawal(patient)
    if (
        withdrawn_at is not None
        and not Consent.objects.filter(patient=patient, signed_at__gt=withdrawn_at).exists()
    ):
        alerts.append(ChartAlert("danger", "Consent withdrawn: no session may start."))
    latest = patient.screenings.prefetch_related("reviews").select_related("clinic").first()
    if latest is not None and (viewer is None or can(viewer, Perm.SCREENING_VIEW, patient.clinic)):
        status = screening_status(latest)
        if status in ("ineligible", "declined"):
            alerts.append(
                ChartAlert("danger", f"Screening: {status} for {latest.get_route_display()}.")
            )
        elif status.startswith("awaiting"):
            alerts.append(ChartAlert("warning", f"Screening {status}."))
        elif status == "expired":
            alerts.append(
                ChartAlert("warning", "Screening expired: screen again before treatment.")
            )
    return alerts


def screenings_for(patient: Patient) -> list[tuple[Screening, str]]:
    return [
        (s, screening_status(s))
        for s in patient.screenings.prefetch_related("reviews__reviewer").select_related(
            "screened_by", "clinic"
        )
    ]
