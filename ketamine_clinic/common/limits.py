"""What a column can hold, checked before every save of every model, for forms and the API.

A stored value must never take pages down: text with a NUL character (PostgreSQL refuses it)
or an unpaired surrogate (no encoding holds it), text longer than its field, a decimal wider
than its `max_digits`/`decimal_places`, an integer beyond 64 bits, a date-time that does not
convert to UTC. `check_row` raises a ValidationError naming each such field; `connect` runs it
before every save of the project's models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from django.db import models
from django.db.models.signals import pre_save

MAX_ID = 2**63 - 1  # the widest integer column (bigint; SQLite INTEGER)
MAX_OFFSET = 10**9  # a page offset: far past any list, far below any overflow


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None."""
    if "\x00" in value:
        return "Text cannot contain NUL characters."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Text must be valid Unicode (no unpaired surrogates)."
    return None


def decimal_problem(value: Any, max_digits: int | None, decimal_places: int | None) -> str | None:
    """Why `value` does not fit a decimal column of that size, or None."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return "Enter a number."
    if not number.is_finite():
        return "Enter a finite number."
    try:
        # Trailing zeros lose nothing (56.000 fits one decimal place): judge the value itself.
        DecimalValidator(max_digits, decimal_places)(number.normalize())
    except ValidationError as error:
        return " ".join(error.messages)
    return None


def datetime_problem(value: datetime) -> str | None:
    """Why `value` cannot be stored as a date-time, or None."""
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except (OverflowError, ValueError):
            return "This date and time is out of range."
    return None


def _field_problem(field: models.Field[Any, Any], value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and isinstance(field, models.CharField | models.TextField):
        problem = text_problem(value)
        if problem is None and field.max_length is not None and len(value) > field.max_length:
            problem = f"Ensure this value has at most {field.max_length} characters."
        return problem
    if isinstance(field, models.DecimalField):
        return decimal_problem(value, field.max_digits, field.decimal_places)
    if isinstance(field, models.DateTimeField) and isinstance(value, datetime):
        return datetime_problem(value)
    wide = isinstance(field, models.IntegerField) and isinstance(value, int)
    if wide and not -MAX_ID - 1 <= value <= MAX_ID:
        return "This number is out of range."
    return None


def check_row(instance: models.Model) -> None:
    """Refuse a row that its columns cannot hold, naming every such field."""
    errors = {}
    for field in instance._meta.concrete_fields:
        if field.is_relation:
            continue
        problem = _field_problem(field, getattr(instance, field.attname))
        if problem:
            errors[field.name] = problem
    if errors:
        raise ValidationError(errors)


def _before_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if sender.__module__.startswith("ketamine_clinic."):
        check_row(instance)


def connect() -> None:
    """Check every save of the project's models (called once, from an AppConfig.ready)."""
    pre_save.connect(_before_save, dispatch_uid="ketamine_clinic.common.limits")
