"""The Products & suppliers page: what a clinic sets up before it can receive stock."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from ketamine_clinic.accounts.access import clinics_where, require
from ketamine_clinic.accounts.http import StaffRequest, chosen_clinic
from ketamine_clinic.accounts.models import Clinic, Organization
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.common.forms import add_service_errors

from . import catalog, selectors
from .forms import CountIntervalForm, ProductForm, SupplierForm
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


@login_required
def product_create(request: StaffRequest) -> HttpResponse:
    clinic = chosen_clinic(request, Perm.INVENTORY_SETTINGS)
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = catalog.product_create(
                actor=request.user, organization=clinic.organization, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Added {product.name} ({product.form}).")
            return redirect(_settings_url(clinic))
    return _edit_page(request, form, "Add a product", clinic)


@login_required
def product_edit(request: StaffRequest, product_id: int) -> HttpResponse:
    require(request.user, Perm.INVENTORY_SETTINGS)
    product = get_object_or_404(
        selectors.products_for(request.user, Perm.INVENTORY_SETTINGS), pk=product_id
    )
    clinic = _clinic_of(request, product.organization)
    fixed = catalog.PRODUCT_FIXED_ONCE_RECEIVED if product.in_use else ()  # type: ignore[attr-defined]
    initial = {field: getattr(product, field) for field in catalog.PRODUCT_FIELDS}
    form = ProductForm(request.POST or None, initial=initial, fixed=fixed, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            catalog.product_update(actor=request.user, product=product, changes=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Saved {form.cleaned_data['name']}.")
            return redirect(_settings_url(clinic))
    return _edit_page(request, form, f"Product: {product.name}", clinic)


@login_required
def supplier_create(request: StaffRequest) -> HttpResponse:
    clinic = chosen_clinic(request, Perm.INVENTORY_SETTINGS)
    form = SupplierForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            supplier = catalog.supplier_create(
                actor=request.user, organization=clinic.organization, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Added {supplier.name}.")
            return redirect(_settings_url(clinic))
    return _edit_page(request, form, "Add a supplier", clinic)


@login_required
def supplier_edit(request: StaffRequest, supplier_id: int) -> HttpResponse:
    require(request.user, Perm.INVENTORY_SETTINGS)
    supplier = get_object_or_404(
        selectors.suppliers_for(request.user, Perm.INVENTORY_SETTINGS), pk=supplier_id
    )
    clinic = _clinic_of(request, supplier.organization)
    fixed = catalog.SUPPLIER_FIXED_ONCE_RECEIVED if supplier.in_use else ()  # type: ignore[attr-defined]
    initial = {field: getattr(supplier, field) for field in catalog.SUPPLIER_FIELDS}
    form = SupplierForm(request.POST or None, initial=initial, fixed=fixed, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            catalog.supplier_update(
                actor=request.user, supplier=supplier, changes=form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Saved {form.cleaned_data['name']}.")
            return redirect(_settings_url(clinic))
    return _edit_page(request, form, f"Supplier: {supplier.name}", clinic)
