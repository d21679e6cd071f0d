"""Reads of the ledger: on-hand stock, histories, logs."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from ketamine_clinic.accounts.access import clinics_where
from ketamine_clinic.accounts.models import Clinic, StaffMember
from ketamine_clinic.accounts.permissions import Perm

from .models import Container, Discrepancy, LedgerEntry


def on_hand(clinic: Clinic | None = None) -> list[dict[str, Any]]:
    """Every container with its lot, expiry and balance (for the CLI and reports)."""
    containers = Container.objects.select_related("lot__product", "clinic").order_by(
        "clinic__name", "lot__product__name", "lot__expires_on", "label"
    )
    if clinic is not None:
        containers = containers.filter(clinic=clinic)
    return [
        {
            "clinic": c.clinic.name,
            "container": c.label,
            "container_id": c.pk,
            "product": f"{c.lot.product.name} {c.lot.product.form}",
            "ndc": c.lot.product.ndc,
            "lot": c.lot.lot_number,
            "expires_on": c.lot.expires_on.isoformat(),
            "balance_mg": str(c.balance_mg),
        }
        for c in containers
    ]


def containers_for(actor: StaffMember) -> QuerySet[Container]:
    return Container.objects.filter(
        clinic__in=clinics_where(actor, Perm.INVENTORY_VIEW)
    ).select_related("lot__product", "lot__supplier", "clinic")


def entries_for(
    actor: StaffMember,
    *,
    since: date | None = None,
    until: date | None = None,
    kind: str = "",
) -> QuerySet[LedgerEntry]:
    entries = LedgerEntry.objects.filter(
        clinic__in=clinics_where(actor, Perm.INVENTORY_VIEW)
    ).select_related("container__lot__product", "actor", "witness", "patient", "clinic", "related")
    if since:
        entries = entries.filter(occurred_at__date__gte=since)
    if until:
        entries = entries.filter(occurred_at__date__lte=until)
    if kind:
        entries = entries.filter(kind=kind)
    return entries.order_by("clinic_id", "seq")


def open_discrepancies(actor: StaffMember) -> QuerySet[Discrepancy]:
    return Discrepancy.objects.filter(
        clinic__in=clinics_where(actor, Perm.INVENTORY_VIEW), resolved_at=None
    ).select_related("container", "line__count")


def inventory_clinics(actor: StaffMember) -> QuerySet[Clinic]:
    return clinics_where(actor, Perm.INVENTORY_VIEW)


def count_due(clinic: Clinic) -> tuple[object | None, object]:
    """The last count of a clinic and when the next one is due (its policy, every N hours)."""
    from datetime import timedelta

    from django.utils import timezone

    from .models import InventoryCount

    last = InventoryCount.objects.filter(clinic=clinic).order_by("-counted_at").first()
    start = last.counted_at if last else timezone.now()
    return last, start + timedelta(hours=clinic.count_every_hours)
