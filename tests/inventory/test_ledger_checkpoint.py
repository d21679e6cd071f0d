"""The stock page verifies the ledger from the last verified entry on; the command, all of it."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from ketamine_clinic.audit import triggers
from ketamine_clinic.inventory import services
from ketamine_clinic.inventory.models import LedgerCheckpoint, LedgerEntry
from tests.conftest import PASSWORD


def _draw(world, stock, mg):
    return services.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=stock.vial,
        quantity_mg=mg,
        patient=world.patient1,
        session_ref="S-1",
        administered_mg=mg,
    )


def _tamper(sql: str, params: list[object]) -> None:
    """Edit the ledger as someone with database rights would: past the append-only trigger."""
    triggers.drop_triggers(connection, "inventory_ledgerentry")
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        triggers.create_triggers(connection, "inventory_ledgerentry")


def _stock_page(login, staff) -> str:
    return login(staff).get("/inventory/").content.decode()


def test_a_passing_full_check_sets_the_checkpoint_at_the_last_entry(world, stock):
    first = _draw(world, stock, "50")

    assert services.verify(world.clinic1).ok

    point = LedgerCheckpoint.objects.get(clinic=world.clinic1)
    assert (point.seq, point.entry_id, point.hash) == (first.seq, first.pk, first.hash)
    assert point.sums_mg == {str(stock.vial.pk): "950.000"}  # 1000 received, 50 drawn
    assert point.full_verified_at is not None


def test_the_stock_page_walks_only_the_entries_after_the_checkpoint(world, stock):
    first = _draw(world, stock, "50")
    services.verify(world.clinic1)  # checkpoint at `first`
    second = _draw(world, stock, "20")

    check = services.verify(world.clinic1, from_checkpoint=True)

    assert (check.ok, check.entries, check.from_seq) == (True, 1, first.seq)
    assert check.chain_length == 3  # the receipt, two draws
    point = LedgerCheckpoint.objects.get(clinic=world.clinic1)
    assert (point.seq, point.entry_id) == (second.seq, second.pk)
    assert Decimal(point.sums_mg[str(stock.vial.pk)]) == Decimal(930)


def test_tampering_after_the_checkpoint_is_caught_on_the_stock_page(world, stock, login):
    _draw(world, stock, "50")
    assert "Ledger intact" in _stock_page(login, world.nurse)  # checkpoint at the draw
    later = _draw(world, stock, "20")

    _tamper("UPDATE inventory_ledgerentry SET quantity_mg = 2 WHERE id = %s", [later.pk])

    page = _stock_page(login, world.nurse)
    assert "Ledger NOT intact" in page
    assert f"First bad entry: {later.pk};" in page
    assert stock.vial.label in page  # its balance no longer adds up
    point = LedgerCheckpoint.objects.get(clinic=world.clinic1)
    assert point.seq == later.seq - 1  # a failed check does not move it


def test_tampering_with_the_checkpoints_own_entry_is_caught_on_the_stock_page(world, stock, login):
    anchor = _draw(world, stock, "50")
    services.verify(world.clinic1)

    _tamper("UPDATE inventory_ledgerentry SET quantity_mg = 5 WHERE id = %s", [anchor.pk])

    page = _stock_page(login, world.nurse)
    assert "Ledger NOT intact" in page
    assert f"First bad entry: {anchor.pk};" in page


def test_tampering_before_the_checkpoint_is_caught_by_the_full_check(world, stock):
    _draw(world, stock, "50")
    _draw(world, stock, "20")
    services.verify(world.clinic1)  # checkpoint at the second draw
    receipt = LedgerEntry.objects.get(clinic=world.clinic1, seq=1)

    # An edit that moves no balance, before the checkpoint: the stock page does not walk
    # there (by design); the full walk of `ketamine-clinic ledger verify` finds it.
    _tamper("UPDATE inventory_ledgerentry SET reason = 'x' WHERE id = %s", [receipt.pk])

    assert services.verify(world.clinic1, from_checkpoint=True).ok
    full = services.verify(world.clinic1)
    assert (full.ok, full.first_bad_entry) == (False, receipt.pk)
