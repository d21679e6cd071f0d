"""The ledger's services: receipt, dispense, witnessed waste, counts, verification."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import ROUND_DOWN, Decimal
from unittest import mock

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketamine_clinic.accounts.access import AccessDenied
from ketamine_clinic.audit import triggers
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.clinical.ledger import Overdraw
from ketamine_clinic.inventory import services
from ketamine_clinic.inventory.models import (
    Discrepancy,
    InventoryCount,
    LedgerEntry,
    LedgerIsAppendOnly,
    Lot,
)
from tests.conftest import PASSWORD

from .conftest import receive


def _draw(world, stock, mg, given=None, patient=None):
    return services.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=stock.vial,
        quantity_mg=mg,
        patient=patient or world.patient1,
        session_ref="S-1",
        administered_mg=given,
    )


def test_a_receipt_gives_each_container_its_own_id_and_full_balance(world, stock):
    receipt = receive(world, stock.product, stock.supplier, containers=3, prefix="V-")
    assert [c.label for c in receipt.containers] == ["V-0002", "V-0003", "V-0004"]
    assert all(c.balance_mg == 1000 for c in receipt.containers)
    assert [e.seq for e in receipt.entries] == [2, 3, 4]
    assert AuditEvent.objects.filter(action="ledger.receipt").count() == 2


def test_a_dose_is_drawn_and_the_balance_follows(world, stock):
    entry = _draw(world, stock, "50", given="41.2")
    stock.vial.refresh_from_db()
    assert stock.vial.balance_mg == Decimal("950")
    assert (entry.quantity_mg, entry.administered_mg, entry.balance_after_mg) == (
        Decimal("50"),
        Decimal("41.2"),
        Decimal("950"),
    )
    assert entry.patient == world.patient1


def test_overdrawing_is_refused_with_the_available_balance(world, stock):
    _draw(world, stock, "990")
    with pytest.raises(Overdraw) as caught:
        _draw(world, stock, "10.1")
    assert caught.value.available == Decimal("10")
    stock.vial.refresh_from_db()
    assert stock.vial.balance_mg == Decimal("10")


@pytest.mark.parametrize(
    ("mg", "field"), [("0", "quantity_mg"), ("-5", "quantity_mg"), ("12.25", "quantity_mg")]
)
def test_bad_quantities_write_nothing(world, stock, mg, field):
    before = (LedgerEntry.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as caught:
        _draw(world, stock, mg)
    assert field in caught.value.message_dict
    assert (LedgerEntry.objects.count(), AuditEvent.objects.count()) == before


def test_text_too_long_for_the_record_is_refused_not_cut(world, stock):
    before = LedgerEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.dispense_record(
            actor=world.nurse,
            signature=PASSWORD,
            container=stock.vial,
            quantity_mg="10",
            patient=world.patient1,
            session_ref="S" * 61,
        )
    assert caught.value.message_dict == {"session_ref": ["At most 60 characters."]}
    assert LedgerEntry.objects.count() == before
    entry = services.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=stock.vial,
        quantity_mg="10",
        patient=world.patient1,
        session_ref="S" * 60,
    )
    assert entry.session_ref == "S" * 60


def test_a_dose_drawn_and_then_not_given_is_all_left_to_waste(world, stock):
    dose = _draw(world, stock, "50", given="0")
    assert dose.administered_mg == 0
    assert services.unaccounted_mg(dose) == Decimal(50)
    services.waste_record(
        actor=world.nurse,
        signature=PASSWORD,
        dispense=dose,
        quantity_mg="50",
        witness=world.prescriber,
        witness_signature=PASSWORD,
        reason="Blood pressure too high: not given",
    )
    assert services.unaccounted_mg(dose) == 0


def test_a_lot_is_usable_through_its_expiry_date_and_not_after(world, stock):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as caught:
        receive(world, stock.product, stock.supplier, prefix="E-", expires=today)
    assert "expires_on" in caught.value.message_dict
    vial = receive(
        world, stock.product, stock.supplier, prefix="E-", expires=today + timedelta(days=1)
    ).containers[0]
    Lot.objects.filter(pk=vial.lot_id).update(expires_on=today)
    vial.refresh_from_db()
    last_day = services.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=vial,
        quantity_mg="10",
        patient=world.patient1,
    )
    assert last_day.balance_after_mg == Decimal(990)
    Lot.objects.filter(pk=vial.lot_id).update(expires_on=today - timedelta(days=1))
    vial.refresh_from_db()
    with pytest.raises(ValidationError, match="expired on") as caught:
        services.dispense_record(
            actor=world.nurse,
            signature=PASSWORD,
            container=vial,
            quantity_mg="10",
            patient=world.patient1,
        )
    assert "container" in caught.value.message_dict


def test_a_time_given_with_another_offset_is_kept_in_utc_and_the_chain_holds(world, stock):
    eastern = dt_timezone(timedelta(hours=-5))
    entry = services.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=stock.vial,
        quantity_mg="10",
        patient=world.patient1,
        occurred_at=datetime(2026, 11, 25, 9, 30, tzinfo=eastern),
    )
    stored = LedgerEntry.objects.get(pk=entry.pk)
    assert stored.occurred_at.isoformat() == "2026-11-25T14:30:00+00:00"
    assert stored.hash == entry.hash
    assert services.verify().ok


def test_no_dose_for_another_clinics_patient_or_from_an_expired_lot(world, stock):
    with pytest.raises(ValidationError) as caught:
        _draw(world, stock, "10", patient=world.patient2)
    assert "patient" in caught.value.message_dict
    old = receive(
        world,
        stock.product,
        stock.supplier,
        prefix="E-",
        expires=timezone.localdate() + timedelta(days=1),
    ).containers[0]
    from ketamine_clinic.inventory.models import Lot

    Lot.objects.filter(pk=old.lot_id).update(expires_on=timezone.localdate() - timedelta(days=1))
    old.refresh_from_db()
    with pytest.raises(ValidationError, match="expired"):
        services.dispense_record(
            actor=world.nurse,
            signature=PASSWORD,
            container=old,
            quantity_mg="10",
            patient=world.patient1,
        )


def test_every_entry_is_signed_with_the_actors_password_or_code(world, stock):
    with pytest.raises(ValidationError) as caught:
        services.dispense_record(
            actor=world.nurse,
            signature="wrong",
            container=stock.vial,
            quantity_mg="10",
            patient=world.patient1,
        )
    assert "signature" in caught.value.message_dict
    secret = generate_totp_secret()
    TOTP.activate(world.nurse, secret)
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    entry = services.dispense_record(
        actor=world.nurse,
        signature=code,
        container=stock.vial,
        quantity_mg="10",
        patient=world.patient1,
    )
    assert entry.actor == world.nurse


def test_waste_needs_another_clinician_who_signs_too(world, stock):
    dose = _draw(world, stock, "50", given="41.2")
    common = {"actor": world.nurse, "signature": PASSWORD, "dispense": dose}
    with pytest.raises(ValidationError, match="another person"):
        services.waste_record(
            **common, quantity_mg="8.8", witness=world.nurse, witness_signature=PASSWORD
        )
    with pytest.raises(ValidationError, match="clinician of this clinic"):
        services.waste_record(
            **common, quantity_mg="8.8", witness=world.frontdesk, witness_signature=PASSWORD
        )
    with pytest.raises(ValidationError) as caught:
        services.waste_record(
            **common, quantity_mg="8.8", witness=world.prescriber, witness_signature="not it"
        )
    assert "witness_signature" in caught.value.message_dict
    assert not LedgerEntry.objects.filter(kind="waste").exists()
    waste = services.waste_record(
        **common,
        quantity_mg="8.8",
        witness=world.prescriber,
        witness_signature=PASSWORD,
        reason="left in syringe",
    )
    assert (waste.witness, waste.related, waste.balance_after_mg) == (
        world.prescriber,
        dose,
        Decimal("950"),
    )


def test_given_plus_wasted_never_exceeds_drawn(world, stock):
    dose = _draw(world, stock, "50", given="41.2")
    with pytest.raises(ValidationError, match=r"Only 8\.8 mg"):
        services.waste_record(
            actor=world.nurse,
            signature=PASSWORD,
            dispense=dose,
            quantity_mg="8.9",
            witness=world.prescriber,
            witness_signature=PASSWORD,
        )
    services.waste_record(
        actor=world.nurse,
        signature=PASSWORD,
        dispense=dose,
        quantity_mg="5",
        witness=world.prescriber,
        witness_signature=PASSWORD,
    )
    with pytest.raises(ValidationError, match=r"Only 3\.8 mg"):
        services.waste_record(
            actor=world.nurse,
            signature=PASSWORD,
            dispense=dose,
            quantity_mg="4",
            witness=world.prescriber,
            witness_signature=PASSWORD,
        )


def test_a_count_that_differs_opens_a_discrepancy_resolved_by_an_adjustment(world, stock):
    _draw(world, stock, "100")
    count = services.count_record(
        actor=world.nurse,
        signature=PASSWORD,
        clinic=world.clinic1,
        kind="scheduled",
        business_hours="close",
        counted={stock.vial.pk: "897.5"},
    )
    discrepancy = Discrepancy.objects.get()
    assert discrepancy.difference_mg == Decimal("-2.5")
    assert discrepancy.line.count == count
    stock.vial.refresh_from_db()
    assert stock.vial.balance_mg == Decimal("900")  # never silently corrected
    with pytest.raises(AccessDenied):
        services.discrepancy_resolve(
            actor=world.nurse,
            signature=PASSWORD,
            discrepancy=discrepancy,
            resolution="Spilled on the tray.",
        )
    services.discrepancy_resolve(
        actor=world.prescriber,
        signature=PASSWORD,
        discrepancy=discrepancy,
        resolution="Measurement error on the last draw, confirmed with the nurse.",
    )
    stock.vial.refresh_from_db()
    assert stock.vial.balance_mg == Decimal("897.5")
    discrepancy.refresh_from_db()
    assert discrepancy.adjustment.quantity_mg == Decimal("-2.5")
    assert services.verify().ok


def test_wrong_signatures_are_audited_and_the_fifth_locks_the_signer_out(world, stock):
    dose = _draw(world, stock, "50", given="40")

    def waste(witness_signature: str) -> LedgerEntry:
        return services.waste_record(
            actor=world.nurse,
            signature=PASSWORD,
            dispense=dose,
            quantity_mg="1",
            witness=world.prescriber,
            witness_signature=witness_signature,
        )

    for _ in range(services.SIGNATURE_FAILURES_ALLOWED - 1):
        with pytest.raises(ValidationError, match="not accepted"):
            waste("a guess")
    refusals = AuditEvent.objects.filter(action="auth.login_failed", actor=world.nurse)
    assert refusals.count() == 4
    assert {(e.clinic, e.detail["signature_for"], e.detail["field"]) for e in refusals} == {
        (world.clinic1, "prescriber", "witness_signature")
    }
    waste(PASSWORD)  # four refusals: the right signature still signs
    with pytest.raises(ValidationError, match="not accepted"):
        waste("a fifth guess")
    with pytest.raises(ValidationError, match="too many signatures refused") as caught:
        waste(PASSWORD)  # locked: even the right one is refused, so guessing learns nothing
    assert "witness_signature" in caught.value.message_dict
    assert LedgerEntry.objects.filter(kind="waste").count() == 1
    later = timezone.now() + services.SIGNATURE_WINDOW + timedelta(seconds=1)
    with mock.patch.object(services, "_now", return_value=later):
        assert waste(PASSWORD).witness == world.prescriber


def test_the_biennial_inventory_counts_everything_on_hand(world, stock):
    second = receive(world, stock.product, stock.supplier).containers[0]
    inventory = {
        "actor": world.nurse,
        "signature": PASSWORD,
        "clinic": world.clinic1,
        "kind": "biennial",
        "business_hours": "open",
    }
    with pytest.raises(ValidationError) as caught:
        services.count_record(**inventory, counted={stock.vial.pk: "1000"})
    assert caught.value.message_dict == {
        "counted": ["The biennial inventory counts everything on hand: V-0002."]
    }
    assert not InventoryCount.objects.exists()
    services.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=second,
        quantity_mg="1000",
        patient=world.patient1,
    )
    count = services.count_record(**inventory, counted={stock.vial.pk: "1000"})
    assert [line.container for line in count.lines.all()] == [stock.vial]  # empty: not counted
    services.count_record(
        **{**inventory, "kind": "scheduled"}, counted={second.pk: "0"}
    )  # a scheduled count may be of part of the stock


def test_a_discrepancy_that_no_longer_fits_its_container_is_refused(world, stock):
    services.count_record(
        actor=world.nurse,
        signature=PASSWORD,
        clinic=world.clinic1,
        kind="scheduled",
        business_hours="close",
        counted={stock.vial.pk: "100"},
    )
    _draw(world, stock, "500")  # 500 mg left: a 900 mg shortfall no longer fits
    discrepancy = Discrepancy.objects.get()
    with pytest.raises(Overdraw) as caught:
        services.discrepancy_resolve(
            actor=world.prescriber,
            signature=PASSWORD,
            discrepancy=discrepancy,
            resolution="Counted wrongly, the vial was full.",
        )
    assert caught.value.available == Decimal(500)
    discrepancy.refresh_from_db()
    assert discrepancy.resolved_at is None
    assert not LedgerEntry.objects.filter(kind="adjustment").exists()


def test_entries_cannot_be_changed_through_the_application(world, stock):
    entry = LedgerEntry.objects.first()
    with pytest.raises(LedgerIsAppendOnly):
        entry.save()
    with pytest.raises(LedgerIsAppendOnly):
        entry.delete()
    with pytest.raises(LedgerIsAppendOnly):
        LedgerEntry.objects.all().update(quantity_mg=1)


def test_the_database_refuses_edits_and_verify_names_a_forged_entry(world, stock):
    _draw(world, stock, "100")
    _draw(world, stock, "50")
    second = LedgerEntry.objects.get(seq=2)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE inventory_ledgerentry SET quantity_mg = 1 WHERE id = %s", [second.pk]
        )
    assert services.verify().as_dict() == {
        "ok": True,
        "entries": 3,
        "first_bad_entry": None,
        "containers_out_of_balance": [],
    }
    # Someone with database rights lifts the trigger and edits an amount.
    triggers.drop_triggers(connection, "inventory_ledgerentry")
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE inventory_ledgerentry SET quantity_mg = 10 WHERE id = %s", [second.pk]
            )
        result = services.verify()
        assert (result.ok, result.first_bad_entry) == (False, second.pk)
        assert result.containers_out_of_balance == [stock.vial.label]
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM inventory_ledgerentry WHERE id = %s", [second.pk])
        third = LedgerEntry.objects.get(seq=3)
        assert services.verify().first_bad_entry == third.pk
    finally:
        triggers.create_triggers(connection, "inventory_ledgerentry")


def test_removing_the_last_entry_is_found_through_the_audit_trail(world, stock):
    dose = _draw(world, stock, "50", given="41.2")
    waste = services.waste_record(
        actor=world.nurse,
        signature=PASSWORD,
        dispense=dose,
        quantity_mg="8.8",
        witness=world.prescriber,
        witness_signature=PASSWORD,
    )
    triggers.drop_triggers(connection, "inventory_ledgerentry")
    try:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM inventory_ledgerentry WHERE id = %s", [waste.pk])
        # The chain that is left is whole, and a waste moves no balance: only the audit
        # trail, which saw the waste written, still knows of it.
        assert services.verify().as_dict() == {
            "ok": False,
            "entries": 2,
            "first_bad_entry": waste.pk,
            "containers_out_of_balance": [],
        }
    finally:
        triggers.create_triggers(connection, "inventory_ledgerentry")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_100_mg_draws_from_500_mg_exactly_five_succeed(world, stock):
    import threading

    from django.db import connections

    services.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=stock.vial,
        quantity_mg="500",
        patient=world.patient1,
    )  # 1000 → 500 mg
    results: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def draw() -> None:
        try:
            start.wait()
            services.dispense_record(
                actor=world.nurse,
                signature=PASSWORD,
                container=stock.vial,
                quantity_mg="100",
                patient=world.patient1,
            )
            outcome = "ok"
        except Overdraw:
            outcome = "overdraw"
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=draw) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok"] * 5 + ["overdraw"] * 15
    stock.vial.refresh_from_db()
    assert stock.vial.balance_mg == 0
    assert services.verify().ok


# The database is shared by the examples: each draws from a new vial of its own, and checks
# every step against a model of what the ledger must do (balance, refusals, what is left).
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["dispense", "waste"]),
            st.decimals(min_value=Decimal("0.1"), max_value=Decimal("400"), places=1),
            st.integers(min_value=0, max_value=10),  # tenths of the draw given
        ),
        min_size=1,
        max_size=12,
    )
)
def test_random_sequences_keep_the_balance_equal_to_the_entries_and_never_negative(
    world, stock, operations
):
    vial = receive(world, stock.product, stock.supplier, prefix="H-").containers[0]
    balance = Decimal(1000)
    doses: list[tuple[LedgerEntry, Decimal]] = []  # each dose and what is left of it to waste
    for kind, mg, tenths in operations:
        if kind == "dispense" or not doses:
            given = (mg * tenths / 10).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
            draw = {
                "actor": world.nurse,
                "signature": PASSWORD,
                "container": vial,
                "quantity_mg": mg,
                "patient": world.patient1,
                "administered_mg": given,
            }
            if mg > balance:
                with pytest.raises(Overdraw) as caught:
                    services.dispense_record(**draw)
                assert caught.value.available == balance
            else:
                doses.append((services.dispense_record(**draw), mg - given))
                balance -= mg
        else:
            dose, left = doses[-1]
            waste = {
                "actor": world.nurse,
                "signature": PASSWORD,
                "dispense": dose,
                "quantity_mg": mg,
                "witness": world.prescriber,
                "witness_signature": PASSWORD,
            }
            if mg > left:
                with pytest.raises(ValidationError, match="unaccounted for"):
                    services.waste_record(**waste)
            else:
                services.waste_record(**waste)
                doses[-1] = (dose, left - mg)
        vial.refresh_from_db()
        assert vial.balance_mg == balance >= 0
    assert services.verify(world.clinic1).ok
    for dose, left in doses:
        assert services.unaccounted_mg(dose) == left >= 0
