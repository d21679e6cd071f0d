"""The inventory settings a clinic needs before it can receive stock: the organisation's
products and suppliers, and each clinic's count interval.

Each write is one transaction with one audit row, and checks the permission first. Products and
suppliers belong to an organisation (every clinic of it receives them) and are never seen or
changed from another.

Nothing here may rewrite the record of stock already received (21 CFR 1304.22(c),
docs/clinical/reference.md §5: the finished form and units per container received, and the
supplier's name, address and DEA number). The Schedule III record reads those facts from the product
and supplier, so once a lot references them they are fixed: a product keeps its NDC, form, strength
and precision (its name and whether it can still be received may change); a supplier keeps its name,
address and DEA number (whether it can still be used may change). A change of those is a new product
or supplier, and the old one is retired.

The NDC and DEA-number checks are input checks only (characters and the length the record
holds): the core (`clinical/ledger.py`) defines no NDC configuration or DEA check digit, and
none is invented here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ketamine_clinic.accounts.access import AccessDenied, active_memberships, clinics_where, require
from ketamine_clinic.accounts.models import Clinic, Organization, StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.services import diff, record
from ketamine_clinic.clinical import ledger

from .models import InventorySettings, Lot, Product, Supplier
from .services import record_text

# Input check: an NDC as printed on a package is digits in hyphen-separated segments
# (0409-2051-05, 50458-028-02).
NDC_PATTERN = re.compile(r"[0-9]+(-[0-9]+)*")
# Input check: a DEA registration number is letters and digits (RM1234563).
DEA_NUMBER_PATTERN = re.compile(r"[A-Z0-9]+")

# Input check, not a rule: how often the stock is counted is clinic policy. Federally only the
# biennial inventory is required (21 CFR 1304.11) and no perpetual inventory (1304.21(a);
# docs/clinical/reference.md §5). At least hourly would make every moment overdue; at most 31 days
# keeps a count at least monthly.
COUNT_EVERY_HOURS_MIN = 1
COUNT_EVERY_HOURS_MAX = 31 * 24

# What a product's record of received stock depends on (see the module docstring).
PRODUCT_FIXED_ONCE_RECEIVED = (
    "ndc",
    "form",
    "mg_per_container",
    "ml_per_container",
    "quantity_decimals",
    "unit_mg",
)
PRODUCT_FIELDS = ("name", *PRODUCT_FIXED_ONCE_RECEIVED, "active")
SUPPLIER_FIXED_ONCE_RECEIVED = ("name", "address", "dea_number")
SUPPLIER_FIELDS = (*SUPPLIER_FIXED_ONCE_RECEIVED, "active")

_FIELD_NAMES = {
    "ndc": "NDC",
    "form": "form",
    "mg_per_container": "mg per container",
    "ml_per_container": "mL per container",
    "quantity_decimals": "precision",
    "unit_mg": "unit",
    "name": "name",
    "address": "address",
    "dea_number": "DEA number",
}


def _require_settings(actor: StaffMember, organization: Organization) -> None:
    """Refuse, with an audit row, unless `actor` holds the inventory-settings permission at a
    clinic of `organization`."""
    if clinics_where(actor, Perm.INVENTORY_SETTINGS).filter(organization=organization).exists():
        return
    own = active_memberships(actor).filter(clinic__organization=organization).first()
    record(
        actor=actor if actor.is_authenticated else None,
        action=Action.PERMISSION_DENIED,
        clinic=own.clinic if own else None,
        detail={"permission": Perm.INVENTORY_SETTINGS.value, "organization": organization.pk},
    )
    raise AccessDenied(f"Your role does not allow this ({Perm.INVENTORY_SETTINGS.value}).")


def _decimal(
    value: Decimal | str | int | None,
    field: str,
    *,
    places: int,
    below: int,
    required: bool = True,
) -> Decimal | None:
    """A positive amount with at most `places` decimals and below `below` (what the column
    holds); None when empty and not `required`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError({field: "This is required."})
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise ValidationError({field: "Give a number."}) from error
    if not amount.is_finite():
        raise ValidationError({field: "Give a number."})
    if amount <= 0:
        raise ValidationError({field: "Must be above zero."})
    if amount >= below:
        raise ValidationError({field: f"Must be below {below}."})
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        unit = "a whole number" if places == 0 else f"at most {places} decimal place(s)"
        raise ValidationError({field: f"Give {unit}."})
    return amount


def _ndc(value: str) -> str:
    ndc = record_text(value, "ndc", 20, required="Give the NDC printed on the package.")
    if not NDC_PATTERN.fullmatch(ndc):
        raise ValidationError(
            {"ndc": "Digits in hyphen-separated segments, as printed (e.g. 0409-2051-05)."}
        )
    return ndc


def _dea_number(value: str) -> str:
    number = record_text(value, "dea_number", 9, required="Give the supplier's DEA number.").upper()
    if not DEA_NUMBER_PATTERN.fullmatch(number):
        raise ValidationError({"dea_number": "Letters and digits only (e.g. RM1234563)."})
    return number


