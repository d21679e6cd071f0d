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
    # See indications, medications, allergies, weight and why a patient is not cleared.
    CHART_CLINICAL_VIEW = "chart.clinical_view"
    CHART_CLINICAL_EDIT = "chart.clinical_edit"  # indications, allergies, medications, weight
    STAFF_MANAGE = "staff.manage"  # invite, change roles, deactivate staff
    AUDIT_VIEW = "audit.view"  # search and export the audit trail
    MEASURES_VIEW = "measures.view"  # see questionnaire answers, scores and safety alerts
    MEASURES_ENTER = "measures.enter"  # enter questionnaire answers as a clinician
    SELF_REPORT_SEND = "measures.send"  # send a patient a self-report link
    ALERT_ACKNOWLEDGE = "alerts.acknowledge"  # acknowledge a safety alert with an action
    SCHEDULE_MANAGE = "measures.schedule"  # set which questionnaires are due when
    SCREENING_VIEW = "screening.view"  # see eligibility screenings and their findings
    SCREENING_ENTER = "screening.enter"  # enter an intake and screen a patient
    SCREENING_REVIEW = "screening.review"  # record a prescriber's review decision
    RULES_MANAGE = "screening.rules"  # set the clinic's own eligibility rules and consent texts
    CONSENT_COLLECT = "consent.collect"  # present consent for signing, witness, record withdrawal
    INVENTORY_VIEW = "inventory.view"  # see stock, the ledger and its reports
    INVENTORY_RECORD = "inventory.record"  # receive stock, draw doses, record waste, count
    INVENTORY_ADJUST = "inventory.adjust"  # resolve a count discrepancy with an adjustment
    INVENTORY_SETTINGS = "inventory.settings"  # products, suppliers and the count interval
    SESSION_VIEW = "session.view"  # see treatment sessions, the Today screen and their records
    SESSION_RECORD = "session.record"  # check in, dose, verify, record vitals, discharge, sign
    SESSION_OVERRIDE = "session.override"  # walk-ins, BP holds, dose sign-off, discharge override
    READINESS_CHECK = "session.readiness"  # log a room's emergency readiness check
    PLAN_VIEW = "plans.view"  # see treatment plans, their doses and cumulative exposure
    PLAN_MANAGE = "plans.manage"  # create, sign and change treatment plans; sign protocols
    SCHEDULE_VIEW = "plans.schedule_view"  # see the day and week views of the treatment schedule
    SCHEDULE_BOOK = "plans.book"  # book, reschedule and cancel treatment sessions
    PROTOCOL_MANAGE = "plans.protocols"  # draft protocol versions; chairs, hours, shifts, ratio


PERM_LABELS: dict[Perm, str] = {
    Perm.CHART_VIEW: "Search patients and open charts",
    Perm.PATIENT_REGISTER: "Register patients; edit identity and contact details",
    Perm.CHART_CLINICAL_VIEW: (
        "See indications, medications, allergies, weight and why a patient is not cleared"
    ),
    Perm.CHART_CLINICAL_EDIT: "Edit indications, allergies, medications, weight and care team",
    Perm.STAFF_MANAGE: "Invite, change roles of and deactivate staff",
    Perm.AUDIT_VIEW: "Search and export the audit trail",
    Perm.MEASURES_VIEW: "See questionnaire answers, scores and safety alerts",
    Perm.MEASURES_ENTER: "Enter questionnaire answers",
    Perm.SELF_REPORT_SEND: "Send patients self-report links",
    Perm.ALERT_ACKNOWLEDGE: "Acknowledge safety alerts",
    Perm.SCHEDULE_MANAGE: "Set questionnaire schedules, crisis resources and licensed item texts",
    Perm.SCREENING_VIEW: "See eligibility screenings and their findings",
    Perm.SCREENING_ENTER: "Screen a patient (enter the intake)",
    Perm.SCREENING_REVIEW: "Review a screening that needs a prescriber",
    Perm.RULES_MANAGE: "Set the clinic's eligibility rules and consent texts",
    Perm.CONSENT_COLLECT: "Collect and witness consent; record a withdrawal",
    Perm.INVENTORY_VIEW: "See controlled-substance stock, ledger and reports",
    Perm.INVENTORY_RECORD: "Receive stock, draw doses, record and witness waste, count",
    Perm.INVENTORY_ADJUST: "Resolve a count discrepancy (adjustment)",
    Perm.INVENTORY_SETTINGS: (
        "Manage controlled-substance products, suppliers and the count interval"
    ),
    Perm.SESSION_VIEW: "See treatment sessions and the Today screen",
    Perm.SESSION_RECORD: "Run a session: check-in, dose, verify, vitals, discharge, note",
    Perm.SESSION_OVERRIDE: (
        "Book walk-ins; sign BP holds, doses above limits, discharge overrides, symptom outcomes"
    ),
    Perm.READINESS_CHECK: "Log a room's emergency readiness check",
    Perm.PLAN_VIEW: "See treatment plans, their doses and cumulative exposure",
    Perm.PLAN_MANAGE: "Create, sign and change treatment plans; sign protocol versions",
    Perm.SCHEDULE_VIEW: "See the treatment schedule (day and week views)",
    Perm.SCHEDULE_BOOK: "Book, reschedule and cancel treatment sessions",
    Perm.PROTOCOL_MANAGE: (
        "Draft protocol versions; set chairs, opening hours, staff shifts and the nurse ratio"
    ),
}

