"""The chart's frame: the registry of its tabs and header items, and the context every tab uses.

An app adds its tab (and any facts for the summary header) from its `AppConfig.ready()`:

    from ketamine_clinic.patients.chart import ChartTab, register_header_items, register_tab
    register_tab(ChartTab("plan", "Plan", "plans:patient", order=25))
    register_header_items(plan_header_items)   # (patient, viewer) -> list[HeaderItem]

and its tab view starts from `chart_context(request, patient_id, "plan")`, which opens the chart
(404 unless visible, audited) and fills the header. `patients` never names another app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ketamine_clinic.accounts.access import can
from ketamine_clinic.accounts.permissions import Perm

from . import selectors

if TYPE_CHECKING:
    from ketamine_clinic.accounts.http import StaffRequest
    from ketamine_clinic.accounts.models import StaffMember

    from .models import Patient


@dataclass(frozen=True)
class ChartTab:
    key: str
    label: str
    url_name: str  # a URL name taking `patient_id`
    order: int
    # Shown only to a viewer who holds this at the patient's clinic (None: whoever opens charts).
    perm: Perm | None = None


@dataclass(frozen=True)
class HeaderItem:
    """One fact in the chart's summary header, e.g. ("Plan", "IV induction, session 3 of 6")."""

    label: str
    value: str
    level: str = ""  # "", "warn" or "danger"
    note: str = ""


HeaderProvider = Callable[["Patient", "StaffMember | None"], list[HeaderItem]]

_TABS: dict[str, ChartTab] = {}
_HEADER_PROVIDERS: list[HeaderProvider] = []


def register_tab(tab: ChartTab) -> None:
    """Add a tab to every chart (registering the same key again replaces it)."""
    _TABS[tab.key] = tab


def register_header_items(provider: HeaderProvider) -> None:
    """Add a provider of summary-header facts (once; registering it again changes nothing)."""
    if provider not in _HEADER_PROVIDERS:
        _HEADER_PROVIDERS.append(provider)


def tabs_for(viewer: StaffMember, patient: Patient) -> list[ChartTab]:
    """Return the tabs `viewer` sees on `patient`'s chart, in order."""
    return [
        tab
        for tab in sorted(_TABS.values(), key=lambda t: (t.order, t.key))
        if tab.perm is None or can(viewer, tab.perm, patient.clinic)
    ]


def header_items(patient: Patient, viewer: StaffMember | None) -> list[HeaderItem]:
    """Return the facts the registered providers add to the header, for what `viewer` may see."""
    return [item for provider in _HEADER_PROVIDERS for item in provider(patient, viewer)]


def chart_context(request: StaffRequest, patient_id: int, tab: str) -> dict[str, Any]:
    """Open the chart (404 unless visible; audited) and return what the chart frame shows."""
    summary = selectors.patient_chart(request.user, patient_id)
    patient = summary.patient
    return {
        "summary": summary,
        "patient": patient,
        "tabs": tabs_for(request.user, patient),
        "tab": tab,
        "header_items": header_items(patient, request.user),
        "can_view_clinical": can(request.user, Perm.CHART_CLINICAL_VIEW, patient.clinic),
        "can_edit_clinical": can(request.user, Perm.CHART_CLINICAL_EDIT, patient.clinic),
        "can_register": can(request.user, Perm.PATIENT_REGISTER, patient.clinic),
    }
