"""The Products & suppliers page: what a clinic sets up before it can receive stock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from ketamine_clinic.accounts.access import clinics_where, require
from ketamine_clinic.accounts.http import StaffRequest, chosen_clinic
from ketamine_clinic.accounts.models import Clinic, Organization, StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.common.forms import add_service_errors

from . import catalog, selectors
from .forms import CatalogForm, CountIntervalForm, ProductForm, SupplierForm
from .models import settings_for


def _settings_url(clinic: Clinic) -> str:
    return f"{reverse('inventory:settings')}?clinic={clinic.pk}"


def _clinic_of(request: StaffRequest, organization: Organization) -> Clinic:
    """The user's clinic of `organization` where they manage inventory settings (to return to)."""
    return (
        clinics_where(request.user, Perm.INVENTORY_SETTINGS)
        .filter(organization=organization)
        .order_by("name")
        .first()
    ) or chosen_clinic(request, Perm.INVENTORY_SETTINGS)


@login_required
def settings_page(request: StaffRequest) -> HttpResponse:
    clinic = chosen_clinic(request, Perm.INVENTORY_SETTINGS)
    form = CountIntervalForm(
        request.POST or None, initial={"count_every_hours": settings_for(clinic).count_every_hours}
    )
    if request.method == "POST" and form.is_valid():
        hours = form.cleaned_data["count_every_hours"]
        try:
            catalog.count_interval_set(actor=request.user, clinic=clinic, hours=hours)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{clinic.name} counts its stock every {hours} hours.")
            return redirect(_settings_url(clinic))
    organization = clinic.organization_id
    return render(
        request,
        "inventory/settings.html",
        {
            "clinic": clinic,
            "clinics": clinics_where(request.user, Perm.INVENTORY_SETTINGS),
            "products": selectors.products_for(request.user, Perm.INVENTORY_SETTINGS).filter(
                organization=organization
            ),
            "suppliers": selectors.suppliers_for(request.user, Perm.INVENTORY_SETTINGS).filter(
                organization=organization
            ),
            "form": form,
        },
    )


def _edit_page(request: StaffRequest, form: Any, heading: str, clinic: Clinic) -> HttpResponse:
    return render(
        request,
        "inventory/settings_form.html",
        {"form": form, "heading": heading, "clinic": clinic, "back": _settings_url(clinic)},
    )


@dataclass(frozen=True)
class _Page:
    """One kind of catalogue record on the settings pages."""

    kind: catalog.CatalogKind
    form: type[CatalogForm]
    rows: Callable[[StaffMember, Perm], QuerySet[Any]]
    noun: str  # "product": the headings say "Add a product", "Product: …"
    added: Callable[[Any], str]  # the message after adding one


def _creating(page: _Page) -> Callable[[StaffRequest], HttpResponse]:
    @login_required
    def create(request: StaffRequest) -> HttpResponse:
        clinic = chosen_clinic(request, Perm.INVENTORY_SETTINGS)
        form = page.form(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                row = catalog.catalog_create(
                    page.kind,
                    actor=request.user,
                    organization=clinic.organization,
                    given=form.cleaned_data,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, page.added(row))
                return redirect(_settings_url(clinic))
        return _edit_page(request, form, f"Add a {page.noun}", clinic)

    return create


def _editing(page: _Page) -> Callable[..., HttpResponse]:
    @login_required
    def edit(request: StaffRequest, **ids: int) -> HttpResponse:
        require(request.user, Perm.INVENTORY_SETTINGS)
        (row_id,) = ids.values()
        row = get_object_or_404(page.rows(request.user, Perm.INVENTORY_SETTINGS), pk=row_id)
        clinic = _clinic_of(request, row.organization)
        fixed = page.kind.fixed_once_received if row.in_use else ()
        initial = {field: getattr(row, field) for field in page.kind.fields}
        form = page.form(request.POST or None, initial=initial, fixed=fixed, editing=True)
        if request.method == "POST" and form.is_valid():
            try:
                catalog.catalog_update(
                    page.kind, actor=request.user, row=row, changes=form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Saved {form.cleaned_data['name']}.")
                return redirect(_settings_url(clinic))
        return _edit_page(request, form, f"{page.noun.capitalize()}: {row.name}", clinic)

    return edit


_PRODUCTS = _Page(
    catalog.PRODUCTS,
    ProductForm,
    selectors.products_for,
    "product",
    lambda product: f"Added {product.name} ({product.form}).",
)
_SUPPLIERS = _Page(
    catalog.SUPPLIERS,
    SupplierForm,
    selectors.suppliers_for,
    "supplier",
    lambda supplier: f"Added {supplier.name}.",
)
product_create = _creating(_PRODUCTS)
product_edit = _editing(_PRODUCTS)
supplier_create = _creating(_SUPPLIERS)
supplier_edit = _editing(_SUPPLIERS)
