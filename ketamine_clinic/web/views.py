"""The shell: dashboard and health check."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from ketamine_clinic.accounts.access import active_memberships, can
from ketamine_clinic.accounts.http import StaffRequest
from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import ROLE_LABELS, Perm, Role
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.audit.reads import record_list_read
from ketamine_clinic.audit.selectors import AuditFilter, audit_events
from ketamine_clinic.measures.selectors import due_questionnaires, open_safety_alerts
from ketamine_clinic.patients.models import Patient


@login_required
def dashboard(request: StaffRequest) -> HttpResponse:
    user: StaffMember = request.user
    clinics = []
    for membership in active_memberships(user):
        clinic = membership.clinic
        row = {"clinic": clinic, "role": ROLE_LABELS[Role(membership.role)]}
        if can(user, Perm.CHART_VIEW, clinic):
            row["patients"] = Patient.objects.filter(clinic=clinic).count()
            row["new_this_month"] = Patient.objects.filter(
                clinic=clinic, created_at__gte=timezone.now() - timedelta(days=30)
            ).count()
        clinics.append(row)
    recent: list[Patient] = []
    if can(user, Perm.CHART_VIEW):
        seen = (
            AuditEvent.objects.filter(actor=user, action=Action.CHART_VIEW)
            .order_by("-occurred_at")
            .values_list("patient_id", flat=True)[:50]
        )
        ids = list(dict.fromkeys(seen))[:8]
        visible = {
            p.pk: p
            for p in Patient.objects.for_actor(user, Perm.CHART_VIEW)
            .filter(pk__in=ids)
            .select_related("clinic")
        }
        recent = [visible[i] for i in ids if i in visible]
        record_list_read(
            user, recent, action=Action.PATIENT_LIST, detail={"page": "dashboard: recent charts"}
        )
    open_alerts = open_safety_alerts(user).count() if can(user, Perm.MEASURES_VIEW) else None
    due = len(due_questionnaires(user)) if can(user, Perm.CHART_VIEW) else None
    failed_logins = None
    if can(user, Perm.AUDIT_VIEW):
        # The same events as the audit trail shows this reader, not every organisation's.
        failed_logins = (
            audit_events(user, AuditFilter(action=Action.LOGIN_FAILED))
            .filter(occurred_at__gte=timezone.now() - timedelta(days=1))
            .count()
        )
    return render(
        request,
        "web/dashboard.html",
        {
            "clinics": clinics,
            "recent": recent,
            "failed_logins": failed_logins,
            "open_alerts": open_alerts,
            "due": due,
        },
    )


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers a query, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})
