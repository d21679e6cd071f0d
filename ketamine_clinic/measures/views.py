"""Staff pages of measurement-based care: the Measures tab, entry, links, worklist, alerts."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketamine_clinic.accounts.access import can, clinics_where, require
from ketamine_clinic.accounts.http import StaffRequest, chosen_clinic
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.services import record
from ketamine_clinic.clinical.instruments import INSTRUMENTS
from ketamine_clinic.patients import selectors as patient_selectors
from ketamine_clinic.patients.chart import chart_context
from ketamine_clinic.web.forms import add_service_errors

from . import selectors, services
from .charts import as_data_uri, score_chart_svg
from .forms import (
    AcknowledgeForm,
    CrisisResourcesForm,
    InstrumentForm,
    LicensedTextsForm,
    ScheduleForm,
    SendLinkForm,
)
from .models import LicensedItemTexts, MeasureSchedule, SafetyAlert
from .public import link_url


@login_required
def patient_measures(request: StaffRequest, patient_id: int) -> HttpResponse:
    context = chart_context(request, patient_id, "measures")
    patient = context["patient"]
    can_view = can(request.user, Perm.MEASURES_VIEW, patient.clinic)
    if can_view:
        treatments = selectors.treatment_times(patient)
        histories = [
            {
                "history": h,
                "chart": as_data_uri(score_chart_svg(h.instrument, h.points, treatments)),
            }
            for h in selectors.score_histories(patient)
        ]
        context["histories"] = histories
        context["assessments"] = patient.assessments.prefetch_related("answers").select_related(
            "entered_by"
        )
        context["alerts"] = patient.safety_alerts.select_related("acknowledged_by", "assessment")
    context.update(
        can_view_measures=can_view,
        can_enter=can(request.user, Perm.MEASURES_ENTER, patient.clinic),
        can_send=can(request.user, Perm.SELF_REPORT_SEND, patient.clinic),
        instruments=INSTRUMENTS.values(),
        links=selectors.self_report_links(patient)[:10],
        now=timezone.now(),
    )
    return render(request, "measures/chart_measures.html", context)


@login_required
def assessment_enter(request: StaffRequest, patient_id: int, instrument_id: str) -> HttpResponse:
    patient = patient_selectors.patient_for(request.user, patient_id)
    require(request.user, Perm.MEASURES_ENTER, patient.clinic, patient)
    instrument = INSTRUMENTS.get(instrument_id)
    if instrument is None:
        raise Http404("No such questionnaire.")
    licensed = selectors.licensed_texts(patient.clinic_id, instrument.id)
    form = InstrumentForm(request.POST or None, instrument=instrument, licensed_texts=licensed)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_record(
                actor=request.user,
                patient=patient,
                instrument_id=instrument.id,
                answers=form.answers(),
            )
        except ValidationError as error:
            add_service_errors(form, _on_item_fields(error))
        else:
            if assessment.status == "complete":
                messages.success(
                    request,
                    f"{instrument.name} recorded: {assessment.total}"
                    + (f" ({assessment.severity})" if assessment.severity else ""),
                )
            else:
                messages.warning(
                    request,
                    f"{instrument.name} saved as incomplete (items "
                    f"{', '.join(map(str, assessment.result['missing_items']))} unanswered): "
                    "it is not scored.",
                )
            if assessment.critical:
                messages.error(request, "A safety alert is open for this patient.")
            return redirect("measures:patient", patient_id=patient.pk)
    return render(
        request,
        "measures/assessment_form.html",
        {"patient": patient, "instrument": instrument, "form": form, "licensed": bool(licensed)},
    )


def _on_item_fields(error: ValidationError) -> ValidationError:
    """Name the form's fields (item_3) where the service names answers (answers.3)."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {
            key.replace("answers.", "item_") if key.startswith("answers.") else key: value
            for key, value in error.message_dict.items()
        }
    )


