"""Field validators for the chart; the clinical core holds the numbers and their sources."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.clinical import anthropometrics, icd10


def validate_date_of_birth(value: date) -> None:
    try:
        anthropometrics.check_date_of_birth(value, timezone.localdate())
    except anthropometrics.MeasurementError as error:
        raise ValidationError(error.message, code="implausible") from error


def validate_weight_kg(value: Decimal) -> None:
    try:
        anthropometrics.check_weight_kg(Decimal(value))
    except anthropometrics.MeasurementError as error:
        raise ValidationError(error.message, code="implausible") from error


def validate_height_cm(value: Decimal) -> None:
    try:
        anthropometrics.check_height_cm(Decimal(value))
    except anthropometrics.MeasurementError as error:
        raise ValidationError(error.message, code="implausible") from error


def validate_icd10_code(value: str) -> None:
    try:
        icd10.normalise_code(value)
    except icd10.InvalidCode as error:
        raise ValidationError(str(error), code="invalid_code") from error


def validate_not_in_future(value: date) -> None:
    if value > timezone.localdate():
        raise ValidationError("This date cannot be in the future.", code="future")
