"""The keyed chains (issue #14 §3): the ledger's HMAC chain with its plain-SHA-256 past, and the
audit trail's row MACs and seals, checked by `ledger verify` and `audit verify`."""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from ketamine_clinic.audit import chain, triggers
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.audit.services import record
from ketamine_clinic.clinical import ledger
from ketamine_clinic.inventory import services
from ketamine_clinic.inventory.models import LedgerEntry
from tests.conftest import PASSWORD
from tests.inventory.conftest import receive, stock_products


@contextmanager
def lifted(table):
    """Lift a table's append-only triggers, as someone with the database's password could."""
    triggers.drop_triggers(connection, table)
    try:
        yield connection.cursor()
    finally:
        triggers.create_triggers(connection, table)


def _audit_verify(capsys, *args):
    try:
        call_command("audit", "verify", "--json", *args)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def _events(world, n=4):
    return [
        record(actor=world.nurse, action=Action.CHART_VIEW, patient=world.patient1, detail={"i": i})
        for i in range(n)
    ]


def test_a_clean_trail_verifies_and_seals(world, capsys):
    _events(world)
    code, result = _audit_verify(capsys, "--seal", "--seal-after", "0")
    assert (code, result["ok"], result["first_bad_event"]) == (0, True, None)
    assert result["seals"] == 1
    assert result["sealed"] == result["events"] == AuditEvent.objects.count()
    _events(world, 2)
    code, result = _audit_verify(capsys, "--seal", "--seal-after", "0")
    assert (code, result["seals"], result["sealed"]) == (0, 2, AuditEvent.objects.count())


def test_an_edited_row_is_named(world, capsys):
    events = _events(world)
    with lifted("audit_auditevent") as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET actor_username = 'someone' WHERE id = %s", [events[1].pk]
        )
    code, result = _audit_verify(capsys)
    assert (code, result["first_bad_event"]) == (1, events[1].pk)
    assert "edited or forged" in result["reason"]


def test_a_forged_row_is_named(world, capsys):
    _events(world)
    newest = AuditEvent.objects.order_by("-pk").first()
    with connection.cursor() as cursor:
        # A copy of a real row with a made-up MAC: an INSERT the triggers allow.
        cursor.execute(
            "INSERT INTO audit_auditevent (occurred_at, actor_username, role, action, object_type,"
            " object_id, channel, correlation_id, changes, detail, mac, clinic_id, organization_id,"
            " patient_id, actor_id) SELECT occurred_at, actor_username, role, 'patient.update',"
            " object_type, object_id, channel, correlation_id, changes, detail,"
            " 'aaaa:' || mac, clinic_id, organization_id, patient_id, actor_id"
            " FROM audit_auditevent WHERE id = %s",
            [newest.pk],
        )
    forged = AuditEvent.objects.order_by("-pk").first()
    code, result = _audit_verify(capsys)
    assert (code, result["first_bad_event"]) == (1, forged.pk)


def test_a_deleted_sealed_row_is_named(world, capsys):
    events = _events(world)
    chain.seal(after=timedelta(0))
    with lifted("audit_auditevent") as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    code, result = _audit_verify(capsys)
    assert (code, result["first_bad_event"], result["reason"]) == (
        1,
        events[2].pk,
        "a sealed row was deleted",
    )


def test_a_mac_taken_off_is_named(world, capsys):
    events = _events(world)
    with lifted("audit_auditevent") as cursor:
        cursor.execute("UPDATE audit_auditevent SET mac = '' WHERE id = %s", [events[3].pk])
    code, result = _audit_verify(capsys)
    assert (code, result["first_bad_event"]) == (1, events[3].pk)


def test_rows_from_before_the_key_keep_verifying(world, capsys):
    events = _events(world)
    with lifted("audit_auditevent") as cursor:
        cursor.execute("UPDATE audit_auditevent SET mac = ''")
    assert _audit_verify(capsys)[0] == 0  # all legacy: nothing to check them by
    _events(world, 1)
    assert _audit_verify(capsys)[0] == 0  # legacy rows, then keyed: one switch
    with lifted("audit_auditevent") as cursor:
        cursor.execute("UPDATE audit_auditevent SET detail = '{}' WHERE id = %s", [events[0].pk])
    assert _audit_verify(capsys)[0] == 0  # a legacy row has no MAC: only a seal would tell