def qr_data_uri(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    buffer = io.BytesIO()
    image.save(buffer)
    return as_data_uri(buffer.getvalue().decode())


@login_required
def self_report_send(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = patient_selectors.patient_for(request.user, patient_id)
    require(request.user, Perm.SELF_REPORT_SEND, patient.clinic, patient)
    form = SendLinkForm(request.POST or None, initial={"email": patient.email})
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            issued = services.self_report_link_create(
                actor=request.user,
                patient=patient,
                instrument_ids=form.cleaned_data["instruments"],
                email_to=email,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            url = link_url(request, issued.token)
            emailed = bool(issued.link.emailed_to) and services.self_report_link_email(
                link=issued.link, url=url
            )
            return render(
                request,
                "measures/link_issued.html",
                {
                    "patient": patient,
                    "link": issued.link,
                    "url": url,
                    "emailed": emailed,
                    "qr": qr_data_uri(url),
                    "instruments": [INSTRUMENTS[i] for i in issued.link.instruments],
                },
            )
    return render(request, "measures/send_link.html", {"patient": patient, "form": form})


@login_required
@require_POST
def self_report_revoke(request: StaffRequest, patient_id: int, link_id: int) -> HttpResponse:
    patient = patient_selectors.patient_for(request.user, patient_id)
    link = get_object_or_404(patient.self_report_links, pk=link_id)
    try:
        services.self_report_link_revoke(actor=request.user, link=link)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The link no longer works.")
    return redirect("measures:patient", patient_id=patient.pk)


@login_required
def worklist(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.CHART_VIEW)
    return render(
        request,
        "measures/worklist.html",
        {
            "alerts": selectors.alerts_shown(
                request.user, selectors.open_safety_alerts(request.user), "worklist"
            ),
            "can_view_measures": can(request.user, Perm.MEASURES_VIEW),
            "due": selectors.due_questionnaires(request.user),
            "can_send": can(request.user, Perm.SELF_REPORT_SEND),
            "other_items": selectors.worklist_items(request.user),
        },
    )


@login_required
def alert_detail(request: StaffRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(selectors.safety_alerts(request.user), pk=alert_id)
    record(actor=request.user, action=Action.CHART_VIEW, patient=alert.patient, obj=alert)
    can_ack = can(request.user, Perm.ALERT_ACKNOWLEDGE, alert.clinic)
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.safety_alert_acknowledge(
                    actor=request.user,
                    alert=alert,
                    action=form.cleaned_data["action"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Safety alert acknowledged.")
                return redirect("measures:worklist")
        elif not can_ack:
            require(request.user, Perm.ALERT_ACKNOWLEDGE, alert.clinic, alert.patient)
    return render(
        request,
        "measures/alert_detail.html",
        {
            "alert": alert,
            "answers": alert.assessment.answers.all(),
            "instrument": INSTRUMENTS[alert.assessment.instrument_id],
            "form": form,
            "can_ack": can_ack,
        },
    )


@login_required
def licensed_texts_edit(request: StaffRequest, instrument_id: str) -> HttpResponse:
    require(request.user, Perm.SCHEDULE_MANAGE)
    instrument = INSTRUMENTS.get(instrument_id)
    if instrument is None or instrument.text_shipped:
        raise Http404("No such copyrighted questionnaire.")
    clinic = chosen_clinic(request, Perm.SCHEDULE_MANAGE)
    current = selectors.licensed_texts(clinic.pk, instrument.id)
    row = LicensedItemTexts.objects.filter(clinic=clinic, instrument_id=instrument.id).first()
    initial: dict[str, object] = {f"item_{n}": t for n, t in current.items()}
    initial["licence_note"] = row.licence_note if row else ""
    form = LicensedTextsForm(request.POST or None, instrument=instrument, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.licensed_texts_set(
                actor=request.user,
                clinic=clinic,
                instrument_id=instrument.id,
                texts=form.texts(),
                licence_note=form.cleaned_data["licence_note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{instrument.name} item texts saved for {clinic.name}.")
            return redirect(f"{reverse('measures:settings')}?clinic={clinic.pk}")
    return render(
        request,
        "measures/licensed_texts.html",
        {"instrument": instrument, "clinic": clinic, "form": form},
    )


@login_required
def measure_settings(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.SCHEDULE_MANAGE)
    clinics = clinics_where(request.user, Perm.SCHEDULE_MANAGE)
    clinic = chosen_clinic(request, Perm.SCHEDULE_MANAGE)
    schedule_form = ScheduleForm(request.POST if "trigger" in request.POST else None)
    crisis_form = CrisisResourcesForm(
        request.POST if "crisis_resources" in request.POST else None,
        initial={"crisis_resources": clinic.crisis_resources},
    )
    if request.method == "POST":
        try:
            if schedule_form.is_bound and schedule_form.is_valid():
                data = schedule_form.cleaned_data
                services.schedule_set(
                    actor=request.user,
                    clinic=clinic,
                    instrument_id=data["instrument"],
                    trigger=data["trigger"],
                    interval_days=data["interval_days"],
                    active=data["active"],
                )
                messages.success(request, "Schedule saved.")
                return redirect(f"{request.path}?clinic={clinic.pk}")
            if crisis_form.is_bound and crisis_form.is_valid():
                services.crisis_resources_set(
                    actor=request.user,
                    clinic=clinic,
                    text=crisis_form.cleaned_data["crisis_resources"],
                )
                messages.success(request, "Crisis resources saved.")
                return redirect(f"{request.path}?clinic={clinic.pk}")
        except ValidationError as error:
            add_service_errors(schedule_form if schedule_form.is_bound else crisis_form, error)
    return render(
        request,
        "measures/settings.html",
        {
            "clinic": clinic,
            "clinics": clinics,
            "rules": MeasureSchedule.objects.filter(clinic=clinic),
            "schedule_form": schedule_form,
            "crisis_form": crisis_form,
            "default_crisis": settings.DEFAULT_CRISIS_RESOURCES,
            "alert_actions": SafetyAlert.Action.choices,
            "copyrighted": [i for i in INSTRUMENTS.values() if not i.text_shipped],
            "licensed": set(
                LicensedItemTexts.objects.filter(clinic=clinic).values_list(
                    "instrument_id", flat=True
                )
            ),
        },
    )
