"""The one permission matrix: what each role may see and do at a clinic.

Views, the API and the selectors all ask `role_allows`; nothing else decides access.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    PRESCRIBER = "prescriber"
    NURSE = "nurse"
    FRONT_DESK = "front_desk"
    AUDITOR = "auditor"


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Clinic admin",
    Role.PRESCRIBER: "Prescriber",
    Role.NURSE: "Nurse",
    Role.FRONT_DESK: "Front desk",
    Role.AUDITOR: "Auditor",
}


class Perm(StrEnum):
    CHART_VIEW = "chart.view"  # open a patient's chart, search patients
    PATIENT_REGISTER = "patient.register"  # create patients; edit identity and contact details
    CHART_CLINICAL_EDIT = "chart.clinical_edit"  # indications, allergies, medications, weight
    STAFF_MANAGE = "staff.manage"  # invite, change roles, deactivate staff
    AUDIT_VIEW = "audit.view"  # search and export the audit trail


PERM_LABELS: dict[Perm, str] = {
    Perm.CHART_VIEW: "Search patients and open charts",
    Perm.PATIENT_REGISTER: "Register patients; edit identity and contact details",
    Perm.CHART_CLINICAL_EDIT: "Edit indications, allergies, medications, weight and care team",
    Perm.STAFF_MANAGE: "Invite, change roles of and deactivate staff",
    Perm.AUDIT_VIEW: "Search and export the audit trail",
}

MATRIX: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(
        {Perm.CHART_VIEW, Perm.PATIENT_REGISTER, Perm.STAFF_MANAGE, Perm.AUDIT_VIEW}
    ),
    Role.PRESCRIBER: frozenset({Perm.CHART_VIEW, Perm.PATIENT_REGISTER, Perm.CHART_CLINICAL_EDIT}),
    Role.NURSE: frozenset({Perm.CHART_VIEW, Perm.PATIENT_REGISTER, Perm.CHART_CLINICAL_EDIT}),
    Role.FRONT_DESK: frozenset({Perm.CHART_VIEW, Perm.PATIENT_REGISTER}),
    Role.AUDITOR: frozenset({Perm.AUDIT_VIEW}),
}


def role_allows(role: str, perm: Perm) -> bool:
    """Return whether `role` carries `perm` (an unknown role carries nothing)."""
    try:
        return perm in MATRIX[Role(role)]
    except ValueError:
        return False


def matrix_rows() -> list[tuple[str, list[bool]]]:
    """Return the matrix as (permission label, [allowed per role in Role order]) rows."""
    return [(PERM_LABELS[p], [p in MATRIX[r] for r in Role]) for p in Perm]
