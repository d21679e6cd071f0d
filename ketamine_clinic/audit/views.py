"""The audit trail for auditors and admins: search, and export as CSV."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketamine_clinic.accounts.access import require
from ketamine_clinic.accounts.http import StaffRequest
from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.common.csv_export import csv_stream

from .actions import ACTION_CHOICES, Action
from .models import AuditEvent
from .selectors import AuditFilter, audit_events, patient_reference, record_trail_read

CSV_COLUMNS = [
    "id",
    "occurred_at",
    "actor_username",
    "role",
    "clinic",
    "patient_id",
    "patient_mrn",
    "action",
    "object_type",
    "object_id",
    "ip",
    "channel",
    "correlation_id",
    "changes",
    "detail",
]


class AuditFilterForm(forms.Form):
    patient = forms.CharField(required=False, max_length=20, label="Patient (MRN or id)")
    user = forms.CharField(required=False, max_length=150, label="Username")
    action = forms.ChoiceField(required=False, choices=[("", "any action"), *ACTION_CHOICES])
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def to_filter(self, actor: StaffMember) -> AuditFilter:
        data = self.cleaned_data
        return AuditFilter(
            patient_id=patient_reference(actor, data.get("patient") or ""),
            username=(data.get("user") or "").strip(),
            action=data.get("action") or "",
            since=data.get("since"),
            until=data.get("until"),
        )


def _filters(request: StaffRequest) -> tuple[AuditFilterForm, AuditFilter]:
    form = AuditFilterForm(request.GET or None)
    return form, (form.to_filter(request.user) if form.is_valid() else AuditFilter())


@login_required
def audit_trail(request: StaffRequest) -> HttpResponse:
    user: StaffMember = request.user
    require(user, Perm.AUDIT_VIEW)
    form, filters = _filters(request)
    events = audit_events(user, filters) if form.is_valid() or not request.GET else None
    page = None
    if events is not None:
        page = Paginator(events, 50).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)
        record_trail_read(
            user,
            [e.patient_id for e in page.object_list if e.patient_id],
            action=Action.AUDIT_SEARCH,
            detail=filters.as_dict(),
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/audit_trail.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def _csv_rows(events: Iterator[AuditEvent]) -> Iterator[list[str]]:
    yield CSV_COLUMNS
    for e in events:
        yield [
            str(e.pk),
            e.occurred_at.isoformat(),
            e.actor_username,
            e.role,
            e.clinic.name if e.clinic else "",
            str(e.patient_id or ""),
            e.patient.mrn if e.patient else "",
            e.action,
            e.object_type,
            e.object_id,
            e.ip or "",
            e.channel,
            e.correlation_id,
            json.dumps(e.changes, sort_keys=True) if e.changes else "",
            json.dumps(e.detail, sort_keys=True) if e.detail else "",
        ]


@login_required
def audit_export(request: StaffRequest) -> HttpResponse | StreamingHttpResponse:
    user: StaffMember = request.user
    require(user, Perm.AUDIT_VIEW)
    form, filters = _filters(request)
    if request.GET and not form.is_valid():
        return render(request, "audit/audit_trail.html", {"form": form, "page": None}, status=422)
    # What the export holds is fixed before its own event is written (it is not in itself).
    newest = AuditEvent.objects.aggregate(newest=Max("pk"))["newest"] or 0
    events = audit_events(user, filters).filter(pk__lte=newest)
    record_trail_read(
        user,
        events.exclude(patient=None).values("patient_id"),
        action=Action.AUDIT_EXPORT,
        detail={"filters": filters.as_dict(), "rows": events.count()},
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return csv_stream(f"audit-{stamp}.csv", _csv_rows(events.iterator()))
