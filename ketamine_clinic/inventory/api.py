"""The controlled-substance ledger in the JSON API (mounted under /api/v1/inventory/).

Every ledger write carries `signature`: the acting user's password or authenticator code,
checked at the moment of signing (and the witness's, for waste). Overdrawing a container answers
409 with the available balance. Products and suppliers (the organisation's, set up by admins and
prescribers) are read by anyone who sees the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.params import functions as param
from pydantic import Field

from ketamine_clinic.accounts.access import active_memberships, clinics_where, require
from ketamine_clinic.accounts.models import Organization, StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.reads import find_one, record_read
from ketamine_clinic.audit.services import record
from ketamine_clinic.clinical.ledger import Overdraw
from ketamine_clinic.common.api import ErrorOut, Strict
from ketamine_clinic.patients.selectors import patient_for

from . import catalog, selectors, services
from .models import Container, LedgerEntry, Product, Supplier

router = Router(tags=["inventory"])


class ReceiptIn(Strict):
    clinic_id: int
    product_id: int
    supplier_id: int
    lot_number: str
    expires_on: date
    invoice: str
    containers: int
    label_prefix: str = "V-"
    signature: str


class DispenseIn(Strict):
    container_id: int
    quantity_mg: Decimal
    administered_mg: Decimal | None = None
    patient_id: int
    session_ref: str = ""
    signature: str


class WasteIn(Strict):
    dispense_id: int
    quantity_mg: Decimal
    witness_username: str
    witness_signature: str
    reason: str = ""
    signature: str


class CountIn(Strict):
    clinic_id: int
    kind: str = "scheduled"
    business_hours: str = "close"
    counted: dict[int, Decimal] = Field(
        description="Counted mg by container id",
        json_schema_extra={"propertyNames": {"pattern": "^[0-9]{1,20}$"}},
    )
    notes: str = ""
    signature: str


class ContainerOut(Schema):
    id: int
    clinic_id: int
    label: str
    product: str
    ndc: str
    lot: str
    expires_on: date
    balance_mg: Decimal


class EntryOut(Schema):
    id: int
    clinic_id: int
    seq: int
    kind: str
    container: str
    quantity_mg: Decimal
    administered_mg: Decimal | None
    balance_after_mg: Decimal
    occurred_at: datetime
    actor: str
    witness: str | None
    witness2: str | None
    details: dict[str, str]
    patient_id: int | None
    session_ref: str
    related_id: int | None
    reason: str
    hash: str


class CountOut(Schema):
    id: int
    discrepancies: int


class OverdrawOut(ErrorOut):
    available_mg: Decimal


def _container_out(c: Container) -> dict[str, Any]:
    return {
        "id": c.pk,
        "clinic_id": c.clinic_id,
        "label": c.label,
        "product": f"{c.lot.product.name} {c.lot.product.form}",
        "ndc": c.lot.product.ndc,
        "lot": c.lot.lot_number,
        "expires_on": c.lot.expires_on,
        "balance_mg": c.balance_mg,
    }


def _entry_out(e: LedgerEntry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "clinic_id": e.clinic_id,
        "seq": e.seq,
        "kind": e.kind,
        "container": e.container.label,
        "quantity_mg": e.quantity_mg,
        "administered_mg": e.administered_mg,
        "balance_after_mg": e.balance_after_mg,
        "occurred_at": e.occurred_at,
        "actor": e.actor.username,
        "witness": e.witness.username if e.witness else None,
        "witness2": e.witness2.username if e.witness2 else None,
        "details": e.details,
        "patient_id": e.patient_id,
        "session_ref": e.session_ref,
        "related_id": e.related_id,
        "reason": e.reason,
        "hash": e.hash,
    }


def _container(staff: StaffMember, container_id: int) -> Container:
    return find_one(
        staff,
        Perm.INVENTORY_VIEW,
        Container.objects.select_related("lot__product", "clinic"),
        pk=container_id,
    )


@router.get("/inventory/containers", response={200: list[ContainerOut], 403: ErrorOut})
def container_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Every container of your clinics with its lot, expiry and balance."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    require(staff, Perm.INVENTORY_VIEW)
    containers = [_container_out(c) for c in selectors.containers_for(staff).order_by("label")]
    record(
        actor=staff,
        action=Action.LEDGER_VIEW,
        detail={"api": "containers", "rows": len(containers)},
    )
    return containers


@router.get("/inventory/entries", response={200: list[EntryOut], 403: ErrorOut})
def entry_list(
    request: HttpRequest,
    since: date | None = None,
    until: date | None = None,
    kind: str = "",
) -> list[dict[str, Any]]:
    """The ledger in chain order, optionally by date and kind."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    require(staff, Perm.INVENTORY_VIEW)
    rows = list(selectors.entries_for(staff, since=since, until=until, kind=kind))
    entries = [_entry_out(e) for e in rows]
    record_read(
        staff,
        rows,
        action=Action.LEDGER_VIEW,
        detail={
            "api": "entries",
            "rows": len(entries),
            "since": str(since or ""),
            "until": str(until or ""),
            "kind": kind,
        },
    )
    return entries