def _product_value(field: str, value: Any) -> Any:
    """One product field, checked and cleaned."""
    if field == "name":
        return record_text(value, "name", 120, required="Give the product's name.")
    if field == "ndc":
        return _ndc(value)
    if field == "form":
        return record_text(
            value, "form", 60, required="Give the finished form, e.g. 100 mg/mL, 10 mL vial."
        )
    if field == "mg_per_container":
        return _decimal(value, field, places=1, below=10**7)
    if field == "ml_per_container":
        return _decimal(value, field, places=2, below=10**4, required=False)
    if field == "unit_mg":
        return _decimal(value, field, places=1, below=10**7, required=False)
    if field == "quantity_decimals":
        if isinstance(value, bool) or value not in range(ledger.STORED_DECIMALS + 1):
            raise ValidationError(
                {field: f"Between 0 (whole mg) and {ledger.STORED_DECIMALS} (0.001 mg)."}
            )
        return int(value)
    if field == "active":
        if not isinstance(value, bool):
            raise ValidationError({field: "True or false."})
        return value
    raise ValidationError({field: "Not a field of a product."})


def _check_product_amounts(values: Mapping[str, Any]) -> None:
    """The amounts agree: a full container is a quantity the product can be measured in, and
    a product used whole holds whole units."""
    mg: Decimal = values["mg_per_container"]
    decimals: int = values["quantity_decimals"]
    unit: Decimal | None = values["unit_mg"]
    exponent = mg.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > decimals:
        raise ValidationError(
            {"mg_per_container": "A full container must be a quantity in the product's steps."}
        )
    if unit is not None:
        exponent = unit.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > decimals:
            raise ValidationError(
                {"unit_mg": "The unit must be a quantity in the product's steps."}
            )
        if mg % unit:
            raise ValidationError(
                {"mg_per_container": f"A product used whole holds whole units of {unit} mg."}
            )


def _ndc_taken(organization: Organization, ndc: str, product: Product | None = None) -> None:
    others = Product.objects.filter(organization=organization, ndc=ndc)
    if product is not None:
        others = others.exclude(pk=product.pk)
    other = others.first()
    if other is not None:
        raise ValidationError(
            {"ndc": f"{other.name} ({other.form}) already has this NDC: one product per NDC."}
        )


def _check_product(
    organization: Organization,
    values: Mapping[str, Any],
    changed: Collection[str],
    product: Product | None,
) -> None:
    """The checks a product needs beyond its fields: amounts that agree, one product per NDC."""
    if {"mg_per_container", "quantity_decimals", "unit_mg"} & set(changed):
        _check_product_amounts(values)
    if "ndc" in changed:
        _ndc_taken(organization, values["ndc"], product)


def _supplier_value(field: str, value: Any) -> Any:
    """One supplier field, checked and cleaned."""
    if field == "name":
        return record_text(value, "name", 200, required="Give the supplier's name.")
    if field == "address":
        return record_text(value, "address", 300, required="Give the supplier's address.")
    if field == "dea_number":
        return _dea_number(value)
    if field == "active":
        if not isinstance(value, bool):
            raise ValidationError({field: "True or false."})
        return value
    raise ValidationError({field: "Not a field of a supplier."})


@dataclass(frozen=True)
class CatalogKind:
    """What the catalogue knows of one kind of record (products, suppliers): its model, its
    fields, those the record of received stock fixes, how a field is cleaned, its audit action
    and what to say."""

    model: type[Product] | type[Supplier]
    lot_field: str  # the Lot's foreign key to it
    fields: tuple[str, ...]
    fixed_once_received: tuple[str, ...]
    clean: Callable[[str, Any], Any]
    action: Action
    received: str  # "of this product": stock has been received ...
    instead: str  # what to do instead of changing a fixed field
    check: Callable[[Organization, Mapping[str, Any], Collection[str], Any], None] | None = None


PRODUCTS = CatalogKind(
    model=Product,
    lot_field="product",
    fields=PRODUCT_FIELDS,
    fixed_once_received=PRODUCT_FIXED_ONCE_RECEIVED,
    clean=_product_value,
    action=Action.LEDGER_PRODUCT_CHANGE,
    received="of this product",
    instead="Add a new product, and retire this one.",
    check=_check_product,
)
SUPPLIERS = CatalogKind(
    model=Supplier,
    lot_field="supplier",
    fields=SUPPLIER_FIELDS,
    fixed_once_received=SUPPLIER_FIXED_ONCE_RECEIVED,
    clean=_supplier_value,
    action=Action.LEDGER_SUPPLIER_CHANGE,
    received="from this supplier",
    instead="Add the supplier anew, and retire this entry.",
)


def catalog_create(
    kind: CatalogKind, *, actor: StaffMember, organization: Organization, given: Mapping[str, Any]
) -> Any:
    """Add a record of `kind` (a product, a supplier) to the organisation's catalogue."""
    _require_settings(actor, organization)
    values = {field: kind.clean(field, value) for field, value in given.items()}
    with transaction.atomic():
        if kind.check is not None:
            kind.check(organization, values, values.keys(), None)
        row = kind.model.objects.create(organization=organization, **values)
        record(
            actor=actor,
            action=kind.action,
            obj=row,
            changes=diff({}, values),
            detail={"organization": organization.pk},
        )
    return row


