"""Reads of the patient chart, always starting from the clinics the reader may see."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone

from ketamine_clinic.accounts.access import can, clinics_where
from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.reads import find_one, read_one, record_list_read
from ketamine_clinic.clinical import anthropometrics

from .models import Patient, WeightMeasurement


def visible_patients(actor: StaffMember) -> QuerySet[Patient]:
    """Return the patients of the clinics where `actor` may open charts (not audited)."""
    return Patient.objects.for_actor(actor, Perm.CHART_VIEW).select_related("clinic")


def _parse_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def patient_matches(actor: StaffMember, query: str = "") -> QuerySet[Patient]:
    """Return the visible patients a search matches (not audited: for counting).

    "smith jo" matches Jo Smith; "KC000012" the MRN; "1984-03-07" or "03/07/1984" the birth date.
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
    return patients


def _record_search(actor: StaffMember, query: str, shown: list[Patient]) -> None:
    # One event per clinic searched (so that each clinic's auditors see the searches of it),
    # naming the patients of that clinic the answer showed.
    record_list_read(
        actor,
        shown,
        action=Action.PATIENT_SEARCH,
        detail={"query": query},
        clinics=clinics_where(actor, Perm.CHART_VIEW),
    )


def patient_search(
    actor: StaffMember,
    query: str = "",
    *,
    window: slice | None = None,
    order_by: tuple[str, ...] = (),
) -> list[Patient]:
    """Find visible patients by name (any part), MRN or date of birth; the search is audited.

    `window` limits the answer to one page; the event names the patients shown. An empty
    query lists every visible patient: a read of their names and birth dates too, so it is
    audited as well (query "").
    """
    matches = patient_matches(actor, query)
    if order_by:
        matches = matches.order_by(*order_by)
    shown = list(matches[window] if window is not None else matches)
    _record_search(actor, query.strip()[:100], shown)
    return shown


def patient_search_page(
    actor: StaffMember, query: str, page_number: Any, per_page: int
) -> Page[Patient]:
    """Return one page of a search (Django's Paginator), audited as `patient_search` is."""
    page = Paginator(patient_matches(actor, query), per_page).get_page(page_number)
    page.object_list = list(page.object_list)
    _record_search(actor, query.strip()[:100], page.object_list)
    return page


def patient_for(actor: StaffMember, patient_id: int) -> Patient:
    """Return the patient if `actor` may see them; otherwise 404, whether or not they exist.

    Not audited (a write, or a check, follows). Reaching for an existing patient outside
    one's clinics (a guessed id) is recorded as a refusal, visible to that patient's clinic's
    auditors; the answer is the same 404.
    """
    return find_one(actor, Perm.CHART_VIEW, Patient.objects.select_related("clinic"), pk=patient_id)


@dataclass(frozen=True)
class ChartAlert:
    level: str  # "danger", "warning", "info"; "info" is a reminder, not an alert
    text: str

    @property
    def is_reminder(self) -> bool:
        return self.level == "info"


# Later capabilities (safety alerts, eligibility, consent) add a provider here. A provider gets
# the patient and the staff member looking (None for a system reader), so that it can word an
# alert for what that person may see.
ALERT_PROVIDERS: list[Callable[[Patient, StaffMember | None], list[ChartAlert]]] = []


def _chart_completeness(patient: Patient, viewer: StaffMember | None) -> list[ChartAlert]:
    alerts = []
    clinical = viewer is None or can(viewer, Perm.CHART_CLINICAL_VIEW, patient.clinic)
    if clinical and not patient.weights.exists():
        alerts.append(ChartAlert("warning", "No weight recorded: doses cannot be computed."))
    if clinical and not patient.allergies.strip() and not patient.no_known_drug_allergies:
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

    @property
    def safety_alerts(self) -> list[ChartAlert]:
        """The alerts the header counts and colours (a reminder is shown apart)."""
        return [alert for alert in self.alerts if not alert.is_reminder]

    @property
    def reminders(self) -> list[ChartAlert]:
        return [alert for alert in self.alerts if alert.is_reminder]

    @property
    def alert_level(self) -> str:
        """The header's colour for the open alerts: "danger", "warn" or "" when there are none."""
        levels = {alert.level for alert in self.safety_alerts}
        return "danger" if "danger" in levels else "warn" if levels else ""


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


def patient_open(
    actor: StaffMember, patient_id: int, *, detail: dict[str, Any] | None = None
) -> Patient:
    """Return a patient whose chart (or data) is about to be shown: 404 unless visible; audited.

    `detail` says what of the chart the page shows, e.g. {"via": "questionnaire entry"}.
    """
    return read_one(
        actor,
        Perm.CHART_VIEW,
        Patient.objects.select_related("clinic"),
        action=Action.CHART_VIEW,
        detail=detail,
        pk=patient_id,
    )


def patient_chart(actor: StaffMember, patient_id: int) -> ChartSummary:
    """Open a chart: 404 unless visible, and the view is audited."""
    return chart_summary(patient_open(actor, patient_id), actor)
