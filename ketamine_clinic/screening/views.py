"""Pages of eligibility screening and consent."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from ketamine_clinic.accounts.access import can, require
from ketamine_clinic.accounts.http import StaffRequest, chosen_clinic, public_link_rate_limited
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.reads import find_one, read_one
from ketamine_clinic.audit.services import record
from ketamine_clinic.clinical import eligibility, icd10
from ketamine_clinic.common.forms import add_service_errors
from ketamine_clinic.common.http import client_ip
from ketamine_clinic.common.images import qr_data_uri
from ketamine_clinic.measures.selectors import score_histories
from ketamine_clinic.patients import selectors as patient_selectors
from ketamine_clinic.patients.chart import chart_context

from . import selectors, services
from .forms import (
    ConsentTemplateForm,
    IntakeForm,
    PatientIntakeForm,
    ReviewForm,
    SignForm,
    WithdrawForm,
    initial_from_patient_answers,
)
from .models import ClinicRuleSet, Consent, ConsentTemplate, Route, Screening, settings_for


@login_required
def patient_screening(request: StaffRequest, patient_id: int) -> HttpResponse:
    context = chart_context(request, patient_id, "screening")
    patient = context["patient"]
    can_view = can(request.user, Perm.SCREENING_VIEW, patient.clinic)
    context.update(
        can_view_screening=can_view,
        can_screen=can(request.user, Perm.SCREENING_ENTER, patient.clinic),
        can_collect=can(request.user, Perm.CONSENT_COLLECT, patient.clinic),
        can_send_intake=can(request.user, Perm.SELF_REPORT_SEND, patient.clinic),
        screenings=selectors.screenings_for(patient) if can_view else [],
        readiness=[
            (r, r.problems_for(request.user, patient.clinic))
            for r in (
                services.treatment_readiness(patient, route, actor=request.user)
                for route in Route.values
            )
        ],
        route_labels=dict(Route.choices),
        consents=patient.consents.select_related("template", "witness", "presented_by"),
        templates=services.current_templates(patient.clinic),
    )
    return render(request, "screening/chart_screening.html", context)


def _depressive(patient_id: int) -> bool:
    from ketamine_clinic.patients.models import Indication

    return any(
        icd10.is_depressive_disorder(code)
        for code in Indication.objects.filter(patient_id=patient_id, removed_at=None).values_list(
            "icd10_code", flat=True
        )
    )


@login_required
def screening_new(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = patient_selectors.patient_for(request.user, patient_id)
    require(request.user, Perm.SCREENING_ENTER, patient.clinic, patient)
    summary = patient_selectors.chart_summary(patient, request.user)
    initial = {
        "weight_kg": summary.latest_weight.weight_kg if summary.latest_weight else None,
        "height_cm": summary.latest_height_cm,
        "medication_classes": sorted(
            {
                m.ketamine_interaction_class
                for m in patient.medications.filter(stopped_on=None)
                if m.ketamine_interaction_class != "none"
            }
        ),
        "substance_use": "none",
    }
    own = services.latest_patient_answers(patient)
    if own is not None:
        initial.update(initial_from_patient_answers(own.answers))
    form = IntakeForm(request.POST or None, initial=initial)
    if request.method == "GET":  # the page shows the chart, the patient's answers and scores
        record(actor=request.user, action=Action.CHART_VIEW, patient=patient, obj=patient)
    if request.method == "POST" and form.is_valid():
        try:
            screening = services.screening_record(
                actor=request.user,
                patient=patient,
                intake=form.intake(
                    age_years=summary.age, depressive_indication=_depressive(patient.pk)
                ),
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("screening:detail", screening_id=screening.pk)
    return render(
        request,
        "screening/intake_form.html",
        {
            "patient": patient,
            "form": form,
            "own_answers": own,
            "scores": score_histories(patient) if can(request.user, Perm.MEASURES_VIEW) else [],
        },
    )


def _screening_for(request: StaffRequest, screening_id: int) -> Screening:
    """The screening, found like every record of a patient by the chart permission (another
    clinic's is 404); its findings are for those who see screenings (403, recorded)."""
    screening = find_one(
        request.user,
        Perm.CHART_VIEW,
        Screening.objects.select_related("patient", "clinic", "screened_by"),
        pk=screening_id,
    )
    require(request.user, Perm.SCREENING_VIEW, screening.clinic, screening.patient)
    return screening


@login_required
def screening_detail(request: StaffRequest, screening_id: int) -> HttpResponse:
    screening = _screening_for(request, screening_id)
    can_review = can(request.user, Perm.SCREENING_REVIEW, screening.clinic)
    form = ReviewForm(request.POST or None)
    if request.method == "POST":
        require(request.user, Perm.SCREENING_REVIEW, screening.clinic, screening.patient)
        if form.is_valid():
            try:
                services.screening_review(
                    actor=request.user,
                    screening=screening,
                    outcome=form.cleaned_data["outcome"],
                    reasoning=form.cleaned_data["reasoning"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Review recorded.")
                return redirect("screening:detail", screening_id=screening.pk)
    record(actor=request.user, action=Action.CHART_VIEW, patient=screening.patient, obj=screening)
    return render(
        request,
        "screening/screening_detail.html",
        {
            "screening": screening,
            "patient": screening.patient,
            "status": services.screening_status(screening),
            "override_allowed": settings_for(screening.clinic).allow_contraindication_override,
            "reviews": screening.reviews.select_related("reviewer"),
            "form": form,
            "can_review": can_review
            and screening.decision != Screening.Decision.ELIGIBLE
            and not screening.reviews.filter(reviewer=request.user).exists(),
            "conditions": eligibility.CONDITIONS,
            "intake_json": json.dumps(screening.intake, indent=2, sort_keys=True),
        },
    )


def _template_for(patient: Any, template_id: int) -> ConsentTemplate:
    """A consent text the patient's clinic uses (its own or the product's); 404 otherwise."""
    template = get_object_or_404(ConsentTemplate, pk=template_id)
    if template.clinic_id not in (None, patient.clinic_id):
        raise Http404("No such consent text.")
    return template


@login_required
def consent_sign(request: StaffRequest, patient_id: int, template_id: int) -> HttpResponse:
    patient = patient_selectors.patient_for(request.user, patient_id)
    require(request.user, Perm.CONSENT_COLLECT, patient.clinic, patient)
    template = _template_for(patient, template_id)
    form = SignForm(request.POST or None)
    if request.method == "GET":
        record(actor=request.user, action=Action.CHART_VIEW, patient=patient, obj=patient)
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.consent_sign(
                actor=request.user,
                patient=patient,
                template=template,
                signed_name=form.cleaned_data["signed_name"],
                signature_png=form.cleaned_data["signature"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            if "signature" in getattr(error, "message_dict", {}):
                form.add_error(None, error.message_dict["signature"])
        else:
            # The patient still holds the tablet: a staff member takes over with their password.
            return render(
                request,
                "screening/consent_signed_tablet.html",
                {"first_name": patient.first_name_to_address, "consent_id": consent.pk},
            )
    return render(
        request,
        "screening/consent_sign.html",
        {"patient": patient, "template": template, "form": form},
    )


_CONSENTS = Consent.objects.select_related("patient", "template", "witness", "presented_by")


def _consent_for(request: StaffRequest, consent_id: int) -> Consent:
    """The consent, found by the chart permission (front desk collects consents)."""
    return find_one(request.user, Perm.CHART_VIEW, _CONSENTS, pk=consent_id)


@login_required
def consent_detail(request: StaffRequest, consent_id: int) -> HttpResponse:
    consent = read_one(
        request.user, Perm.CHART_VIEW, _CONSENTS, action=Action.CHART_VIEW, pk=consent_id
    )
    return render(
        request,
        "screening/consent_detail.html",
        {
            "consent": consent,
            "patient": consent.patient,
            "can_collect": can(request.user, Perm.CONSENT_COLLECT, consent.clinic),
            "withdraw_form": WithdrawForm(),
        },
    )


@login_required
@require_POST
def consent_witness(request: StaffRequest, consent_id: int) -> HttpResponse:
    consent = _consent_for(request, consent_id)
    try:
        services.consent_witness(actor=request.user, consent=consent)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Witnessed. The PDF copy is kept with the consent.")
    return redirect("screening:consent", consent_id=consent.pk)


@login_required
@require_POST
def consent_withdraw(request: StaffRequest, consent_id: int) -> HttpResponse:
    consent = _consent_for(request, consent_id)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.consent_withdraw(
                actor=request.user, consent=consent, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Withdrawal recorded: no further session may start.")
    return redirect("screening:consent", consent_id=consent.pk)


@login_required
def consent_pdf(request: StaffRequest, consent_id: int) -> HttpResponse:
    consent = _consent_for(request, consent_id)
    if not consent.pdf:
        raise Http404("The PDF is made when the witness countersigns.")
    record(actor=request.user, action=Action.CONSENT_PDF, patient=consent.patient, obj=consent)
    return HttpResponse(
        bytes(consent.pdf),
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="consent-{consent.patient.mrn}-'
            f'{consent.pk}.pdf"'
        },
    )


def _json_fields(texts: dict[str, tuple[str, type]]) -> dict[str, Any]:
    """Parse each named JSON text, which must be of its type; ValidationError names each bad one."""
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, (text, kind) in texts.items():
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            errors[name] = (
                f"Not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
            )
            continue
        if not isinstance(value, kind):
            errors[name] = "Expected a JSON object." if kind is dict else "Expected a JSON list."
            continue
        parsed[name] = value
    if errors:
        raise ValidationError(errors)
    return parsed


def _named_messages(error: ValidationError) -> list[str]:
    """Each message of a service's ValidationError, prefixed with the field it is about."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    return [
        f"{name}: {message}"
        for name, messages in error.message_dict.items()
        for message in messages
    ]


@login_required
def rules(request: StaffRequest) -> HttpResponse:
    clinic = chosen_clinic(request, Perm.RULES_MANAGE)
    latest = ClinicRuleSet.objects.filter(clinic=clinic).first()
    errors: list[str] = []
    thresholds_text = json.dumps(latest.thresholds if latest else {}, indent=2)
    rules_text = json.dumps(latest.extra_rules if latest else [], indent=2)
    if request.method == "POST":
        thresholds_text = request.POST.get("thresholds", "{}")
        rules_text = request.POST.get("extra_rules", "[]")
        try:
            documents = _json_fields(
                {
                    "thresholds": (thresholds_text or "{}", dict),
                    "extra_rules": (rules_text or "[]", list),
                }
            )
            services.ruleset_change(
                actor=request.user,
                clinic=clinic,
                thresholds=documents["thresholds"],
                extra_rules=documents["extra_rules"],
                note=request.POST.get("note", ""),
            )
        except ValidationError as error:
            errors = _named_messages(error)
        else:
            messages.success(request, "A new version of the clinic's rules is in force.")
            return redirect(f"{request.path}?clinic={clinic.pk}")
    ruleset = services.current_ruleset(clinic)
    return render(
        request,
        "screening/rules.html",
        {
            "clinic": clinic,
            "ruleset": ruleset,
            "thresholds": vars(ruleset.thresholds),
            "versions": ClinicRuleSet.objects.filter(clinic=clinic).select_related("created_by"),
            "thresholds_text": thresholds_text,
            "rules_text": rules_text,
            "errors": errors,
            "templates": services.current_templates(clinic),
            "template_form": ConsentTemplateForm(),
        },
    )


@login_required
@require_POST
def consent_template_new(request: StaffRequest) -> HttpResponse:
    clinic = chosen_clinic(request, Perm.RULES_MANAGE)
    form = ConsentTemplateForm(request.POST)
    if form.is_valid():
        try:
            template = services.consent_template_change(
                actor=request.user,
                clinic=clinic,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(_named_messages(error)))
        else:
            messages.success(request, f"{template.title} v{template.version} is now in use.")
    else:
        messages.error(
            request,
            " ".join(
                f"{name}: {error['message']}"
                for name, errors in form.errors.get_json_data().items()
                for error in errors
            ),
        )
    return redirect(f"/screening/rules/?clinic={clinic.pk}")


@login_required
@require_POST
def consent_link_new(request: StaffRequest, patient_id: int, template_id: int) -> HttpResponse:
    patient = patient_selectors.patient_for(request.user, patient_id)
    template = _template_for(patient, template_id)
    try:
        issued = services.consent_link_create(
            actor=request.user, patient=patient, template=template
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("screening:patient", patient_id=patient.pk)
    url = request.build_absolute_uri(reverse("consent_link:sign", args=[issued.token]))
    return render(
        request,
        "screening/link_issued.html",
        {
            "patient": patient,
            "kind": "consent",
            "what": f"{issued.link.template.title} v{issued.link.template.version} (a staff "
            "member countersigns as witness afterwards, from the chart)",
            "expires_at": issued.link.expires_at,
            "url": url,
            "qr": qr_data_uri(url),
        },
    )


@never_cache
@csrf_protect
def consent_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's own page for reading and signing a consent (no account)."""
    link = _open_patient_link(request, token, "consent")
    if isinstance(link, HttpResponse):
        return link
    form = SignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_sign_by_link(
                token=token,
                signed_name=form.cleaned_data["signed_name"],
                signature_png=form.cleaned_data["signature"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            if "signature" in getattr(error, "message_dict", {}):
                form.add_error(None, error.message_dict["signature"])
        else:
            request.session["consent_signed"] = link.patient.first_name_to_address
            return redirect("consent_link:done")
    return render(
        request,
        "screening/consent_public.html",
        {
            "template": link.template,
            "form": form,
            "first_name": link.patient.first_name_to_address,
            "clinic": link.clinic.name,
        },
    )


@never_cache
def consent_by_link_done(request: HttpRequest) -> HttpResponse:
    return _done(request, "consent_signed", "screening/consent_public_done.html")


@login_required
@require_POST
def intake_link_new(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = patient_selectors.patient_for(request.user, patient_id)
    issued = services.intake_link_create(actor=request.user, patient=patient)
    url = request.build_absolute_uri(reverse("intake_link:answer", args=[issued.token]))
    return render(
        request,
        "screening/link_issued.html",
        {
            "patient": patient,
            "kind": "intake",
            "what": "The intake questionnaire (the patient's history)",
            "expires_at": issued.link.expires_at,
            "url": url,
            "qr": qr_data_uri(url),
        },
    )


@never_cache
@csrf_protect
def intake_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The patient answers the history part of the intake on their own device."""
    link = _open_patient_link(request, token, "intake")
    if isinstance(link, HttpResponse):
        return link
    form = PatientIntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.intake_link_submit(token=token, answers=form.answers())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            request.session["intake_done"] = link.patient.first_name_to_address
            return redirect("intake_link:done")
    return render(
        request,
        "screening/intake_public.html",
        {
            "form": form,
            "first_name": link.patient.first_name_to_address,
            "clinic": link.clinic.name,
        },
    )


@never_cache
def intake_by_link_done(request: HttpRequest) -> HttpResponse:
    return _done(request, "intake_done", "screening/intake_public_done.html")


def _open_patient_link(request: HttpRequest, token: str, kind: str) -> Any:
    """The usable consent or intake link for this token (its showing audited), or the page to
    answer instead: the rate limit, or the one neutral page for every invalid case (audited)."""
    if public_link_rate_limited(request):
        return render(request, "measures/public/slow_down.html", status=429)
    opener = services.open_consent_link if kind == "consent" else services.open_intake_link
    link = opener(token)
    if link is None:
        services.record_invalid_patient_link(token, kind)
        return render(request, "measures/public/invalid.html", status=404)
    if request.method == "GET":
        services.patient_link_viewed(link, kind)
    return link


def _done(request: HttpRequest, session_key: str, template: str) -> HttpResponse:
    """The patient's thank-you page, shown once the link did its work."""
    first_name = request.session.get(session_key)
    if not first_name:
        return render(request, "measures/public/invalid.html", status=404)
    return render(request, template, {"first_name": first_name})