def test_the_restore_check_reports_the_audit_trail(world):
    from ketamine_clinic.web.backups import Manifest, verify_restored

    events = _events(world)
    manifest = Manifest(vendor=connection.vendor, taken_at="", tables={}, sha256="")
    assert verify_restored(manifest).audit_ok
    with lifted("audit_auditevent") as cursor:
        cursor.execute("UPDATE audit_auditevent SET role = 'x' WHERE id = %s", [events[0].pk])
    report = verify_restored(manifest)
    assert not report.audit_ok and not report.ok
    assert report.audit_detail.startswith(f"first bad event {events[0].pk}:")


def _ledger(world):
    product, supplier = stock_products(world)
    vial = receive(world, product, supplier).containers[0]
    for mg in ("10", "20", "30"):
        services.dispense_record(
            actor=world.nurse,
            signature=PASSWORD,
            container=vial,
            quantity_mg=mg,
            patient=world.patient1,
        )
    return list(LedgerEntry.objects.order_by("seq"))


def test_new_ledger_entries_are_keyed_and_a_plain_hash_cannot_replace_them(world):
    entries = _ledger(world)
    assert {e.scheme for e in entries} == {ledger.KEYED}
    one = entries[0]
    assert one.hash == ledger.entry_hash(
        one.previous_hash, one.chain_content(), scheme=ledger.KEYED, key=settings.CHAIN_KEY
    )
    assert one.hash != ledger.entry_hash(one.previous_hash, one.chain_content())
    assert services.verify().ok
    # Whoever can write the database edits the last entry and recomputes its hash without the
    # key, as plain SHA-256, as the chain was before: a downgrade, found.
    last = entries[-1]
    content = dict(last.chain_content(), reason="recount")
    plain = hashlib.sha256((last.previous_hash + ledger.canonical(content)).encode()).hexdigest()
    with lifted("inventory_ledgerentry") as cursor:
        cursor.execute(
            "UPDATE inventory_ledgerentry SET reason = 'recount', hash = %s, scheme = 'sha256'"
            " WHERE id = %s",
            [plain, last.pk],
        )
    result = services.verify()
    assert (result.ok, result.first_bad_entry) == (False, last.pk)


def test_a_chain_from_before_the_key_keeps_verifying_and_switches_once(world):
    entries = _ledger(world)
    # Make the first two entries what they were before the key: plain SHA-256.
    with lifted("inventory_ledgerentry") as cursor:
        previous = ledger.GENESIS_HASH
        for e in entries:
            scheme = ledger.PLAIN if e.seq <= 2 else ledger.KEYED
            digest = ledger.entry_hash(
                previous, e.chain_content(), scheme=scheme, key=settings.CHAIN_KEY
            )
            cursor.execute(
                "UPDATE inventory_ledgerentry SET previous_hash = %s, hash = %s, scheme = %s"
                " WHERE id = %s",
                [previous, digest, scheme, e.pk],
            )
            previous = digest
    assert services.verify().ok
    assert services.verify(from_checkpoint=True).ok


def test_the_pure_chain_refuses_a_scheme_going_back():
    content = {"a": "1"}
    key = b"k"
    first = ledger.ChainLink(
        1,
        ledger.GENESIS_HASH,
        ledger.entry_hash(ledger.GENESIS_HASH, content, scheme=ledger.KEYED, key=key),
        content,
        ledger.KEYED,
    )
    second = ledger.ChainLink(2, first.hash, ledger.entry_hash(first.hash, content), content)
    assert ledger.verify_chain([first], key=key).ok
    assert ledger.verify_chain([first, second], key=key).first_bad_entry == 2
    assert ledger.verify_chain([first], key=b"other").first_bad_entry == 1
    with pytest.raises(ValueError, match="needs its key"):
        ledger.entry_hash(ledger.GENESIS_HASH, content, scheme=ledger.KEYED)