@router.post(
    "/inventory/receipts",
    response={201: list[ContainerOut], 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def receipt_create(request: HttpRequest, payload: ReceiptIn) -> Status[list[dict[str, Any]]]:
    """Receive full containers of one lot."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    clinic = get_object_or_404(clinics_where(staff, Perm.INVENTORY_VIEW), pk=payload.clinic_id)
    organization = clinic.organization_id
    receipt = services.receipt_record(
        actor=staff,
        signature=payload.signature,
        clinic=clinic,
        product=get_object_or_404(Product, pk=payload.product_id, organization_id=organization),
        supplier=get_object_or_404(Supplier, pk=payload.supplier_id, organization_id=organization),
        lot_number=payload.lot_number,
        expires_on=payload.expires_on,
        invoice=payload.invoice,
        containers=payload.containers,
        label_prefix=payload.label_prefix,
    )
    return Status(201, [_container_out(c) for c in receipt.containers])


@router.post(
    "/inventory/dispenses",
    response={201: EntryOut, 403: ErrorOut, 404: ErrorOut, 409: OverdrawOut, 422: ErrorOut},
)
def dispense_create(request: HttpRequest, payload: DispenseIn) -> Status[dict[str, Any]]:
    """Draw a dose for a patient; 409 with the available balance if the container lacks it."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    container = _container(staff, payload.container_id)
    patient = patient_for(staff, payload.patient_id)
    try:
        entry = services.dispense_record(
            actor=staff,
            signature=payload.signature,
            container=container,
            quantity_mg=payload.quantity_mg,
            patient=patient,
            session_ref=payload.session_ref,
            administered_mg=payload.administered_mg,
        )
    except Overdraw as error:
        return Status(
            409,
            {
                "detail": error.message,
                "errors": [{"field": "quantity_mg", "message": error.message}],
                "available_mg": error.available,
            },
        )
    return Status(201, _entry_out(entry))


@router.post(
    "/inventory/wastes",
    response={201: EntryOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def waste_create(request: HttpRequest, payload: WasteIn) -> Status[dict[str, Any]]:
    """Record waste of a drawn dose, witnessed by a second clinician who signs too."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    dispense = get_object_or_404(
        LedgerEntry.objects.for_actor(staff, Perm.INVENTORY_VIEW),
        pk=payload.dispense_id,
    )
    witness = selectors.staff_at(dispense.clinic, payload.witness_username)
    if witness is None:
        raise ValidationError({"witness_username": "No such staff member at this clinic."})
    entry = services.waste_record(
        actor=staff,
        signature=payload.signature,
        dispense=dispense,
        quantity_mg=payload.quantity_mg,
        witness=witness,
        witness_signature=payload.witness_signature,
        reason=payload.reason,
    )
    return Status(201, _entry_out(entry))


@router.post(
    "/inventory/counts", response={201: CountOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def count_create(request: HttpRequest, payload: CountIn) -> Status[dict[str, Any]]:
    """Record a count; each difference from the ledger opens a discrepancy."""
    staff: StaffMember = request.auth  # type: ignore[attr-defined]
    clinic = get_object_or_404(clinics_where(staff, Perm.INVENTORY_VIEW), pk=payload.clinic_id)
    count = services.count_record(
        actor=staff,
        signature=payload.signature,
        clinic=clinic,
        kind=payload.kind,
        business_hours=payload.business_hours,
        counted=payload.counted,
        notes=payload.notes,
    )
    return Status(
        201,
        {"id": count.pk, "discrepancies": count.lines.filter(discrepancy__isnull=False).count()},
    )


# --- products and suppliers -----------------------------------------------------------------


class ProductIn(Strict):
    clinic_id: int | None = None
    name: str
    ndc: str
    form: str
    mg_per_container: Decimal
    ml_per_container: Decimal | None = None
    quantity_decimals: int = 1
    unit_mg: Decimal | None = None


class ProductPatch(Strict):
    name: str | None = None
    ndc: str | None = None
    form: str | None = None
    mg_per_container: Decimal | None = None
    ml_per_container: Decimal | None = None
    quantity_decimals: int | None = None
    unit_mg: Decimal | None = None
    active: bool | None = None


class ProductOut(Schema):
    id: int
    name: str
    ndc: str
    form: str
    mg_per_container: Decimal
    ml_per_container: Decimal | None
    quantity_decimals: int
    unit_mg: Decimal | None
    dea_schedule: str
    active: bool
    in_use: bool


class SupplierIn(Strict):
    clinic_id: int | None = None
    name: str
    address: str
    dea_number: str


class SupplierPatch(Strict):
    name: str | None = None
    address: str | None = None
    dea_number: str | None = None
    active: bool | None = None


class SupplierOut(Schema):
    id: int
    name: str
    address: str
    dea_number: str
    active: bool
    in_use: bool


def _organization(staff: StaffMember, clinic_id: int | None) -> Organization:
    """The organisation a new product or supplier belongs to: that of `clinic_id` (one of the
    caller's clinics), or the only one the caller manages inventory settings for."""
    require(staff, Perm.INVENTORY_SETTINGS)
    if clinic_id is not None:
        membership = get_object_or_404(active_memberships(staff), clinic_id=clinic_id)
        return membership.clinic.organization
    organizations = {c.organization for c in clinics_where(staff, Perm.INVENTORY_SETTINGS)}
    if len(organizations) > 1:
        raise ValidationError({"clinic_id": "You work for more than one organisation: say which."})
    return organizations.pop()


def _catalog_endpoints(
    kind: catalog.CatalogKind,
    rows: Callable[[StaffMember, Perm | None], QuerySet[Any]],
    *,
    plural: str,
    noun: str,
    schemas: tuple[type[Strict], type[Strict], type[Schema]],
    docs: tuple[str, str, str],
) -> None:
    """Route the list, create and patch operations of one kind of catalogue record under
    /inventory/<plural> (operation ids `<noun>_list`, `<noun>_create`, `<noun>_patch`)."""
    create_in, patch_in, out = schemas
    errors = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

    def listing(request: HttpRequest) -> list[Any]:
        staff: StaffMember = request.auth  # type: ignore[attr-defined]
        require(staff, Perm.INVENTORY_VIEW)
        return list(rows(staff, Perm.INVENTORY_VIEW).order_by("name", "pk"))

    def create(request: HttpRequest, payload: Strict) -> Status[Any]:
        staff: StaffMember = request.auth  # type: ignore[attr-defined]
        organization = _organization(staff, payload.clinic_id)  # type: ignore[attr-defined]
        row = catalog.catalog_create(
            kind,
            actor=staff,
            organization=organization,
            given=payload.dict(exclude={"clinic_id"}),
        )
        return Status(201, rows(staff, None).get(pk=row.pk))

    def patch(
        request: HttpRequest, payload: Strict, row_id: int = param.Path(..., alias=f"{noun}_id")
    ) -> Any:
        staff: StaffMember = request.auth  # type: ignore[attr-defined]
        row = get_object_or_404(rows(staff, None), pk=row_id)
        catalog.catalog_update(kind, actor=staff, row=row, changes=payload.dict(exclude_unset=True))
        return rows(staff, None).get(pk=row.pk)

    for view, action, doc, payload in zip(
        (listing, create, patch),
        ("list", "create", "patch"),
        docs,
        (None, create_in, patch_in),
        strict=True,
    ):
        view.__name__ = view.__qualname__ = f"{noun}_{action}"
        view.__doc__ = doc
        if payload is not None:
            view.__annotations__["payload"] = payload
    router.get(f"/inventory/{plural}", response={200: list[out], 403: ErrorOut})(listing)  # type: ignore[valid-type]
    router.post(f"/inventory/{plural}", response={201: out, **errors})(create)
    router.patch(f"/inventory/{plural}/{{{noun}_id}}", response={200: out, **errors})(patch)


_catalog_endpoints(
    catalog.PRODUCTS,
    selectors.products_for,
    plural="products",
    noun="product",
    schemas=(ProductIn, ProductPatch, ProductOut),
    docs=(
        """The products of your organisation, retired ones too; `in_use`: stock of it has been
    received, so only its name and `active` can change.""",
        """Add a product (admins and prescribers). `clinic_id` names the organisation (one of its
    clinics) if you work for more than one.""",
        """Change the fields sent. Once stock of the product has been received, its NDC, form,
    amounts and precision are fixed (422 naming the field); its name and `active` are not.""",
    ),
)
_catalog_endpoints(
    catalog.SUPPLIERS,
    selectors.suppliers_for,
    plural="suppliers",
    noun="supplier",
    schemas=(SupplierIn, SupplierPatch, SupplierOut),
    docs=(
        """The suppliers of your organisation, retired ones too; `in_use`: stock has been received
    from it, so only `active` can change.""",
        """Add a supplier (admins and prescribers).""",
        """Change the fields sent. Once stock has been received from the supplier, its name,
    address and DEA number are fixed (422 naming the field); `active` is not.""",
    ),
)
