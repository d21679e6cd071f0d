"""The API's shared shapes: strict inputs and the one error answer every router gives."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict


class Strict(Schema):
    """An input that refuses unknown fields (a misspelt field is an error, not ignored)."""

    model_config = ConfigDict(extra="forbid")


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    """Every API error: what went wrong, and each field with its reason."""

    detail: str
    errors: list[FieldError] = []
