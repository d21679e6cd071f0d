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
