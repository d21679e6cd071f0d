"""Controlled-substance ledger arithmetic: quantities, balances and the tamper-evident chain.

Record-keeping rules (docs/clinical/reference.md §5): every receipt and every disposal of a Schedule
III substance is recorded with its date, quantity and the person responsible (21 CFR 1304.21,
1304.22(c)); corrections are new entries, never edits. Here: the balance a container may never
go below zero, quantities are checked against the product's precision, and each entry's hash
covers its content and the previous entry's hash, so that an entry changed, removed or reordered
outside the application is found by walking the chain.

The hash is keyed (HMAC-SHA256, scheme `hmac-sha256/v1`) with a key kept outside the database,
so that whoever can write the database cannot recompute the chain after an edit. Entries chained
before the key existed keep their plain SHA-256 (scheme `sha256`) and keep verifying; a chain may
switch from plain to keyed once, never back (a keyed entry followed by a plain one is tampering).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

GENESIS_HASH = "0" * 64
PLAIN = "sha256"
KEYED = "hmac-sha256/v1"
SCHEMES = (PLAIN, KEYED)  # in the only order a chain may go through them

# How each kind of entry moves a container's balance: +1 in, -1 out, 0 no movement (a waste
# records what became of part of a dose already drawn; a correction lowers the mg a patient was
# given of a dose already drawn), None signed by the entry (adjustment).
BALANCE_SIGN: dict[str, int | None] = {
    "receipt": 1,
    "transfer_in": 1,
    "dispense": -1,
    "waste": 0,
    "correction": 0,
    "transfer_out": -1,
    "return": -1,
    "destruction": -1,
    "breakage": -1,
    "loss": -1,
    "adjustment": None,
}

# Witnesses each kind needs (docs/clinical/reference.md §5): waste is witnessed by clinic policy (a
# second person; the federal rule does not itself require one, state rules often do); on-site
# destruction is signed by two authorised employee witnesses (DEA Form 41); a spill or breakage
# is witnessed.
WITNESSES_REQUIRED: dict[str, int] = {"waste": 1, "destruction": 2, "breakage": 1}


# Quantities are stored to the microgram (3 places); a product may not ask for finer steps.
STORED_DECIMALS = 3


def business_day_after(day: date) -> date:
    """The next weekday after `day` (public holidays are not known here: a clinic that closes
    on one must count it itself)."""
    nxt = day + timedelta(days=1)
    while nxt.weekday() >= 5:
        nxt += timedelta(days=1)
    return nxt


# Theft or significant loss (21 CFR 1301.74(c), 1301.76(b); docs/clinical/reference.md §5): written
# notice to the DEA Diversion Field Office within 1 business day of discovery; DEA Form 106
# submitted electronically within 45 calendar days (final rule 88 FR 40707, in force 24 July 2023).
FORM_106_DAYS = 45

# Inventory (21 CFR 1304.11, docs/clinical/reference.md §5): an initial inventory on the first day
# controlled substances are handled, then a new one at least every 2 years (on any date within 2
# years of the previous one).
BIENNIAL_INVENTORY_YEARS = 2


def biennial_inventory_due(previous: date) -> date:
    """The last day the next inventory may be taken: 2 years after `previous` (29 February
    falls back to 28 February, so that the interval never exceeds 2 years)."""
    year = previous.year + BIENNIAL_INVENTORY_YEARS
    try:
        return previous.replace(year=year)
    except ValueError:
        return previous.replace(year=year, day=28)


class LedgerError(ValueError):
    """A ledger operation that cannot be recorded; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def mg_text(quantity: Decimal | int) -> str:
    """A quantity as a person writes it: 3.800 → "3.8", 10.000 → "10"."""
    return format(Decimal(str(quantity)).normalize(), "f")


class Overdraw(LedgerError):
    """More than the container holds: `available` is what it holds."""

    def __init__(self, available: Decimal, wanted: Decimal) -> None:
        super().__init__(
            "quantity_mg",
            f"The container holds {mg_text(available)} mg; {mg_text(wanted)} mg cannot be "
            "taken from it.",
        )
        self.available = available


