"""The questionnaires: declarative definitions and scoring. `INSTRUMENTS` maps id → Instrument."""

from __future__ import annotations

from .base import AnswerError, Band, Instrument, Item, Option, Score
from .registry import INSTRUMENTS, get_instrument

__all__ = [
    "INSTRUMENTS",
    "AnswerError",
    "Band",
    "Instrument",
    "Item",
    "Option",
    "Score",
    "get_instrument",
]
