from __future__ import annotations

from decimal import Decimal

from django import template

from ketamine_clinic.clinical.ledger import mg_text
from ketamine_clinic.inventory.models import LedgerEntry
from ketamine_clinic.inventory.services import unaccounted_mg

register = template.Library()


@register.filter
def mg(value: Decimal | None) -> str:
    """3.800 → "3.8", 1000.000 → "1000"."""
    return "" if value is None else mg_text(Decimal(value))


@register.filter
def unaccounted(dose: LedgerEntry) -> Decimal:
    """The part of a drawn dose neither given nor recorded as waste."""
    return unaccounted_mg(dose)


@register.filter
def get_count(counts: dict[str, object], clinic: str) -> object:
    return counts.get(clinic)


@register.filter
def describe(product: object, mg: Decimal) -> str:
    return product.describe(mg)  # type: ignore[attr-defined,no-any-return]
