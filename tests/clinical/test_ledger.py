"""The ledger's arithmetic and hash chain, with hand-worked cases and properties."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.clinical.ledger import (
    GENESIS_HASH,
    ChainLink,
    LedgerError,
    Overdraw,
    check_quantity,
    entry_hash,
    next_balance,
    verify_chain,
)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [("41.2", 1, Decimal("41.2")), ("50", 0, Decimal("50")), (Decimal("0.5"), 1, Decimal("0.5"))],
)
def test_quantities_within_the_products_precision(value, decimals, expected):
    assert check_quantity(value, decimals=decimals) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "message"),
    [
        ("0", 1, "above zero"),
        ("-5", 1, "above zero"),
        ("41.25", 1, "steps of 0.1 mg"),
        ("12.5", 0, "steps of whole mg"),
        ("abc", 1, "number of milligrams"),
        ("NaN", 1, "number of milligrams"),
    ],
)
def test_bad_quantities_are_refused(value, decimals, message):
    with pytest.raises(LedgerError, match=message):
        check_quantity(value, decimals=decimals)


def test_zero_is_a_valid_count_but_not_a_movement():
    assert check_quantity("0", decimals=1, allow_zero=True) == 0


def test_balances_move_by_kind_and_never_below_zero():
    assert next_balance(Decimal(1000), "receipt", Decimal(1000)) == Decimal(2000)
    assert next_balance(Decimal(500), "dispense", Decimal(100)) == Decimal(400)
    assert next_balance(Decimal(400), "waste", Decimal("8.8")) == Decimal(400)
    assert next_balance(Decimal(400), "adjustment", Decimal(-3)) == Decimal(397)
    with pytest.raises(Overdraw) as caught:
        next_balance(Decimal(50), "dispense", Decimal("50.1"))
    assert caught.value.available == Decimal(50)
    assert next_balance(Decimal(50), "dispense", Decimal(50)) == 0


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["receipt", "dispense", "waste", "adjustment"]),
            st.decimals(min_value=Decimal("-100"), max_value=Decimal("1000"), places=1),
        ),
        max_size=60,
    )
)
def test_the_balance_is_the_sum_of_accepted_entries_and_never_negative(operations):
    balance = Decimal(0)
    accepted = []
    for kind, quantity in operations:
        if quantity == 0 or (quantity < 0 and kind != "adjustment"):
            continue
        try:
            balance = next_balance(balance, kind, quantity)
        except Overdraw:
            continue
        accepted.append((kind, quantity))
        assert balance >= 0
    signs = {"receipt": 1, "dispense": -1, "waste": 0}
    assert balance == sum(
        (q if k == "adjustment" else q * signs[k] for k, q in accepted), Decimal(0)
    )


def _chain(n):
    links, previous = [], GENESIS_HASH
    for i in range(1, n + 1):
        content = {
            "seq": i,
            "kind": "dispense",
            "quantity_mg": f"{i}.000",
            "at": datetime(2026, 11, 1, 9, i).isoformat(),
        }
        digest = entry_hash(previous, content)
        links.append(ChainLink(id=100 + i, previous_hash=previous, hash=digest, content=content))
        previous = digest
    return links


def test_an_intact_chain_verifies():
    check = verify_chain(_chain(5))
    assert (check.ok, check.entries, check.first_bad_entry) == (True, 5, None)


def test_an_edited_amount_is_found_at_its_entry():
    links = _chain(5)
    edited = dict(links[2].content, quantity_mg="300.000")
    links[2] = ChainLink(
        id=links[2].id, previous_hash=links[2].previous_hash, hash=links[2].hash, content=edited
    )
    check = verify_chain(links)
    assert (check.ok, check.entries, check.first_bad_entry) == (False, 5, 103)


def test_a_removed_entry_is_found_at_the_entry_after_it():
    links = _chain(5)
    del links[1]
    assert verify_chain(links).first_bad_entry == 103


def test_a_swapped_order_is_found():
    links = _chain(4)
    links[1], links[2] = links[2], links[1]
    assert verify_chain(links).first_bad_entry == 103


def test_the_hash_covers_every_field():
    content = {"a": "1", "b": "2"}
    assert entry_hash(GENESIS_HASH, content) != entry_hash(GENESIS_HASH, {"a": "1", "b": "3"})
    assert entry_hash(GENESIS_HASH, content) == entry_hash(GENESIS_HASH, {"b": "2", "a": "1"})