def catalog_update(
    kind: CatalogKind, *, actor: StaffMember, row: Product | Supplier, changes: Mapping[str, Any]
) -> Any:
    """Change a record of `kind`; once stock has been received with it, only the fields that
    record does not depend on. Nothing changed, nothing written."""
    _require_settings(actor, row.organization)
    cleaned = {field: kind.clean(field, value) for field, value in changes.items()}
    with transaction.atomic():
        locked = kind.model.objects.select_for_update().get(pk=row.pk)
        before = {field: getattr(locked, field) for field in kind.fields}
        changed = _changed(before, cleaned)
        if not changed:
            return locked
        if Lot.objects.filter(**{kind.lot_field: locked}).exists():
            _refuse_fixed(changed, kind.fixed_once_received, kind.received, kind.instead)
        if kind.check is not None:
            kind.check(locked.organization, {**before, **cleaned}, changed.keys(), locked)
        for field in changed:
            setattr(locked, field, cleaned[field])
        locked.save(update_fields=[*changed, "updated_at"])
        record(
            actor=actor,
            action=kind.action,
            obj=locked,
            changes=changed,
            detail={"organization": locked.organization_id},
        )
    return locked


def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[str | None]]:
    """{field: [old, new]} as text, for the fields whose value differs (1000.0 mg is 1000 mg)."""
    return diff(
        {field: before[field] for field in after},
        {field: value for field, value in after.items() if value != before[field]},
    )


def _refuse_fixed(
    changed: Mapping[str, Any], fixed: tuple[str, ...], what: str, instead: str
) -> None:
    errors = {
        field: f"Stock has been received {what}: its {_FIELD_NAMES[field]} is part of that "
        f"record and cannot change. {instead}"
        for field in changed
        if field in fixed
    }
    if errors:
        raise ValidationError(errors)


def product_create(
    *,
    actor: StaffMember,
    organization: Organization,
    name: str,
    ndc: str,
    form: str,
    mg_per_container: Decimal | str | int,
    ml_per_container: Decimal | str | int | None = None,
    quantity_decimals: int = 1,
    unit_mg: Decimal | str | int | None = None,
) -> Product:
    """Add a product the organisation's clinics can receive."""
    given = {
        "name": name,
        "ndc": ndc,
        "form": form,
        "mg_per_container": mg_per_container,
        "ml_per_container": ml_per_container,
        "quantity_decimals": quantity_decimals,
        "unit_mg": unit_mg,
    }
    product: Product = catalog_create(PRODUCTS, actor=actor, organization=organization, given=given)
    return product


def product_update(*, actor: StaffMember, product: Product, changes: Mapping[str, Any]) -> Product:
    """Change a product; once stock of it has been received, only its name and whether it can
    still be received (the rest would rewrite what was received)."""
    updated: Product = catalog_update(PRODUCTS, actor=actor, row=product, changes=changes)
    return updated


def supplier_create(
    *, actor: StaffMember, organization: Organization, name: str, address: str, dea_number: str
) -> Supplier:
    """Add a supplier the organisation's clinics can receive stock from."""
    given = {"name": name, "address": address, "dea_number": dea_number}
    supplier: Supplier = catalog_create(
        SUPPLIERS, actor=actor, organization=organization, given=given
    )
    return supplier


def supplier_update(
    *, actor: StaffMember, supplier: Supplier, changes: Mapping[str, Any]
) -> Supplier:
    """Change a supplier; once stock has been received from it, only whether it can still be
    used."""
    updated: Supplier = catalog_update(SUPPLIERS, actor=actor, row=supplier, changes=changes)
    return updated


def count_interval_set(*, actor: StaffMember, clinic: Clinic, hours: int) -> InventorySettings:
    """Set how often `clinic` counts its stock (`InventorySettings.count_every_hours`)."""
    require(actor, Perm.INVENTORY_SETTINGS, clinic)
    if isinstance(hours, bool) or not isinstance(hours, int):
        raise ValidationError({"count_every_hours": "Give a whole number of hours."})
    if not COUNT_EVERY_HOURS_MIN <= hours <= COUNT_EVERY_HOURS_MAX:
        raise ValidationError(
            {
                "count_every_hours": f"Between {COUNT_EVERY_HOURS_MIN} and "
                f"{COUNT_EVERY_HOURS_MAX} hours (31 days)."
            }
        )
    with transaction.atomic():
        locked, _ = InventorySettings.objects.select_for_update().get_or_create(clinic=clinic)
        old = locked.count_every_hours
        if old == hours:
            return locked
        locked.count_every_hours = hours
        locked.save(update_fields=["count_every_hours", "updated_at"])
        record(
            actor=actor,
            action=Action.CLINIC_SETTINGS_CHANGE,
            clinic=clinic,
            obj=locked,
            changes={"count_every_hours": [str(old), str(hours)]},
        )
    return locked