_CLINICIAN = {
    Perm.CHART_VIEW,
    Perm.PATIENT_REGISTER,
    Perm.CHART_CLINICAL_VIEW,
    Perm.CHART_CLINICAL_EDIT,
    Perm.MEASURES_VIEW,
    Perm.MEASURES_ENTER,
    Perm.SELF_REPORT_SEND,
    Perm.SCREENING_VIEW,
    Perm.SCREENING_ENTER,
    Perm.CONSENT_COLLECT,
    Perm.INVENTORY_VIEW,
    Perm.INVENTORY_RECORD,
    Perm.SESSION_VIEW,
    Perm.SESSION_RECORD,
    Perm.READINESS_CHECK,
    Perm.PLAN_VIEW,
    Perm.SCHEDULE_VIEW,
    Perm.SCHEDULE_BOOK,
}
MATRIX: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(
        {
            Perm.CHART_VIEW,
            Perm.PATIENT_REGISTER,
            Perm.STAFF_MANAGE,
            Perm.AUDIT_VIEW,
            Perm.SCHEDULE_MANAGE,
            Perm.RULES_MANAGE,
            Perm.INVENTORY_VIEW,
            Perm.INVENTORY_RECORD,
            Perm.INVENTORY_ADJUST,
            Perm.INVENTORY_SETTINGS,
            Perm.SCHEDULE_VIEW,
            Perm.PROTOCOL_MANAGE,
        }
    ),
    # Only a prescriber acknowledges a safety alert (issue #3).
    Role.PRESCRIBER: frozenset(
        {
            *_CLINICIAN,
            Perm.ALERT_ACKNOWLEDGE,
            Perm.SCHEDULE_MANAGE,
            Perm.SCREENING_REVIEW,
            Perm.RULES_MANAGE,
            Perm.INVENTORY_ADJUST,
            Perm.INVENTORY_SETTINGS,
            Perm.SESSION_OVERRIDE,
            Perm.PLAN_MANAGE,
            Perm.PROTOCOL_MANAGE,
        }
    ),
    Role.NURSE: frozenset(_CLINICIAN),
    # Front desk sends questionnaires and sees what is due, not the answers; it sees
    # demographics, contact, escort, the schedule and whether a patient is cleared to book, not
    # why (minimum necessary, issue #14 §5): no indications, medications, allergies or weight.
    Role.FRONT_DESK: frozenset(
        {
            Perm.CHART_VIEW,
            Perm.PATIENT_REGISTER,
            Perm.SELF_REPORT_SEND,
            Perm.CONSENT_COLLECT,
            Perm.SCHEDULE_VIEW,
            Perm.SCHEDULE_BOOK,
        }
    ),
    # An inspector's view: the audit trail and the controlled-substance records.
    Role.AUDITOR: frozenset({Perm.AUDIT_VIEW, Perm.INVENTORY_VIEW}),
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
