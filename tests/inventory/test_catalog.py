"""Products, suppliers and the count interval: set up by admins and prescribers, never across
organisations, and never rewriting the record of stock already received."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.accounts.access import AccessDenied
from ketamine_clinic.accounts.models import Clinic, Organization
from ketamine_clinic.accounts.permissions import MATRIX, Perm, Role
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.audit.selectors import AuditFilter, audit_events
from ketamine_clinic.inventory import catalog, services
from ketamine_clinic.inventory.models import Container, LedgerEntry, Product, Supplier, settings_for
from tests.conftest import PASSWORD, make_staff

API = "/api/v1/inventory"
SETTINGS = "clinic.settings_change"
PRODUCT = "ledger.product_change"
SUPPLIER = "ledger.supplier_change"
DENIED = "access.denied"

SPRAVATO = {
    "name": "Esketamine nasal spray (Spravato)",
    "ndc": "50458-028-02",
    "form": "56 mg kit (2 × 28 mg devices)",
    "mg_per_container": "56",
    "quantity_decimals": 0,
    "unit_mg": "28",
}


def _create_spravato(world, **more):
    return catalog.product_create(
        actor=world.prescriber, organization=world.org, **{**SPRAVATO, **more}
    )


def _errors(caught) -> dict[str, list[str]]:
    return caught.value.message_dict


def _audits(*actions: str) -> int:
    """Audit rows of these actions (default: every catalogue and settings change)."""
    wanted = actions or (PRODUCT, SUPPLIER, SETTINGS)
    return AuditEvent.objects.filter(action__in=wanted).count()


def _elsewhere():
    org = Organization.objects.create(name="Elsewhere Health", mrn_prefix="EH")
    clinic = Clinic.objects.create(organization=org, name="Elsewhere")
    admin = make_staff(org, "elsewhere_admin", clinic, "admin")
    product = Product.objects.create(
        organization=org,
        name="Their ketamine",
        ndc="0409-2051-05",
        form="100 mg/mL, 10 mL vial",
        mg_per_container=1000,
        ml_per_container=10,
    )
    supplier = Supplier.objects.create(
        organization=org, name="Their supplier", address="9 Far Rd", dea_number="RT1234563"
    )
    return org, clinic, admin, product, supplier


# --- the permission ----------------------------------------------------------------------------


def test_only_admins_and_prescribers_manage_inventory_settings(world, login):
    assert {role for role in Role if Perm.INVENTORY_SETTINGS in MATRIX[role]} == {
        Role.ADMIN,
        Role.PRESCRIBER,
    }
    body = login(world.nurse).get("/staff/roles/").content.decode()
    assert "Manage controlled-substance products, suppliers and the count interval" in body


@pytest.mark.parametrize("who", ["nurse", "frontdesk", "auditor"])
def test_other_roles_are_refused_everywhere_and_nothing_is_written(
    world, login, client, token_for, who
):
    staff = getattr(world, who)
    before = (Product.objects.count(), Supplier.objects.count(), _audits())
    with pytest.raises(AccessDenied):
        catalog.product_create(actor=staff, organization=world.org, **SPRAVATO)
    with pytest.raises(AccessDenied):
        catalog.supplier_create(
            actor=staff, organization=world.org, name="S", address="A", dea_number="RS1234563"
        )
    with pytest.raises(AccessDenied):
        catalog.count_interval_set(actor=staff, clinic=world.clinic1, hours=8)
    refusals = AuditEvent.objects.filter(action=DENIED, actor=staff)
    assert refusals.count() == 3
    assert {e.detail["permission"] for e in refusals} == {"inventory.settings"}
    assert {e.clinic_id for e in refusals} == {world.clinic1.pk}

    page = login(staff)
    assert page.get("/inventory/settings/").status_code == 403
    assert page.post("/inventory/settings/products/new/", {**SPRAVATO}).status_code == 403
    headers = token_for(staff)
    posted = client.post(f"{API}/products", SPRAVATO, content_type="application/json", **headers)
    assert posted.status_code == 403
    supplier = client.post(
        f"{API}/suppliers",
        {"name": "S", "address": "A", "dea_number": "RS1234563"},
        content_type="application/json",
        **headers,
    )
    assert supplier.status_code == 403
    assert (Product.objects.count(), Supplier.objects.count(), _audits()) == before
    assert settings_for(world.clinic1).count_every_hours == 24


def test_the_stock_page_links_the_settings_only_for_those_who_may(world, login):
    link = 'href="/inventory/settings/"'
    assert link in login(world.admin).get("/inventory/").content.decode()
    assert link in login(world.prescriber).get("/inventory/").content.decode()
    assert link not in login(world.nurse).get("/inventory/").content.decode()
    assert link not in login(world.auditor).get("/inventory/").content.decode()


# --- products ----------------------------------------------------------------------------------


def test_a_product_is_created_with_one_audit_row(world):
    before = AuditEvent.objects.count()
    product = _create_spravato(world)
    product.refresh_from_db()
    assert (product.ndc, product.mg_per_container, product.unit_mg) == (
        "50458-028-02",
        Decimal("56.0"),
        Decimal("28.0"),
    )
    assert product.quantity_decimals == 0 and product.active and product.dea_schedule == "CIII"
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.object_type, event.object_id) == (
        PRODUCT,
        "product",
        str(product.pk),
    )
    assert event.actor == world.prescriber
    assert event.changes["ndc"] == [None, "50458-028-02"]
    assert event.changes["mg_per_container"] == [None, "56"]
    assert "ml_per_container" not in event.changes  # none given
    assert event.detail == {"organization": world.org.pk}
    # The product is the organisation's, not one clinic's: its auditors see the event.
    assert event in audit_events(world.auditor, AuditFilter(action=PRODUCT))


@pytest.mark.parametrize(
    "ndc",
    [
        "",
        "   ",
        "0409 2051 05",
        "0409-2051-",
        "-0409-2051",
        "0409--2051",
        "O409-2051-05",
        "٠٤٠٩-٢٠٥١",
        "1" * 21,
    ],
)
def test_a_bad_ndc_is_named_and_nothing_is_written(world, ndc):
    before = (Product.objects.count(), _audits())
    with pytest.raises(ValidationError) as caught:
        _create_spravato(world, ndc=ndc)
    assert list(_errors(caught)) == ["ndc"]
    assert (Product.objects.count(), _audits()) == before


@pytest.mark.parametrize(
    ("more", "field", "message"),
    [
        ({"mg_per_container": "0"}, "mg_per_container", "Must be above zero."),
        ({"mg_per_container": "-56"}, "mg_per_container", "Must be above zero."),
        ({"mg_per_container": "abc"}, "mg_per_container", "Give a number."),
        ({"mg_per_container": "10000000"}, "mg_per_container", "Must be below 10000000."),
        # The column holds 0.1 mg.
        ({"mg_per_container": "56.25"}, "mg_per_container", "Give at most 1 decimal place(s)."),
        # 0 places: a full 56.5 mg kit could never be counted in whole mg.
        (
            {"mg_per_container": "56.5", "unit_mg": None},
            "mg_per_container",
            "A full container must be a quantity in the product's steps.",
        ),
        # 2 × 28 mg devices: 50 mg is not whole devices.
        (
            {"mg_per_container": "50"},
            "mg_per_container",
            "A product used whole holds whole units of 28 mg.",
        ),
        ({"quantity_decimals": 4}, "quantity_decimals", "Between 0 (whole mg) and 3 (0.001 mg)."),
        ({"quantity_decimals": -1}, "quantity_decimals", "Between 0 (whole mg) and 3 (0.001 mg)."),
        ({"ml_per_container": "0.001"}, "ml_per_container", "Give at most 2 decimal place(s)."),
        ({"name": " "}, "name", "Give the product's name."),
        ({"form": "x" * 61}, "form", "At most 60 characters."),
    ],
)
def test_bad_amounts_and_texts_are_named(world, more, field, message):
    before = (Product.objects.count(), _audits())
    with pytest.raises(ValidationError) as caught:
        _create_spravato(world, **more)
    assert _errors(caught) == {field: [message]}
    assert (Product.objects.count(), _audits()) == before


def test_one_product_per_ndc_in_an_organisation_but_another_may_use_it(world, stock):
    with pytest.raises(ValidationError) as caught:
        _create_spravato(world, ndc="0409-2051-05")
    assert _errors(caught) == {
        "ndc": [
            "Ketamine HCl injection (100 mg/mL, 10 mL vial) already has this NDC: one product "
            "per NDC."
        ]
    }
    org, _, admin, _, _ = _elsewhere()
    other = catalog.product_create(actor=admin, organization=org, **{**SPRAVATO})
    assert other.organization == org


def test_a_product_not_yet_received_can_change_anything(world):
    product = _create_spravato(world)
    before = _audits()
    catalog.product_update(
        actor=world.admin,
        product=product,
        changes={
            "ndc": "50458-028-03",
            "form": "84 mg kit (3 × 28 mg devices)",
            "mg_per_container": "84",
        },
    )
    product.refresh_from_db()
    assert (product.ndc, product.mg_per_container) == ("50458-028-03", Decimal("84.0"))
    assert _audits() == before + 1
    assert AuditEvent.objects.latest("id").changes == {
        "ndc": ["50458-028-02", "50458-028-03"],
        "form": ["56 mg kit (2 × 28 mg devices)", "84 mg kit (3 × 28 mg devices)"],
        "mg_per_container": ["56.0", "84"],
    }


def test_a_received_products_record_cannot_change_and_nothing_is_written(world, stock):
    product = stock.product
    before = (
        Product.objects.values_list("ndc", "form", "mg_per_container", "ml_per_container").get(
            pk=product.pk
        ),
        AuditEvent.objects.count(),
    )
    with pytest.raises(ValidationError) as caught:
        catalog.product_update(
            actor=world.admin,
            product=product,
            changes={
                "name": "Ketamine 50",
                "ndc": "0409-2051-10",
                "form": "50 mg/mL, 10 mL vial",
                "mg_per_container": "500",
                "quantity_decimals": 0,
            },
        )
    assert sorted(_errors(caught)) == ["form", "mg_per_container", "ndc", "quantity_decimals"]
    assert _errors(caught)["ndc"] == [
        "Stock has been received of this product: its NDC is part of that record and cannot "
        "change. Add a new product, and retire this one."
    ]
    after = (
        Product.objects.values_list("ndc", "form", "mg_per_container", "ml_per_container").get(
            pk=product.pk
        ),
        AuditEvent.objects.count(),
    )
    assert after == before
    assert Product.objects.get(pk=product.pk).name == "Ketamine HCl injection"


def test_a_received_product_may_be_renamed_and_retired_the_same_values_sent_back(world, stock):
    before = _audits()
    catalog.product_update(
        actor=world.prescriber,
        product=stock.product,
        # 1000 is the 1000.0 mg stored; 10 the 10.00 mL: not a change.
        changes={
            "name": "Ketamine hydrochloride injection",
            "mg_per_container": "1000",
            "ml_per_container": 10,
            "ndc": "0409-2051-05",
            "active": False,
        },
    )
    stock.product.refresh_from_db()
    assert stock.product.name == "Ketamine hydrochloride injection"
    assert not stock.product.active
    assert _audits() == before + 1
    assert AuditEvent.objects.latest("id").changes == {
        "name": ["Ketamine HCl injection", "Ketamine hydrochloride injection"],
        "active": ["True", "False"],
    }
    # Nothing new: nothing written.
    catalog.product_update(actor=world.prescriber, product=stock.product, changes={"active": False})
    assert _audits() == before + 1
    # Retired: its stock on hand stays usable, but no more is received.
    entry = services.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=stock.vial,
        quantity_mg="40",
        patient=world.patient1,
    )
    assert entry.balance_after_mg == Decimal("960.000")
    with pytest.raises(ValidationError) as caught:
        _receive(world, stock.product, stock.supplier)
    assert _errors(caught) == {"product": ["This product is retired: it is not received any more."]}


# --- suppliers ---------------------------------------------------------------------------------


def _receive(world, product, supplier, containers=1):
    return services.receipt_record(
        actor=world.nurse,
        signature=PASSWORD,
        clinic=world.clinic1,
        product=product,
        supplier=supplier,
        lot_number="SP2301",
        expires_on=timezone.localdate() + timedelta(days=300),
        invoice="INV-9001",
        containers=containers,
        label_prefix="S-",
    )


@pytest.mark.parametrize(
    ("dea_number", "message"),
    [
        ("", "Give the supplier's DEA number."),
        ("RM-123456", "Letters and digits only (e.g. RM1234563)."),
        ("RM 123456", "Letters and digits only (e.g. RM1234563)."),
        ("RM12345634", "At most 9 characters."),
    ],
)
def test_a_bad_dea_number_is_named_and_nothing_is_written(world, dea_number, message):
    before = (Supplier.objects.count(), _audits())
    with pytest.raises(ValidationError) as caught:
        catalog.supplier_create(
            actor=world.admin,
            organization=world.org,
            name="Cardinal",
            address="7 Dock St, Dublin OH",
            dea_number=dea_number,
        )
    assert _errors(caught) == {"dea_number": [message]}
    assert (Supplier.objects.count(), _audits()) == before


def test_a_supplier_is_created_with_its_dea_number_in_capitals_and_one_audit_row(world):
    before = AuditEvent.objects.count()
    supplier = catalog.supplier_create(
        actor=world.admin,
        organization=world.org,
        name=" Cardinal Health ",
        address="7 Dock St, Dublin OH",
        dea_number="rc1234563",
    )
    assert (supplier.name, supplier.dea_number, supplier.active) == (
        "Cardinal Health",
        "RC1234563",
        True,
    )
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.object_type) == (SUPPLIER, "supplier")
    assert event.changes["dea_number"] == [None, "RC1234563"]


def test_a_supplier_received_from_keeps_its_record_and_may_be_retired(world, stock):
    supplier = stock.supplier
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        catalog.supplier_update(
            actor=world.admin,
            supplier=supplier,
            changes={"dea_number": "RM7654325", "address": "2 New Rd"},
        )
    assert sorted(_errors(caught)) == ["address", "dea_number"]
    supplier.refresh_from_db()
    assert (supplier.dea_number, supplier.address) == ("RM1234563", "1 Supply Way, Columbus OH")
    assert AuditEvent.objects.count() == before

    catalog.supplier_update(actor=world.admin, supplier=supplier, changes={"active": False})
    assert AuditEvent.objects.count() == before + 1
    with pytest.raises(ValidationError) as caught:
        _receive(world, stock.product, supplier)
    assert _errors(caught) == {
        "supplier": ["This supplier is retired: stock is not received from it."]
    }


def test_a_supplier_not_yet_received_from_can_be_corrected(world):
    supplier = catalog.supplier_create(
        actor=world.admin,
        organization=world.org,
        name="Cardnal",
        address="7 Dock St",
        dea_number="RC1234563",
    )
    catalog.supplier_update(actor=world.prescriber, supplier=supplier, changes={"name": "Cardinal"})
    supplier.refresh_from_db()
    assert supplier.name == "Cardinal"
    assert AuditEvent.objects.latest("id").changes == {"name": ["Cardnal", "Cardinal"]}


# --- organisations -----------------------------------------------------------------------------


def test_another_organisations_products_and_suppliers_are_out_of_reach(
    world, stock, login, client, token_for
):
    org, _, _, product, supplier = _elsewhere()
    with pytest.raises(AccessDenied):
        catalog.product_update(actor=world.admin, product=product, changes={"name": "Mine"})
    with pytest.raises(AccessDenied):
        catalog.product_create(actor=world.admin, organization=org, **SPRAVATO)
    with pytest.raises(AccessDenied):
        catalog.supplier_update(actor=world.admin, supplier=supplier, changes={"active": False})

    page = login(world.admin)
    assert page.get(f"/inventory/settings/products/{product.pk}/").status_code == 404
    assert (
        page.post(f"/inventory/settings/suppliers/{supplier.pk}/", {"active": ""}).status_code
        == 404
    )
    body = page.get("/inventory/settings/").content.decode()
    assert "Their ketamine" not in body and "Their supplier" not in body

    headers = token_for(world.admin)
    patch = client.patch(
        f"{API}/products/{product.pk}", {"name": "Mine"}, content_type="application/json", **headers
    )
    assert patch.status_code == 404
    patch = client.patch(
        f"{API}/suppliers/{supplier.pk}",
        {"active": False},
        content_type="application/json",
        **headers,
    )
    assert patch.status_code == 404
    assert [p["id"] for p in client.get(f"{API}/products", **headers).json()] == [stock.product.pk]
    assert [s["id"] for s in client.get(f"{API}/suppliers", **headers).json()] == [
        stock.supplier.pk
    ]
    posted = client.post(
        f"{API}/products",
        {**SPRAVATO, "clinic_id": org.clinics.get().pk},
        content_type="application/json",
        **headers,
    )
    assert posted.status_code == 404

    product.refresh_from_db()
    supplier.refresh_from_db()
    assert product.name == "Their ketamine" and supplier.active
    assert not Product.objects.filter(organization=org, ndc="50458-028-02").exists()


# --- the count interval ------------------------------------------------------------------------


@pytest.mark.parametrize("hours", [0, -8, 745, 10_000])
def test_the_count_interval_is_between_1_hour_and_31_days(world, hours):
    with pytest.raises(ValidationError) as caught:
        catalog.count_interval_set(actor=world.admin, clinic=world.clinic1, hours=hours)
    assert _errors(caught) == {"count_every_hours": ["Between 1 and 744 hours (31 days)."]}
    assert settings_for(world.clinic1).count_every_hours == 24
    assert _audits() == 0


@pytest.mark.parametrize("hours", [1, 8, 168, 744])
def test_the_count_interval_is_set_with_one_audit_row(world, hours):
    catalog.count_interval_set(actor=world.prescriber, clinic=world.clinic1, hours=hours)
    assert settings_for(world.clinic1).count_every_hours == hours
    event = AuditEvent.objects.get(action=SETTINGS)
    assert (event.clinic, event.object_type) == (world.clinic1, "inventorysettings")
    assert event.changes == {"count_every_hours": ["24", str(hours)]}


def test_the_count_interval_is_not_a_number_of_hours_when_true(world):
    with pytest.raises(ValidationError):
        catalog.count_interval_set(actor=world.admin, clinic=world.clinic1, hours=True)


def test_the_count_interval_page_sets_it_for_the_chosen_clinic_only(world, stock, login):
    page = login(world.admin)
    refused = page.post(
        "/inventory/settings/", {"clinic": world.clinic1.pk, "count_every_hours": "745"}
    )
    assert refused.status_code == 200
    assert "Between 1 and 744 hours (31 days)." in refused.content.decode()
    done = page.post("/inventory/settings/", {"clinic": world.clinic1.pk, "count_every_hours": "8"})
    assert done.status_code == 302
    assert settings_for(world.clinic1).count_every_hours == 8
    # The admin holds no role at South.
    south = page.post(
        "/inventory/settings/", {"clinic": world.clinic2.pk, "count_every_hours": "8"}
    )
    assert south.status_code == 404
    assert settings_for(world.clinic2).count_every_hours == 24
    # The stock page counts from the new interval: the receipt, then 8 hours.
    first = LedgerEntry.objects.filter(clinic=world.clinic1).order_by("seq").first()
    # Shown in the clinic's time zone, with its abbreviation (issue #16 §3).
    zone = ZoneInfo(world.clinic1.timezone)
    due = timezone.localtime(first.occurred_at + timedelta(hours=8), zone)
    assert f"{due:%Y-%m-%d %H:%M %Z}" in page.get("/inventory/").content.decode()


# --- end to end --------------------------------------------------------------------------------


def test_a_fresh_organisation_sets_up_on_the_page_and_receives_stock(world, login):
    page = login(world.admin)
    assert "add one before receiving stock" in page.get("/inventory/settings/").content.decode()
    receive = page.get("/inventory/receive/").content.decode()
    assert "adds them under Products &amp; suppliers first" in receive

    bad = page.post(
        "/inventory/settings/products/new/",
        {**SPRAVATO, "ndc": "50458 028 02", "unit_mg": "28", "clinic": world.clinic1.pk},
    )
    assert bad.status_code == 200
    assert "Digits in hyphen-separated segments" in bad.content.decode()
    assert not Product.objects.exists()

    made = page.post(
        "/inventory/settings/products/new/",
        {
            "name": "Ketamine HCl injection",
            "ndc": "0409-2051-05",
            "form": "50 mg/mL, 10 mL vial",
            "mg_per_container": "500",
            "ml_per_container": "10",
            "quantity_decimals": "1",
            "unit_mg": "",
            "clinic": world.clinic1.pk,
        },
    )
    assert made.status_code == 302
    assert made["Location"] == f"/inventory/settings/?clinic={world.clinic1.pk}"
    supplied = page.post(
        "/inventory/settings/suppliers/new/",
        {
            "name": "Medline Pharma",
            "address": "1 Supply Way, Columbus OH",
            "dea_number": "RM1234563",
            "clinic": world.clinic1.pk,
        },
    )
    assert supplied.status_code == 302
    product, supplier = Product.objects.get(), Supplier.objects.get()
    assert (product.organization, supplier.organization) == (world.org, world.org)
    assert _audits() == 2
    body = page.get("/inventory/settings/").content.decode()
    assert "0409-2051-05" in body and "500 mg / 10 mL" in body and "RM1234563" in body

    nurse = login(world.nurse)
    received = nurse.post(
        "/inventory/receive/",
        {
            "clinic": world.clinic1.pk,
            "product": product.pk,
            "supplier": supplier.pk,
            "lot_number": "KX2402",
            "expires_on": (timezone.localdate() + timedelta(days=365)).isoformat(),
            "invoice": "INV-1001",
            "containers": "2",
            "label_prefix": "K-",
            "signature": PASSWORD,
        },
    )
    assert received.status_code == 302
    assert list(Container.objects.order_by("label").values_list("label", "balance_mg")) == [
        ("K-0001", Decimal("500.000")),
        ("K-0002", Decimal("500.000")),
    ]
    dose = services.dispense_record(
        actor=world.nurse,
        signature=PASSWORD,
        container=Container.objects.get(label="K-0001"),
        quantity_mg="41.2",  # 0.5 mg/kg for 82.4 kg
        patient=world.patient1,
    )
    assert dose.balance_after_mg == Decimal("458.800")
    assert services.verify(world.clinic1).ok

    # Now its record is fixed: the edit page shows the NDC but will not take a new one.
    page = login(world.prescriber)
    edit = page.get(f"/inventory/settings/products/{product.pk}/").content.decode()
    assert "Fixed: stock of this product has been received." in edit
    saved = page.post(
        f"/inventory/settings/products/{product.pk}/",
        {"name": "Ketamine HCl 50 mg/mL", "ndc": "9999-9999-99", "active": "on"},
    )
    assert saved.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.ndc) == ("Ketamine HCl 50 mg/mL", "0409-2051-05")


def test_retired_products_and_suppliers_are_not_offered_for_receipt(world, stock, login):
    catalog.product_update(actor=world.admin, product=stock.product, changes={"active": False})
    body = login(world.nurse).get("/inventory/receive/").content.decode()
    assert "Ketamine HCl injection" not in body
    assert "Medline Pharma" in body


# --- the API -----------------------------------------------------------------------------------


def _api(client, method, path, body, headers):
    return getattr(client, method)(
        f"{API}/{path}", body, content_type="application/json", **headers
    )


def test_api_creates_lists_and_patches_products_and_suppliers(world, client, token_for):
    headers = token_for(world.prescriber)
    made = _api(client, "post", "products", SPRAVATO, headers)
    assert made.status_code == 201
    assert made.json() == {
        "id": Product.objects.get().pk,
        "name": "Esketamine nasal spray (Spravato)",
        "ndc": "50458-028-02",
        "form": "56 mg kit (2 × 28 mg devices)",
        "mg_per_container": "56.0",
        "ml_per_container": None,
        "quantity_decimals": 0,
        "unit_mg": "28.0",
        "dea_schedule": "CIII",
        "active": True,
        "in_use": False,
    }
    product_id = made.json()["id"]
    supplier = _api(
        client,
        "post",
        "suppliers",
        {"name": "Medline", "address": "1 Supply Way", "dea_number": "RM1234563"},
        headers,
    )
    assert supplier.status_code == 201
    assert supplier.json()["dea_number"] == "RM1234563"
    assert _audits() == 2

    # A nurse reads them (to receive stock through the API) but cannot change them.
    nurse = token_for(world.nurse)
    assert [p["ndc"] for p in client.get(f"{API}/products", **nurse).json()] == ["50458-028-02"]
    assert [s["name"] for s in client.get(f"{API}/suppliers", **nurse).json()] == ["Medline"]
    assert (
        _api(client, "patch", f"products/{product_id}", {"active": False}, nurse).status_code == 403
    )
    assert client.get(f"{API}/products", **token_for(world.frontdesk)).status_code == 403

    receipt = _api(
        client,
        "post",
        "receipts",
        {
            "clinic_id": world.clinic1.pk,
            "product_id": product_id,
            "supplier_id": supplier.json()["id"],
            "lot_number": "SP-11",
            "expires_on": (timezone.localdate() + timedelta(days=200)).isoformat(),
            "invoice": "INV-2",
            "containers": 3,
            "label_prefix": "E-",
            "signature": PASSWORD,
        },
        nurse,
    )
    assert receipt.status_code == 201
    assert [Decimal(c["balance_mg"]) for c in receipt.json()] == [Decimal(56)] * 3

    refused = _api(
        client, "patch", f"products/{product_id}", {"unit_mg": "14", "name": "Spravato"}, headers
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["unit_mg"]
    assert Product.objects.get().name == "Esketamine nasal spray (Spravato)"
    renamed = _api(client, "patch", f"products/{product_id}", {"name": "Spravato 56 mg"}, headers)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Spravato 56 mg"
    assert renamed.json()["in_use"] is True
    assert _audits() == 3


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        ("products", {**SPRAVATO, "ndc": "50458/028/02"}, ["ndc"]),
        ("products", {**SPRAVATO, "mg_per_container": "many"}, ["mg_per_container"]),
        ("products", {**SPRAVATO, "dea_schedule": "CII"}, ["dea_schedule"]),
        ("products", {k: v for k, v in SPRAVATO.items() if k != "ndc"}, ["ndc"]),
        ("suppliers", {"name": "M", "address": "A", "dea_number": "RM12-3456"}, ["dea_number"]),
        ("suppliers", {"name": "M", "address": " ", "dea_number": "RM1234563"}, ["address"]),
    ],
)
def test_api_answers_422_naming_the_field(world, client, token_for, path, body, fields):
    response = _api(client, "post", path, body, token_for(world.admin))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == fields
    assert (Product.objects.count(), Supplier.objects.count(), _audits()) == (0, 0, 0)


def test_api_patch_of_a_received_supplier_names_the_fixed_field(world, stock, client, token_for):
    response = _api(
        client,
        "patch",
        f"suppliers/{stock.supplier.pk}",
        {"dea_number": "RM7654325"},
        token_for(world.admin),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "dea_number",
            "message": "Stock has been received from this supplier: its DEA number is part of "
            "that record and cannot change. Add the supplier anew, and retire this entry.",
        }
    ]
    stock.supplier.refresh_from_db()
    assert stock.supplier.dea_number == "RM1234563"
