"""The patient's self-report pages: no account, a one-time link, a phone-sized page.

Every invalid case (unknown, expired, used, revoked token) answers the same neutral page,
and is audited. Requests are rate-limited per address.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from ketamine_clinic.accounts.http import public_link_rate_limited
from ketamine_clinic.clinical.instruments import INSTRUMENTS

from . import services
from .forms import InstrumentForm
from .models import Assessment, SafetyAlert, SelfReportLink, settings_for

_DONE_KEY = "self_report_done"


def _invalid(request: HttpRequest, token: str) -> HttpResponse:
    services.record_invalid_link(token)
    return render(request, "measures/public/invalid.html", status=404)


def _crisis_text(link: SelfReportLink) -> str:
    """The clinic's crisis resources once an answer on this link has opened a safety alert
    (in this visit or an earlier one), else ""."""
    if not SafetyAlert.objects.filter(assessment__self_report_link=link).exists():
        return ""
    return settings_for(link.clinic).crisis_resources or settings.DEFAULT_CRISIS_RESOURCES


def _progress(link: SelfReportLink) -> list[dict[str, Any]]:
    done = {
        a.instrument_id: a.status
        for a in Assessment.objects.filter(self_report_link=link).only("instrument_id", "status")
    }
    return [
        {"instrument": INSTRUMENTS[i], "status": done.get(i, "not started")}
        for i in link.instruments
    ]


def _guarded(request: HttpRequest, token: str) -> tuple[SelfReportLink | None, HttpResponse | None]:
    if public_link_rate_limited(request):
        return None, render(request, "measures/public/slow_down.html", status=429)
    link = services.open_link(token)
    if link is None:
        return None, _invalid(request, token)
    return link, None


@never_cache
def start(request: HttpRequest, token: str) -> HttpResponse:
    link, refusal = _guarded(request, token)
    if refusal or link is None:
        return refusal  # type: ignore[return-value]
    services.self_report_opened(link)
    progress = _progress(link)
    next_up = next((p for p in progress if p["status"] != "complete"), None)
    return render(
        request,
        "measures/public/start.html",
        {
            "first_name": link.patient.first_name_to_address,
            "clinic": link.clinic.name,
            "progress": progress,
            "next_up": next_up,
            "token": token,
            "expires_at": link.expires_at,
            "time_zone": link.clinic.timezone,
            "crisis": _crisis_text(link),
        },
    )


@never_cache
@csrf_protect
def questionnaire(request: HttpRequest, token: str, instrument_id: str) -> HttpResponse:
    link, refusal = _guarded(request, token)
    if refusal or link is None:
        return refusal  # type: ignore[return-value]
    if instrument_id not in link.instruments:
        return _invalid(request, token)
    instrument = INSTRUMENTS[instrument_id]
    saved = Assessment.objects.filter(self_report_link=link, instrument_id=instrument_id).first()
    if saved is not None and saved.status == Assessment.Status.COMPLETE:
        return redirect("self_report:start", token=token)
    initial = (
        {f"item_{a.item_number}": a.value for a in saved.answers.all() if a.value is not None}
        if saved
        else {}
    )
    if request.method == "GET":  # the page greets the patient and shows their saved answers
        services.self_report_opened(link, instrument_id)
    form = InstrumentForm(request.POST or None, instrument=instrument, initial=initial)
    missing: list[int] = []
    if request.method == "POST" and form.is_valid():
        answers = form.answers()
        missing = instrument.missing(answers)
        try:
            progress = services.self_report_save(
                token=token, instrument_id=instrument_id, answers=answers
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            if progress.link_finished:
                request.session[_DONE_KEY] = {
                    "first_name": link.patient.first_name_to_address,
                    "clinic": link.clinic.name,
                    "crisis": _crisis_text(link),
                }
                return redirect("self_report:done")
            if not missing:
                return redirect("self_report:start", token=token)
    return render(
        request,
        "measures/public/questionnaire.html",
        {
            "instrument": instrument,
            "form": form,
            "token": token,
            "first_name": link.patient.first_name_to_address,
            "missing": missing,
            "crisis": _crisis_text(link),
        },
        status=422 if missing else 200,
    )


@never_cache
def done(request: HttpRequest) -> HttpResponse:
    finished = request.session.get(_DONE_KEY)
    if not finished:
        return render(request, "measures/public/invalid.html", status=404)
    return render(request, "measures/public/done.html", finished)


def link_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("self_report:start", args=[token]))
