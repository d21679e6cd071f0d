"""Writing audit events. Every service that touches patient data calls `record`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import models

from . import chain, context
from .actions import Action
from .models import AuditEvent, AuditEventPatient

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import Clinic, Organization, StaffMember
    from ketamine_clinic.patients.models import Patient


def _role_at(actor: StaffMember | None, clinic: Clinic | None) -> str:
    if actor is None or not actor.pk:
        return ""
    memberships = actor.memberships.all()
    if clinic is not None:
        memberships = memberships.filter(clinic=clinic)
    return ",".join(sorted({m.role for m in memberships}))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[str | None]]:
    """Return {field: [old, new]} for the fields whose value changed, as text."""
    return {
        name: [_text(before.get(name)), _text(after[name])]
        for name in after
        if _text(before.get(name)) != _text(after[name])
    }


def _organization_id(
    clinic: Clinic | None, actor: StaffMember | None, organization: Organization | None
) -> int | None:
    if clinic is not None:
        return clinic.organization_id
    if actor is not None and actor.pk and actor.organization_id:
        return actor.organization_id
    return organization.pk if organization is not None else None


def record(
    *,
    actor: StaffMember | None,
    action: Action,
    clinic: Clinic | None = None,
    patient: Patient | None = None,
    obj: models.Model | None = None,
    changes: Mapping[str, list[str | None]] | None = None,
    detail: Mapping[str, Any] | None = None,
    actor_username: str = "",
    organization: Organization | None = None,
    patients: Iterable[int] = (),
) -> AuditEvent:
    """Append one audit event in the caller's transaction.

    The event belongs to the organisation of its clinic, else of its actor, else the one given
    (a failed sign-in naming a known account); with none it is for the operator only.
    `patients` names the patients an event about many shows (a list read): each gets a row
    that the trail's patient filter finds.
    """
    ctx = context.current()
    if patient is not None and clinic is None:
        clinic = patient.clinic
    named = sorted(set(patients))
    event = AuditEvent(
        actor=actor if actor is not None and actor.pk else None,
        actor_username=actor.username if actor is not None else actor_username,
        role=_role_at(actor, clinic),
        clinic=clinic,
        organization_id=_organization_id(clinic, actor, organization),
        patient=patient,
        action=action.value,
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip=ctx.ip,
        channel=ctx.channel,
        correlation_id=ctx.correlation_id,
        changes=dict(changes or {}),
        detail=dict(detail or {}),
    )
    event.mac = chain.row_mac(event, named)
    event.save()
    if named:
        AuditEventPatient.objects.bulk_create(
            AuditEventPatient(event=event, patient_id=patient_id) for patient_id in named
        )
    return event
