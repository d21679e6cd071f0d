"""The demo's controlled-substance stock: a month of entries, an inventory, one open discrepancy."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from ketamine_clinic.inventory import services
from ketamine_clinic.inventory.models import Discrepancy, InventoryCount, LedgerEntry
from ketamine_clinic.web import demo_inventory


def test_the_demo_has_a_month_of_entries_and_one_open_discrepancy(world):
    for staff in (world.nurse, world.prescriber):
        staff.set_password(demo_inventory.DEMO_PASSWORD)
        staff.save()
    demo_inventory.seed(
        random.Random(7), world.org, world.clinic1, [world.patient1], world.nurse, world.prescriber
    )
    entries = LedgerEntry.objects.filter(clinic=world.clinic1)
    first, last = entries.order_by("seq").first(), entries.order_by("seq").last()
    assert last.occurred_at - first.occurred_at > timedelta(days=25)
    assert {"receipt", "dispense", "waste"} <= set(entries.values_list("kind", flat=True))
    [open_one] = Discrepancy.objects.filter(resolved_at=None)
    assert open_one.difference_mg == Decimal("-4.5")
    inventory = InventoryCount.objects.get(kind="biennial")
    assert inventory.lines.count() == 3  # the three vials received
    assert not Discrepancy.objects.filter(line__count=inventory).exists()
    assert services.verify(world.clinic1).ok
