from __future__ import annotations

from decimal import Decimal

from django import template

from ketamine_clinic.clinical.ledger import mg_text

register = template.Library()


@register.filter
def amount(value: Decimal | None) -> str:
    """Write a dose or limit as a person does: 0.500 → "0.5", 600.00 → "600"."""
    return "" if value is None else mg_text(value)