def check_quantity(
    value: Decimal | int | str,
    *,
    decimals: int,
    field: str = "quantity_mg",
    signed: bool = False,
    allow_zero: bool = False,
) -> Decimal:
    """Return the quantity as a Decimal if it is a number with at most `decimals` places and,
    unless `signed`, above zero (or zero, with `allow_zero`: a count of an empty container)."""
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise LedgerError(field, "Give a number of milligrams.") from error
    if not quantity.is_finite():
        raise LedgerError(field, "Give a number of milligrams.")
    if (quantity == 0 and not allow_zero) or (quantity < 0 and not signed):
        raise LedgerError(field, "The quantity must be above zero.")
    exponent = quantity.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > decimals:
        unit = "whole mg" if decimals == 0 else f"{Decimal(1).scaleb(-decimals)} mg"
        raise LedgerError(field, f"This product is measured in steps of {unit}.")
    return quantity


def movement(kind: str, quantity: Decimal) -> Decimal:
    """How much an entry of `kind` for `quantity` mg changes its container's balance."""
    if kind not in BALANCE_SIGN:
        raise LedgerError("kind", f"Unknown ledger entry kind {kind!r}.")
    sign = BALANCE_SIGN[kind]
    return quantity if sign is None else quantity * sign


def next_balance(balance: Decimal, kind: str, quantity: Decimal) -> Decimal:
    """Return the container's balance after an entry of `kind` for `quantity` mg.

    Raises Overdraw when the balance would go below zero.
    """
    delta = movement(kind, quantity)
    after = balance + delta
    if after < 0:
        raise Overdraw(balance, -delta)
    return after


def canonical(content: Mapping[str, object]) -> str:
    """The content as the exact text that is hashed (sorted keys, no spaces)."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(
    previous_hash: str, content: Mapping[str, object], *, scheme: str = PLAIN, key: bytes = b""
) -> str:
    """The entry's hash over the previous entry's hash and this entry's canonical content:
    SHA-256 (`sha256`, the entries chained before the key) or HMAC-SHA256 with `key`."""
    message = (previous_hash + canonical(content)).encode()
    if scheme == KEYED:
        if not key:
            raise ValueError("a keyed chain needs its key")
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    if scheme == PLAIN:
        return hashlib.sha256(message).hexdigest()
    raise ValueError(f"unknown chain scheme {scheme!r}")


@dataclass(frozen=True)
class ChainLink:
    id: int
    previous_hash: str
    hash: str
    content: Mapping[str, object]
    scheme: str = PLAIN


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    first_bad_entry: int | None

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "entries": self.entries, "first_bad_entry": self.first_bad_entry}


def link_intact(link: ChainLink, previous: str, key: bytes, previous_scheme: str = PLAIN) -> bool:
    """Whether the link points at `previous`, gives its hash by its scheme, and does not go
    back to an earlier scheme than the link before it."""
    if link.scheme not in SCHEMES or SCHEMES.index(link.scheme) < SCHEMES.index(previous_scheme):
        return False
    if link.previous_hash != previous:
        return False
    try:
        expected = entry_hash(previous, link.content, scheme=link.scheme, key=key)
    except ValueError:
        return False
    return hmac.compare_digest(expected, link.hash)


def verify_chain(
    links: Iterable[ChainLink],
    previous: str = GENESIS_HASH,
    *,
    key: bytes = b"",
    previous_scheme: str = PLAIN,
) -> ChainCheck:
    """Walk a chain in order; return the first entry whose content or place was changed.

    An entry is bad when it does not point at the hash of the entry before it (one was removed
    or reordered), when its content no longer gives its hash by its scheme (it was edited), or
    when it is of an earlier scheme than the entry before it (a keyed entry made plain, so that
    its hash could be recomputed without the key). `previous` is the hash the first link must
    point at: the genesis, or a verified entry (of `previous_scheme`) to go on from.
    """
    count = 0
    first_bad: int | None = None
    for link in links:
        count += 1
        if first_bad is None and not link_intact(link, previous, key, previous_scheme):
            first_bad = link.id
        previous = link.hash
        if link.scheme in SCHEMES:
            previous_scheme = max(previous_scheme, link.scheme, key=SCHEMES.index)
    return ChainCheck(ok=first_bad is None, entries=count, first_bad_entry=first_bad)
