from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from ketamine_clinic.inventory import services
from ketamine_clinic.inventory.models import Container, Product, Supplier
from tests.conftest import PASSWORD


@dataclass
class Stock:
    product: Product
    supplier: Supplier
    vial: Container  # 1000 mg (100 mg/mL, 10 mL)


def receive(world, product, supplier, *, containers=1, prefix="V-", expires=None):
    return services.receipt_record(
        actor=world.nurse,
        signature=PASSWORD,
        clinic=world.clinic1,
        product=product,
        supplier=supplier,
        lot_number="KX2201",
        expires_on=expires or (timezone.localdate() + timedelta(days=400)),
        invoice="INV-778",
        containers=containers,
        label_prefix=prefix,
    )


def stock_products(world) -> tuple[Product, Supplier]:
    """Make the ketamine vial product and a supplier of the organisation."""
    product = Product.objects.create(
        organization=world.org,
        name="Ketamine HCl injection",
        ndc="0409-2051-05",
        form="100 mg/mL, 10 mL vial",
        mg_per_container=1000,
        ml_per_container=10,
    )
    supplier = Supplier.objects.create(
        organization=world.org,
        name="Medline Pharma",
        address="1 Supply Way, Columbus OH",
        dea_number="RM1234563",
    )
    return product, supplier


@pytest.fixture
def stock(world) -> Stock:
    product, supplier = stock_products(world)
    receipt = receive(world, product, supplier)
    return Stock(product=product, supplier=supplier, vial=receipt.containers[0])
