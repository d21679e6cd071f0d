"""What every page of the shell needs: the demo flag and the signed-in person's roles."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ketamine_clinic.accounts.access import active_memberships, can
from ketamine_clinic.accounts.permissions import ROLE_LABELS, Perm, Role


def clinic_shell(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"demo_mode": settings.KETAMINE_CLINIC_DEMO}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        memberships = list(active_memberships(user))
        context["my_roles"] = [
            f"{ROLE_LABELS[Role(m.role)]} · {m.clinic.name}" for m in memberships
        ]
        context["nav"] = {
            "patients": can(user, Perm.CHART_VIEW),
            "staff": can(user, Perm.STAFF_MANAGE),
            "audit": can(user, Perm.AUDIT_VIEW),
            "worklist": can(user, Perm.CHART_VIEW),
            "measure_settings": can(user, Perm.SCHEDULE_MANAGE),
            "rules": can(user, Perm.RULES_MANAGE),
            "inventory": can(user, Perm.INVENTORY_VIEW),
            "today": can(user, Perm.SESSION_VIEW),
            "schedule": can(user, Perm.SCHEDULE_VIEW),
        }
    return context
