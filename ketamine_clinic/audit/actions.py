"""The registry of audit actions: every AuditEvent.action is one of these names."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOGOUT = "auth.logout"
    MFA_ENROLLED = "auth.mfa_enrolled"
    MFA_RESET = "auth.mfa_reset"
    PERMISSION_DENIED = "access.denied"
    PATIENT_SEARCH = "patient.search"
    CHART_VIEW = "chart.view"
    PATIENT_CREATE = "patient.create"
    PATIENT_UPDATE = "patient.update"
    WEIGHT_RECORD = "weight.record"
    INDICATION_ADD = "indication.add"
    INDICATION_REMOVE = "indication.remove"
    MEDICATION_ADD = "medication.add"
    MEDICATION_STOP = "medication.stop"
    CARE_TEAM_ADD = "care_team.add"
    CARE_TEAM_REMOVE = "care_team.remove"
    STAFF_INVITE = "staff.invite"
    STAFF_INVITE_ACCEPT = "staff.invite_accept"
    STAFF_ROLE_CHANGE = "staff.role_change"
    STAFF_DEACTIVATE = "staff.deactivate"
    API_TOKEN_CREATE = "api_token.create"
    API_TOKEN_REVOKE = "api_token.revoke"
    ASSESSMENT_RECORD = "assessment.record"
    SELF_REPORT_LINK_CREATE = "self_report.link_create"
    SELF_REPORT_LINK_REVOKE = "self_report.link_revoke"
    SELF_REPORT_OPEN = "self_report.open"
    SELF_REPORT_SAVE = "self_report.save"
    SELF_REPORT_INVALID = "self_report.invalid_link"
    SAFETY_ALERT_OPEN = "safety_alert.open"
    SAFETY_ALERT_ACKNOWLEDGE = "safety_alert.acknowledge"
    SCHEDULE_CHANGE = "measures.schedule_change"
    CLINIC_SETTINGS_CHANGE = "clinic.settings_change"
    SCREENING_RECORD = "screening.record"
    SCREENING_REVIEW = "screening.review"
    RULESET_CHANGE = "screening.ruleset_change"
    CONSENT_TEMPLATE_CHANGE = "consent.template_change"
    CONSENT_SIGN = "consent.sign"
    CONSENT_WITNESS = "consent.witness"
    CONSENT_WITHDRAW = "consent.withdraw"
    CONSENT_PDF = "consent.pdf"
    AUDIT_SEARCH = "audit.search"
    AUDIT_EXPORT = "audit.export"


ACTION_CHOICES = [(a.value, a.value) for a in Action]
