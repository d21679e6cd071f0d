"""Reads of the patient chart, always starting from the clinics the reader may see."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ketamine_clinic.accounts.access import clinics_where
from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.services import record
from ketamine_clinic.clinical import anthropometrics

from .models import Patient, WeightMeasurement


def visible_patients(actor: StaffMember) -> QuerySet[Patient]:
    """Return the patients of the clinics where `actor` may open charts."""
    return Patient.objects.filter(clinic__in=clinics_where(actor, Perm.CHART_VIEW)).select_related(
        "clinic"
    )


def _parse_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def patient_search(actor: StaffMember, query: str = "") -> QuerySet[Patient]:
    """Find visible patients by name (any part), MRN or date of birth; the search is audited.

    "smith jo" matches Jo Smith; "KC000012" the MRN; "1984-03-07" or "03/07/1984" the birth date.
    An empty query lists every visible patient: a read of their names and birth dates too, so
    it is audited as well (query "").
    """
    patients = visible_patients(actor)
    query = query.strip()[:100]
    if query:
        dob = _parse_date(query)
        if dob is not None:
            patients = patients.filter(date_of_birth=dob)
        else:
            for term in re.split(r"[\s,]+", query):
                patients = patients.filter(
                    Q(legal_given_name__icontains=term)
                    | Q(legal_family_name__icontains=term)
                    | Q(preferred_name__icontains=term)
                    | Q(mrn__iexact=term)
                )
    # One row per clinic searched, so that each clinic's auditors see the searches of it.
    for clinic in clinics_where(actor, Perm.CHART_VIEW):
        record(actor=actor, action=Action.PATIENT_SEARCH, clinic=clinic, detail={"query": query})
    return patients


def patient_for(actor: StaffMember, patient_id: int) -> Patient:
    """Return the patient if `actor` may see them; otherwise 404, whether or not they exist.

    Reaching for an existing patient outside one's clinics (a guessed id) is recorded as a
    refusal, visible to that patient's clinic's auditors; the answer is the same 404.
    """
    try:
        return visible_patients(actor).get(pk=patient_id)
    except (Patient.DoesNotExist, ValueError, TypeError) as error:
        elsewhere = Patient.objects.filter(pk=patient_id).select_related("clinic").first()
        if elsewhere is not None:
            record(
                actor=actor,
                action=Action.PERMISSION_DENIED,
                patient=elsewhere,
                detail={"reason": "patient outside the actor's clinics"},
            )
        raise Http404("No such patient.") from error


@dataclass(frozen=True)
class ChartAlert:
    level: str  # "danger", "warning", "info"
    text: str


# Later capabilities (safety alerts, eligibility, consent) add a provider here. A provider gets
# the patient and the staff member looking (None for a system reader), so that it can word an
# alert for what that person may see.
ALERT_PROVIDERS: list[Callable[[Patient, StaffMember | None], list[ChartAlert]]] = []


def _chart_completeness(patient: Patient, viewer: StaffMember | None) -> list[ChartAlert]:
    alerts = []
    if not patient.weights.exists():
        alerts.append(ChartAlert("warning", "No weight recorded: doses cannot be computed."))
    if not patient.allergies.strip() and not patient.no_known_drug_allergies:
        alerts.append(ChartAlert("warning", "Allergies not documented."))
    if not patient.escort_name:
        alerts.append(ChartAlert("info", "No escort recorded for the ride home."))
    return alerts


ALERT_PROVIDERS.append(_chart_completeness)


@dataclass(frozen=True)
class ChartSummary:
    patient: Patient
    age: int
    latest_weight: WeightMeasurement | None
    latest_height_cm: Decimal | None
    bmi: anthropometrics.BodyMassIndex | None
    alerts: list[ChartAlert] = field(default_factory=list)


def chart_summary(
    patient: Patient, viewer: StaffMember | None = None, *, with_alerts: bool = True
) -> ChartSummary:
    """Return the header of the chart: age, latest weight and height, BMI and open alerts.

    `with_alerts=False` leaves the alerts out (the API's chart answer does not carry them),
    which spares every alert provider's queries.
    """
    latest = patient.weights.order_by("-measured_at", "-id").first()
    height_row = (
        latest
        if latest is None or latest.height_cm is not None
        else patient.weights.exclude(height_cm=None).order_by("-measured_at", "-id").first()
    )
    height = height_row.height_cm if height_row else None
    bmi = anthropometrics.body_mass_index(latest.weight_kg, height) if latest and height else None
    alerts = (
        [alert for provider in ALERT_PROVIDERS for alert in provider(patient, viewer)]
        if with_alerts
        else []
    )
    return ChartSummary(
        patient=patient,
        age=patient.age_on(timezone.localdate()),
        latest_weight=latest,
        latest_height_cm=height,
        bmi=bmi,
        alerts=alerts,
    )


def patient_open(actor: StaffMember, patient_id: int) -> Patient:
    """Return a patient whose chart is about to be shown: 404 unless visible; audited."""
    patient = patient_for(actor, patient_id)
    record(actor=actor, action=Action.CHART_VIEW, patient=patient, obj=patient)
    return patient


def patient_chart(actor: StaffMember, patient_id: int) -> ChartSummary:
    """Open a chart: 404 unless visible, and the view is audited."""
    return chart_summary(patient_open(actor, patient_id), actor)
