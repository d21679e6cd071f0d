"""Readable names for the audit trail page."""

from __future__ import annotations

from django import template
from django.apps import apps

from ketamine_clinic.accounts.permissions import ROLE_LABELS, Role

register = template.Library()


@register.filter
def role_labels(roles: str) -> str:
    """Turn "front_desk,nurse" into "Front desk, Nurse"."""
    names = []
    for role in filter(None, roles.split(",")):
        try:
            names.append(ROLE_LABELS[Role(role)])
        except ValueError:
            names.append(role)
    return ", ".join(names)


@register.filter
def object_label(model_name: str) -> str:
    """Turn "weightmeasurement" into "weight measurement"."""
    for model in apps.get_models():
        if model._meta.model_name == model_name:
            return str(model._meta.verbose_name)
    return model_name


# The trail's most frequent actions in a person's words; any other action reads from its code
# ("session.dose_verify" → "Session: dose verify"). The CSV keeps the codes.
ACTION_LABELS = {
    "auth.login": "Signed in",
    "auth.login_failed": "Sign-in refused",
    "auth.logout": "Signed out",
    "auth.mfa_enrolled": "Set up two-factor",
    "access.denied": "Refused (no permission)",
    "patient.search": "Searched patients",
    "patient.list": "Listed patients",
    "chart.view": "Viewed the chart",
    "patient.create": "Registered the patient",
    "patient.update": "Changed the patient's details",
    "weight.record": "Recorded a weight",
    "indication.add": "Added an indication",
    "medication.add": "Added a medication",
    "medication.stop": "Stopped a medication",
    "assessment.record": "Recorded a questionnaire",
    "self_report.link_create": "Sent a self-report link",
    "self_report.open": "Patient opened a self-report link",
    "self_report.save": "Patient answered a questionnaire",
    "safety_alert.open": "Safety alert opened",
    "safety_alert.acknowledge": "Acknowledged a safety alert",
    "screening.record": "Recorded a screening",
    "screening.review": "Reviewed a screening",
    "consent.sign": "Consent signed",
    "ledger.view": "Viewed the ledger",
    "session.check_in": "Checked the patient in",
    "session.dose": "Prepared a dose",
    "session.dose_verify": "Double-checked a dose",
    "session.vitals": "Recorded vital signs",
    "session.discharge": "Discharged the patient",
    "session.sign": "Signed the session note",
    "session.view": "Viewed a session",
}


@register.filter
def action_label(action: str) -> str:
    """Turn "chart.view" into "Viewed the chart" (or "area.verb_noun" into "Area: verb noun")."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    area, _, what = action.partition(".")
    return f"{area.replace('_', ' ').capitalize()}: {what.replace('_', ' ')}" if what else action
