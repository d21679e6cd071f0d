"""The ledger's services: receipt, dispense, witnessed waste, counts, verification."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

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
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.clinical.ledger import Overdraw
from ketamine_clinic.inventory import services
from ketamine_clinic.inventory.models import Discrepancy, LedgerEntry, LedgerIsAppendOnly
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
    before = LedgerEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        _draw(world, stock, mg)
    assert field in caught.value.message_dict
    assert LedgerEntry.objects.count() == before


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
    from ketamine_clinic.audit import triggers

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


# The database fixture is shared by the examples: the invariants must hold whatever came before.
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["dispense", "waste"]),
            st.decimals(min_value=Decimal("0.1"), max_value=Decimal("400"), places=1),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_random_sequences_keep_the_balance_equal_to_the_entries_and_never_negative(
    world, stock, operations
):
    doses: list = []
    for kind, mg in operations:
        try:
            if kind == "dispense" or not doses:
                doses.append(
                    services.dispense_record(
                        actor=world.nurse,
                        signature=PASSWORD,
                        container=stock.vial,
                        quantity_mg=mg,
                        patient=world.patient1,
                        administered_mg=mg / 2,
                    )
                )
            else:
                services.waste_record(
                    actor=world.nurse,
                    signature=PASSWORD,
                    dispense=doses[-1],
                    quantity_mg=mg,
                    witness=world.prescriber,
                    witness_signature=PASSWORD,
                )
        except (Overdraw, ValidationError):
            pass
        stock.vial.refresh_from_db()
        assert stock.vial.balance_mg >= 0
    result = services.verify()
    assert result.ok, result
    for dose in doses:
        assert (dose.administered_mg or 0) + services.wasted_so_far(dose) <= dose.quantity_mg
