"""Chart pages. Views only translate HTTP: the selectors and services do the work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ketamine_clinic.accounts.access import can, clinics_where, require
from ketamine_clinic.accounts.http import StaffRequest
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.accounts.selectors import clinic_staff
from ketamine_clinic.clinical import icd10
from ketamine_clinic.common.forms import add_service_errors

from . import selectors, services
from .chart import chart_context
from .forms import (
    CareTeamForm,
    IndicationForm,
    MedicationForm,
    PatientForm,
    PatientRegisterForm,
    WeightForm,
)
from .models import Patient


@login_required
def patient_list(request: StaffRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    page = selectors.patient_search_page(request.user, query, request.GET.get("page"), 25)
    return render(
        request,
        "patients/patient_list.html",
        {
            "page": page,
            "query": query,
            "can_register": can(request.user, Perm.PATIENT_REGISTER),
        },
    )


@login_required
def patient_register(request: StaffRequest) -> HttpResponse:
    user = request.user
    clinics = clinics_where(user, Perm.PATIENT_REGISTER)
    clinical = can(user, Perm.CHART_CLINICAL_EDIT)
    form = PatientRegisterForm(request.POST or None, clinics=clinics, clinical=clinical)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_register(
                actor=user,
                clinic=form.cleaned_data["clinic"],
                details=form.details(),
                weight_kg=form.cleaned_data["weight_kg"],
                height_cm=form.cleaned_data["height_cm"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Registered {patient.display_name}, MRN {patient.mrn}.")
            return redirect("patients:chart", patient_id=patient.pk)
    return render(request, "patients/patient_form.html", {"form": form, "patient": None})


@login_required
def chart(request: StaffRequest, patient_id: int) -> HttpResponse:
    context = chart_context(request, patient_id, "overview")
    patient: Patient = context["patient"]
    context.update(
        indications=patient.indications.filter(removed_at=None),
        medications=patient.medications.all(),
        care_team=patient.care_team.select_related("staff"),
        indication_form=IndicationForm(),
        medication_form=MedicationForm(),
        care_team_form=CareTeamForm(staff=clinic_staff(patient.clinic)),
        catalogue=icd10.CATALOGUE,
    )
    return render(request, "patients/chart_overview.html", context)


@login_required
def chart_weights(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = selectors.patient_for(request.user, patient_id)
    require(request.user, Perm.CHART_CLINICAL_VIEW, patient.clinic, patient)
    context = chart_context(request, patient_id, "weights")
    patient = context["patient"]
    context.update(
        weights=patient.weights.select_related("recorded_by"),
        weight_form=WeightForm(jump_share=services.weight_jump_share(patient.clinic)),
    )
    return render(request, "patients/chart_weights.html", context)


@login_required
def chart_details(request: StaffRequest, patient_id: int) -> HttpResponse:
    context = chart_context(request, patient_id, "details")
    return render(request, "patients/chart_details.html", context)


@login_required
def patient_edit(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        patient = selectors.patient_for(user, patient_id)
    else:
        patient = selectors.patient_open(user, patient_id)  # the form shows the chart's details
    clinical = can(user, Perm.CHART_CLINICAL_EDIT, patient.clinic)
    form = PatientForm(request.POST or None, instance=patient, clinical=clinical)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.fields}
        try:
            services.patient_update(actor=user, patient=patient, changes=changes)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Details saved.")
            return redirect("patients:details", patient_id=patient.pk)
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient})


def _post_form(
    request: StaffRequest,
    patient_id: int,
    form_class: Any,
    action: Any,
    redirect_to: str,
    heading: str,
    form_kwargs: Callable[[Patient], dict[str, Any]] | None = None,
) -> HttpResponse:
    """Validate a small chart form, run its service, and come back to the chart."""
    patient = selectors.patient_for(request.user, patient_id)
    form = form_class(request.POST, **(form_kwargs(patient) if form_kwargs else {}))
    if form.is_valid():
        try:
            done = action(patient, form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(redirect_to, patient_id=patient.pk)
    context = {"form": form, "patient": patient, "heading": heading, "action": request.path}
    return render(request, "patients/small_form.html", context, status=422)


@login_required
@require_POST
def weight_add(request: StaffRequest, patient_id: int) -> HttpResponse:
    def action(patient: Patient, data: dict[str, Any]) -> str:
        row = services.weight_record(
            actor=request.user,
            patient=patient,
            weight_kg=data["weight_kg"],
            height_cm=data["height_cm"],
            measured_at=data["measured_at"],
            confirm_jump=data["confirm_jump"],
        )
        return f"Recorded {row.weight_kg} kg."

    return _post_form(request, patient_id, WeightForm, action, "patients:weights", "Record weight")


@login_required
@require_POST
def indication_add(request: StaffRequest, patient_id: int) -> HttpResponse:
    def action(patient: Patient, data: dict[str, Any]) -> str:
        row = services.indication_add(actor=request.user, patient=patient, **data)
        return f"Added {row.icd10_code} {row.description}."

    return _post_form(
        request,
        patient_id,
        IndicationForm,
        action,
        "patients:chart",
        "Add indication",
    )


@login_required
@require_POST
def medication_add(request: StaffRequest, patient_id: int) -> HttpResponse:
    def action(patient: Patient, data: dict[str, Any]) -> str:
        row = services.medication_add(actor=request.user, patient=patient, **data)
        return f"Added {row.name}."

    return _post_form(
        request,
        patient_id,
        MedicationForm,
        action,
        "patients:chart",
        "Add medication",
    )


@login_required
@require_POST
def care_team_add(request: StaffRequest, patient_id: int) -> HttpResponse:
    def action(patient: Patient, data: dict[str, Any]) -> str:
        row = services.care_team_add(actor=request.user, patient=patient, **data)
        return f"{row.staff} joined the care team."

    return _post_form(
        request,
        patient_id,
        CareTeamForm,
        action,
        "patients:chart",
        "Add to care team",
        lambda patient: {"staff": clinic_staff(patient.clinic)},
    )


@login_required
@require_POST
def indication_remove(request: StaffRequest, patient_id: int, indication_id: int) -> HttpResponse:
    patient = selectors.patient_for(request.user, patient_id)
    indication = get_object_or_404(patient.indications, pk=indication_id, removed_at=None)
    services.indication_remove(actor=request.user, indication=indication)
    messages.success(request, f"Removed {indication.icd10_code}.")
    return redirect("patients:chart", patient_id=patient.pk)


@login_required
@require_POST
def medication_stop(request: StaffRequest, patient_id: int, medication_id: int) -> HttpResponse:
    patient = selectors.patient_for(request.user, patient_id)
    medication = get_object_or_404(patient.medications, pk=medication_id)
    try:
        services.medication_stop(actor=request.user, medication=medication)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Stopped {medication.name}.")
    return redirect("patients:chart", patient_id=patient.pk)


@login_required
@require_POST
def care_team_remove(request: StaffRequest, patient_id: int, member_id: int) -> HttpResponse:
    patient = selectors.patient_for(request.user, patient_id)
    member = get_object_or_404(patient.care_team, pk=member_id)
    services.care_team_remove(actor=request.user, member=member)
    messages.success(request, f"{member.staff} left the care team.")
    return redirect("patients:chart", patient_id=patient.pk)
