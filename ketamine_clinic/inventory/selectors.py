"""Reads of the ledger: on-hand stock, histories, logs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from ketamine_clinic.accounts.access import active_memberships, clinics_where
from ketamine_clinic.accounts.models import Clinic, StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.clinical import ledger

from .models import (
    Container,
    Discrepancy,
    InventoryCount,
    LedgerEntry,
    Lot,
    Product,
    Supplier,
    settings_for,
)


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
    return Container.objects.for_actor(actor, Perm.INVENTORY_VIEW).select_related(
        "lot__product", "lot__supplier", "clinic"
    )


def entries_for(
    actor: StaffMember,
    *,
    since: date | None = None,
    until: date | None = None,
    kind: str = "",
) -> QuerySet[LedgerEntry]:
    entries = LedgerEntry.objects.for_actor(actor, Perm.INVENTORY_VIEW).select_related(
        "container__lot__product",
        "actor",
        "witness",
        "witness2",
        "patient__clinic",
        "clinic",
        "related",
    )
    if since:
        entries = entries.filter(occurred_at__date__gte=since)
    if until:
        entries = entries.filter(occurred_at__date__lte=until)
    if kind:
        entries = entries.filter(kind=kind)
    return entries.order_by("clinic_id", "seq")


def open_discrepancies(actor: StaffMember) -> QuerySet[Discrepancy]:
    return (
        Discrepancy.objects.for_actor(actor, Perm.INVENTORY_VIEW)
        .filter(resolved_at=None)
        .select_related("container", "line__count")
    )


def inventory_clinics(actor: StaffMember) -> QuerySet[Clinic]:
    return clinics_where(actor, Perm.INVENTORY_VIEW)


def _organizations(actor: StaffMember, perm: Perm | None) -> QuerySet[Clinic, Any]:
    """The organisations (as clinic rows' organisation ids) where `actor` holds `perm` at a
    clinic, or, with no `perm`, any role."""
    if perm is None:
        return Clinic.objects.filter(pk__in=active_memberships(actor).values("clinic")).values(
            "organization"
        )
    return clinics_where(actor, perm).values("organization")


def products_for(actor: StaffMember, perm: Perm | None = Perm.INVENTORY_VIEW) -> QuerySet[Product]:
    """The products of the organisations where `actor` holds `perm` (None: any role), each
    with `in_use`: stock of it has been received, so its record-defining fields are fixed."""
    return Product.objects.filter(organization__in=_organizations(actor, perm)).annotate(
        in_use=Exists(Lot.objects.filter(product=OuterRef("pk")))
    )


def suppliers_for(
    actor: StaffMember, perm: Perm | None = Perm.INVENTORY_VIEW
) -> QuerySet[Supplier]:
    """The suppliers of the organisations where `actor` holds `perm` (None: any role), each
    with `in_use`: stock has been received from it."""
    return Supplier.objects.filter(organization__in=_organizations(actor, perm)).annotate(
        in_use=Exists(Lot.objects.filter(supplier=OuterRef("pk")))
    )


def staff_at(clinic: Clinic, username: str) -> StaffMember | None:
    """The staff member of `clinic` with this username (a witness is looked up only among the
    clinic's own people, so that the answer says nothing about anyone else)."""
    return (
        StaffMember.objects.filter(username=username.strip(), memberships__clinic=clinic)
        .distinct()
        .first()
    )


@dataclass(frozen=True)
class CountSchedule:
    """When a clinic last counted, and when its next count and inventory are due."""

    last_count: InventoryCount | None
    next_count_due: datetime | None  # None: nothing has been held yet
    inventory_due: date | None  # the biennial (or initial) inventory


def count_schedule(clinic: Clinic) -> CountSchedule:
    """Counts are due every `InventorySettings.count_every_hours` after the last one, or after
    the first entry if there has been none. An initial inventory is due on the first day drug
    is held, then a new one within 2 years of the previous (21 CFR 1304.11,
    docs/clinical/reference.md §5)."""
    counts = InventoryCount.objects.filter(clinic=clinic).order_by("-counted_at")
    last = counts.first()
    first_entry = LedgerEntry.objects.filter(clinic=clinic).order_by("seq").first()
    start = last.counted_at if last else (first_entry.occurred_at if first_entry else None)
    inventory = counts.filter(kind=InventoryCount.Kind.BIENNIAL).first()
    if inventory is not None:
        inventory_due: date | None = ledger.biennial_inventory_due(
            timezone.localdate(inventory.counted_at)
        )
    else:
        inventory_due = timezone.localdate(first_entry.occurred_at) if first_entry else None
    return CountSchedule(
        last_count=last,
        next_count_due=(
            start + timedelta(hours=settings_for(clinic).count_every_hours) if start else None
        ),
        inventory_due=inventory_due,
    )
