"""Writes of measurement-based care: responses, self-report links, safety alerts, schedules.

Each public function is one business action in one transaction with its audit row. A critical
answer opens its safety alert in the same transaction as the response that carries it, so no
path (UI, API, self-report) can store a critical answer without its alert.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ketamine_clinic.accounts.access import require
from ketamine_clinic.accounts.models import Clinic, StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.accounts.services import token_hash
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.reads import find_one
from ketamine_clinic.audit.services import record
from ketamine_clinic.clinical.instruments import INSTRUMENTS, AnswerError, Instrument
from ketamine_clinic.patients.models import Patient

from .models import (
    Assessment,
    AssessmentAnswer,
    LicensedItemTexts,
    MeasureDue,
    MeasureSchedule,
    MeasuresSettings,
    SafetyAlert,
    SelfReportLink,
)

logger = logging.getLogger(__name__)

SELF_REPORT_ACTOR = "patient (self-report link)"


def _now() -> datetime:
    return timezone.now()


def _instrument(instrument_id: str, field: str = "instrument") -> Instrument:
    try:
        return INSTRUMENTS[instrument_id]
    except KeyError:
        raise ValidationError({field: f"Unknown instrument {instrument_id!r}."}) from None


def normalise_answers(
    instrument: Instrument, answers: Sequence[int | None] | Mapping[int, int | None]
) -> dict[int, int | None]:
    """Return {item number: value} for a list (in item order) or a mapping of answers.

    Refuses answers for items the instrument does not have, values outside an item's options
    and answers to items its skip logic leaves out (ValidationError naming the item);
    unanswered items map to None.
    """
    numbers = [item.number for item in instrument.items]
    if isinstance(answers, Mapping):
        unknown = sorted(set(answers) - set(numbers))
        if unknown:
            raise ValidationError(
                {"answers": f"{instrument.name} has no item {unknown[0]} (1–{len(numbers)})."}
            )
        given = {n: answers.get(n) for n in numbers}
    else:
        values = list(answers)
        if len(values) > len(numbers):
            raise ValidationError(
                {"answers": f"{instrument.name} has {len(numbers)} items, not {len(values)}."}
            )
        given = {n: (values[i] if i < len(values) else None) for i, n in enumerate(numbers)}
    try:
        instrument.check_partial(given)
    except AnswerError as error:
        raise ValidationError({f"answers.{error.item}": error.message}) from error
    return given


def _store_response(
    assessment: Assessment, instrument: Instrument, answers: dict[int, int | None]
) -> Assessment:
    """Score the answers if complete (else keep them unscored) and store them item by item.

    An incomplete response has no total, but a critical answer in it still counts (e.g. PHQ-9
    item 9 above 0 with item 4 unanswered): `critical` is set from the answers given.
    """
    missing = instrument.missing(answers)
    if missing:
        critical_items = instrument.critical_items(
            tuple(answers[item.number] for item in instrument.items)
        )
        assessment.status = Assessment.Status.INCOMPLETE
        assessment.total = None
        assessment.severity = ""
        assessment.critical = bool(critical_items)
        assessment.result = {"missing_items": missing}
        if critical_items:
            assessment.result["critical_items"] = list(critical_items)
        assessment.completed_at = None
    else:
        try:
            score = instrument.score([answers[item.number] for item in instrument.items])
        except AnswerError as error:
            raise ValidationError({f"answers.{error.item}": error.message}) from error
        assessment.status = Assessment.Status.COMPLETE
        assessment.total = score.total
        assessment.severity = score.severity or ""
        assessment.critical = score.critical
        assessment.result = score.as_dict()
        assessment.completed_at = _now()
    assessment.full_clean(exclude=["self_report_link"])
    assessment.save()
    assessment.answers.all().delete()
    AssessmentAnswer.objects.bulk_create(
        AssessmentAnswer(
            assessment=assessment,
            item_number=item.number,
            value=answers[item.number],
            loinc=item.loinc or "",
        )
        for item in instrument.items
    )
    return assessment


def _satisfy_due(assessment: Assessment) -> None:
    """Mark the worklist items a complete response satisfies.

    Those due on or before the day it was given; a before-session item also by a response
    given the day before the session. A day-after-session item is never satisfied by a
    response given before that day (it measures the effect of the session).
    """
    day = timezone.localtime(assessment.administered_at).date()
    MeasureDue.objects.filter(
        patient=assessment.patient,
        instrument_id=assessment.instrument_id,
        satisfied_by=None,
    ).filter(
        Q(due_on__lte=day)
        | Q(
            schedule__trigger=MeasureSchedule.Trigger.BEFORE_SESSION,
            due_on=day + timedelta(days=1),
        )
    ).update(satisfied_by=assessment, updated_at=_now())


def _after_save(assessment: Assessment, instrument: Instrument) -> SafetyAlert | None:
    """Mark what a complete response satisfies; open the alert of a critical one (or return
    the one its earlier, incomplete save opened)."""
    if assessment.status == Assessment.Status.COMPLETE:
        _satisfy_due(assessment)
    if not assessment.critical:
        return None
    existing = SafetyAlert.objects.filter(assessment=assessment).first()
    if existing is not None:
        return existing
    items = ", ".join(str(n) for n in assessment.result.get("critical_items", []))
    reason = f"{instrument.name}: critical answer"
    if items:
        reason += f" on item {items}"
    risk = assessment.result.get("risk")
    if risk:
        reason += f" (risk {risk})"
    if assessment.status == Assessment.Status.INCOMPLETE:
        reason += " (response not finished)"
    alert = SafetyAlert.objects.create(
        clinic=assessment.clinic,
        patient=assessment.patient,
        assessment=assessment,
        reason=reason,
        opened_at=_now(),
    )
    record(
        actor=assessment.entered_by,
        actor_username="" if assessment.entered_by else SELF_REPORT_ACTOR,
        action=Action.SAFETY_ALERT_OPEN,
        patient=assessment.patient,
        obj=alert,
        detail={"reason": reason, "assessment": assessment.pk},
    )
    return alert


def assessment_record(
    *,
    actor: StaffMember,
    patient: Patient,
    instrument_id: str,
    answers: Sequence[int | None] | Mapping[int, int | None],
    administered_at: datetime | None = None,
) -> Assessment:
    """Record a clinician-entered response; a complete one is scored, a critical one alerts."""
    require(actor, Perm.MEASURES_ENTER, patient.clinic, patient)
    instrument = _instrument(instrument_id)
    given = normalise_answers(instrument, answers)
    if all(value is None for value in given.values()):
        raise ValidationError({"answers": "No item is answered."})
    administered_at = administered_at or _now()
    if timezone.is_naive(administered_at):
        raise ValidationError({"administered_at": "Give the time with its UTC offset."})
    if administered_at > _now() + timedelta(minutes=5):
        raise ValidationError({"administered_at": "This time is in the future."})
    with transaction.atomic():
        assessment = _store_response(
            Assessment(
                clinic=patient.clinic,
                patient=patient,
                instrument_id=instrument.id,
                source=Assessment.Source.CLINICIAN,
                administered_at=administered_at,
                entered_by=actor,
            ),
            instrument,
            given,
        )
        record(
            actor=actor,
            action=Action.ASSESSMENT_RECORD,
            patient=patient,
            obj=assessment,
            detail={
                "instrument": instrument.id,
                "status": assessment.status,
                "total": assessment.total,
                "answers": {str(k): v for k, v in given.items()},
            },
        )
        _after_save(assessment, instrument)
    return assessment


# --- self-report links -------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedLink:
    link: SelfReportLink
    token: str  # 256 random bits, URL-safe; shown once, only its hash is stored


def self_report_link_create(
    *,
    actor: StaffMember,
    patient: Patient,
    instrument_ids: Sequence[str],
    email_to: str = "",
) -> IssuedLink:
    """Make a one-time link for the patient to answer these self-report questionnaires."""
    require(actor, Perm.SELF_REPORT_SEND, patient.clinic, patient)
    email_to = email_to.strip()
    if email_to:
        try:
            validate_email(email_to)
        except ValidationError:
            raise ValidationError({"email": "Enter a valid e-mail address."}) from None
    ids = list(dict.fromkeys(instrument_ids))
    if not ids:
        raise ValidationError({"instruments": "Choose at least one questionnaire."})
    for instrument_id in ids:
        instrument = _instrument(instrument_id, "instruments")
        if not instrument.self_report:
            raise ValidationError(
                {"instruments": f"{instrument.name} is rated by a clinician, not the patient."}
            )
        if not instrument.text_shipped:
            raise ValidationError(
                {
                    "instruments": f"{instrument.name}'s item text is not shipped: enter it in "
                    "the chart from a licensed form instead."
                }
            )
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        link = SelfReportLink(
            clinic=patient.clinic,
            patient=patient,
            token_hash=token_hash(token),
            instruments=ids,
            created_by=actor,
            expires_at=_now() + timedelta(hours=settings.SELF_REPORT_LINK_HOURS),
            emailed_to=email_to,
        )
        link.full_clean()
        link.save()
        record(
            actor=actor,
            action=Action.SELF_REPORT_LINK_CREATE,
            patient=patient,
            obj=link,
            detail={
                "instruments": ids,
                "expires_at": link.expires_at.isoformat(),
                "emailed_to": email_to,
            },
        )
    return IssuedLink(link=link, token=token)


def self_report_link_email(*, link: SelfReportLink, url: str) -> bool:
    """E-mail the link to the address it was made for (Django's e-mail backend); False if the
    mail server refused or could not be reached.

    Call it once the link is committed, with the URL of the token shown once: a failed e-mail
    must not lose the link, which staff can still hand over.
    """
    patient = link.patient
    clinic = link.clinic
    try:
        _send_link_mail(link, patient, clinic, url)
    except OSError:  # smtplib.SMTPException and connection errors are OSErrors
        logger.exception("self-report link %s: the e-mail could not be sent", link.pk)
        return False
    return True


def _send_link_mail(link: SelfReportLink, patient: Patient, clinic: Clinic, url: str) -> None:
    send_mail(
        subject=f"Questionnaires from {clinic.name}",
        message=(
            f"Hello {patient.first_name_to_address},\n\n{clinic.name} asks you to answer a few "
            f"short questionnaires before your next visit. Open this link on your phone or "
            f"computer:\n\n{url}\n\nThe link works once, until "
            f"{timezone.localtime(link.expires_at, ZoneInfo(clinic.timezone)):%Y-%m-%d %H:%M %Z}.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[link.emailed_to],
    )


def self_report_link_revoke(*, actor: StaffMember, link: SelfReportLink) -> SelfReportLink:
    """Kill a link before it is used."""
    require(actor, Perm.SELF_REPORT_SEND, link.clinic, link.patient)
    with transaction.atomic():
        locked = SelfReportLink.objects.select_for_update().get(pk=link.pk)
        if locked.status_at(_now()) != "open":
            raise ValidationError(f"This link is already {locked.status_at(_now())}.")
        locked.revoked_at = _now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        record(actor=actor, action=Action.SELF_REPORT_LINK_REVOKE, patient=link.patient, obj=locked)
    return locked


def open_link(token: str) -> SelfReportLink | None:
    """Return the usable link for this token (not expired, revoked or submitted), or None."""
    if not token or len(token) > 100:
        return None
    link = (
        SelfReportLink.objects.filter(token_hash=token_hash(token))
        .select_related("patient", "clinic")
        .first()
    )
    if link is None or link.status_at(_now()) != "open":
        return None
    return link


def record_invalid_link(token: str) -> None:
    """Audit a visit with a token that is unknown, expired, used or revoked."""
    link = SelfReportLink.objects.filter(token_hash=token_hash(token[:100])).first()
    record(
        actor=None,
        actor_username=SELF_REPORT_ACTOR,
        action=Action.SELF_REPORT_INVALID,
        patient=link.patient if link else None,
        obj=link,
        detail={"status": link.status_at(_now()) if link else "unknown token"},
    )


def self_report_opened(link: SelfReportLink, page: str = "start") -> None:
    """Audit that a page of the patient's link was shown (every view: it greets them by name
    and shows their saved answers), and note the first time."""
    with transaction.atomic():
        if link.first_opened_at is None:
            now = _now()
            SelfReportLink.objects.filter(pk=link.pk, first_opened_at=None).update(
                first_opened_at=now, updated_at=now
            )
        record(
            actor=None,
            actor_username=SELF_REPORT_ACTOR,
            action=Action.SELF_REPORT_OPEN,
            patient=link.patient,
            obj=link,
            detail={"page": page},
        )


@dataclass(frozen=True)
class SelfReportProgress:
    assessment: Assessment
    alert: SafetyAlert | None
    link_finished: bool


def self_report_save(
    *, token: str, instrument_id: str, answers: Mapping[int, int | None]
) -> SelfReportProgress:
    """Save a patient's answers to one questionnaire of their link.

    Partial answers are kept (incomplete, unscored) so that the patient can come back; a
    complete questionnaire is scored, may open a safety alert, and can no longer be changed.
    When every questionnaire of the link is complete, the link dies.
    """
    with transaction.atomic():
        link = (
            SelfReportLink.objects.select_for_update()
            .filter(token_hash=token_hash(token))
            .select_related("patient", "clinic")
            .first()
        )
        if link is None or link.status_at(_now()) != "open":
            raise ValidationError("This link is not valid.")
        if instrument_id not in link.instruments:
            raise ValidationError({"instrument": "This questionnaire is not part of the link."})
        instrument = _instrument(instrument_id)
        given = normalise_answers(instrument, answers)
        assessment = Assessment.objects.filter(
            self_report_link=link, instrument_id=instrument_id
        ).first()
        if assessment is not None and assessment.status == Assessment.Status.COMPLETE:
            raise ValidationError("This questionnaire has already been submitted.")
        assessment = assessment or Assessment(
            clinic=link.clinic,
            patient=link.patient,
            instrument_id=instrument_id,
            source=Assessment.Source.SELF_REPORT,
            self_report_link=link,
        )
        assessment.administered_at = _now()
        try:
            with transaction.atomic():
                _store_response(assessment, instrument, given)
        except IntegrityError as error:  # a second tab submitting the same questionnaire
            raise ValidationError("This questionnaire has already been submitted.") from error
        record(
            actor=None,
            actor_username=SELF_REPORT_ACTOR,
            action=Action.SELF_REPORT_SAVE,
            patient=link.patient,
            obj=assessment,
            detail={
                "instrument": instrument_id,
                "status": assessment.status,
                "total": assessment.total,
                "answers": {str(k): v for k, v in given.items()},
            },
        )
        alert = _after_save(assessment, instrument)
        complete = set(
            Assessment.objects.filter(
                self_report_link=link, status=Assessment.Status.COMPLETE
            ).values_list("instrument_id", flat=True)
        )
        finished = complete >= set(link.instruments)
        if finished:
            link.submitted_at = _now()
            link.save(update_fields=["submitted_at", "updated_at"])
    return SelfReportProgress(assessment=assessment, alert=alert, link_finished=finished)


# --- safety alerts -----------------------------------------------------------------------------


def safety_alert_acknowledge(
    *, actor: StaffMember, alert: SafetyAlert, action: str, note: str
) -> SafetyAlert:
    """Close a safety alert with what the prescriber did about it."""
    require(actor, Perm.ALERT_ACKNOWLEDGE, alert.clinic, alert.patient)
    if action not in SafetyAlert.Action.values:
        raise ValidationError({"action": "Choose what was done."})
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Describe what was done (the note is required)."})
    with transaction.atomic():
        locked = SafetyAlert.objects.select_for_update().get(pk=alert.pk)
        if not locked.is_open:
            raise ValidationError("This alert has already been acknowledged.")
        locked.acknowledged_at = _now()
        locked.acknowledged_by = actor
        locked.action = action
        locked.note = note
        locked.full_clean()
        locked.save()
        record(
            actor=actor,
            action=Action.SAFETY_ALERT_ACKNOWLEDGE,
            patient=locked.patient,
            obj=locked,
            changes={"action": [None, action]},
            detail={"note": note},
        )
    return locked


# --- schedules and the treatment-event seam ------------------------------------------------------


def schedule_set(
    *,
    actor: StaffMember,
    clinic: Clinic,
    instrument_id: str,
    trigger: str,
    interval_days: int | None = None,
    active: bool = True,
) -> MeasureSchedule:
    """Create or change one rule of a clinic's questionnaire schedule."""
    require(actor, Perm.SCHEDULE_MANAGE, clinic)
    _instrument(instrument_id)
    if trigger != MeasureSchedule.Trigger.EVERY_N_DAYS:
        interval_days = None
    elif not interval_days or interval_days < 1:
        raise ValidationError({"interval_days": "Give the number of days (1 or more)."})
    with transaction.atomic():
        rule, created = MeasureSchedule.objects.get_or_create(
            clinic=clinic,
            instrument_id=instrument_id,
            trigger=trigger,
            defaults={"interval_days": interval_days, "active": active},
        )
        before = {"interval_days": rule.interval_days, "active": rule.active}
        rule.interval_days = interval_days
        rule.active = active
        rule.full_clean()
        rule.save()
        record(
            actor=actor,
            action=Action.SCHEDULE_CHANGE,
            clinic=clinic,
            obj=rule,
            changes={
                k: [None if created else str(before[k]), str(v)]
                for k, v in {"interval_days": interval_days, "active": active}.items()
                if created or before[k] != v
            },
            detail={"instrument": instrument_id, "trigger": trigger},
        )
    return rule


def crisis_resources_set(*, actor: StaffMember, clinic: Clinic, text: str) -> MeasuresSettings:
    """Set the crisis resources a patient sees after a critical self-report answer."""
    require(actor, Perm.SCHEDULE_MANAGE, clinic)
    text = text.strip()
    if len(text) > 1000:
        raise ValidationError({"crisis_resources": "At most 1000 characters."})
    with transaction.atomic():
        row, _ = MeasuresSettings.objects.select_for_update().get_or_create(clinic=clinic)
        old = row.crisis_resources
        row.crisis_resources = text
        row.save(update_fields=["crisis_resources", "updated_at"])
        record(
            actor=actor,
            action=Action.CLINIC_SETTINGS_CHANGE,
            clinic=clinic,
            obj=row,
            changes={"crisis_resources": [old, text]},
        )
    return row


def licensed_texts_set(
    *,
    actor: StaffMember,
    clinic: Clinic,
    instrument_id: str,
    texts: Mapping[int, str],
    licence_note: str,
) -> LicensedItemTexts:
    """Store the item texts of a copyrighted instrument that the clinic holds a licence for."""
    require(actor, Perm.SCHEDULE_MANAGE, clinic)
    instrument = _instrument(instrument_id)
    if instrument.text_shipped:
        raise ValidationError({"instrument": f"{instrument.name} already ships its text."})
    licence_note = licence_note.strip()
    if not licence_note:
        raise ValidationError(
            {"licence_note": "Say who holds the licence, its reference and date."}
        )
    numbers = {item.number for item in instrument.items}
    unknown = sorted(set(texts) - numbers)
    if unknown:
        raise ValidationError({"texts": f"{instrument.name} has no item {unknown[0]}."})
    cleaned = {str(n): t.strip()[:1000] for n, t in texts.items() if t.strip()}
    with transaction.atomic():
        row, _ = LicensedItemTexts.objects.update_or_create(
            clinic=clinic,
            instrument_id=instrument_id,
            defaults={"texts": cleaned, "licence_note": licence_note, "entered_by": actor},
        )
        record(
            actor=actor,
            action=Action.CLINIC_SETTINGS_CHANGE,
            clinic=clinic,
            obj=row,
            detail={
                "instrument": instrument_id,
                "items_with_text": sorted(int(n) for n in cleaned),
                "licence_note": licence_note,
            },
        )
    return row


# A treatment event: the questionnaires it makes due, how many days after it, in words.
TREATMENT_EVENTS = {
    "session_scheduled": (MeasureSchedule.Trigger.BEFORE_SESSION, 0, "before the session"),
    "session_completed": (
        MeasureSchedule.Trigger.DAY_AFTER_SESSION,
        1,
        "the day after the session",
    ),
}


def treatment_event_recorded(
    *, actor: StaffMember, patient: Patient, kind: str, at: datetime, event_ref: str
) -> list[MeasureDue]:
    """The seam for the treatment capability: a session was scheduled or completed.

    kind "session_scheduled" makes the before-session questionnaires due on the session's day;
    kind "session_completed" makes the day-after questionnaires due the next day. Calling it
    twice for the same event changes nothing. The patient must be one `actor` may see (404
    otherwise); what is made due is audited, in the caller's transaction.
    """
    patient = find_one(actor, Perm.CHART_VIEW, Patient.objects.all(), pk=patient.pk)
    if kind not in TREATMENT_EVENTS:
        raise ValueError(f"unknown treatment event {kind!r}")
    trigger, days, words = TREATMENT_EVENTS[kind]
    day: date = timezone.localtime(at).date() + timedelta(days=days)
    created = []
    with transaction.atomic():
        for rule in MeasureSchedule.objects.filter(
            clinic=patient.clinic, trigger=trigger, active=True
        ):
            due, was_created = MeasureDue.objects.get_or_create(
                schedule=rule,
                patient=patient,
                event_ref=event_ref,
                defaults={
                    "clinic": patient.clinic,
                    "instrument_id": rule.instrument_id,
                    "due_on": day,
                    "reason": f"{words} ({day:%Y-%m-%d})",
                },
            )
            if was_created:
                created.append(due)
        if created:
            record(
                actor=actor,
                action=Action.MEASURES_DUE,
                patient=patient,
                detail={
                    "event": kind,
                    "event_ref": event_ref,
                    "due": [[d.instrument_id, f"{d.due_on:%Y-%m-%d}"] for d in created],
                },
            )
    return created


def treatment_event_moved(
    *, actor: StaffMember, patient: Patient, event_ref: str, at: datetime
) -> list[MeasureDue]:
    """The seam for the treatment capability: a scheduled session moved to `at`.

    The questionnaires still due for `event_ref` (not yet answered) move with it, each the same
    number of days after the event as when it was made due. Nothing due for the event changes
    nothing. The patient must be one `actor` may see (404 otherwise); the move is audited, in
    the caller's transaction.
    """
    patient = find_one(actor, Perm.CHART_VIEW, Patient.objects.all(), pk=patient.pk)
    offsets = {str(t): (days, words) for t, days, words in TREATMENT_EVENTS.values()}
    moved = []
    with transaction.atomic():
        for due in MeasureDue.objects.select_related("schedule").filter(
            patient=patient, event_ref=event_ref, satisfied_by__isnull=True
        ):
            if due.schedule.trigger not in offsets:
                continue
            days, words = offsets[due.schedule.trigger]
            day: date = timezone.localtime(at).date() + timedelta(days=days)
            if day == due.due_on:
                continue
            moved.append((due, due.due_on))
            due.due_on = day
            due.reason = f"{words} ({day:%Y-%m-%d})"
            due.save(update_fields=["due_on", "reason", "updated_at"])
        if moved:
            record(
                actor=actor,
                action=Action.MEASURES_DUE_MOVE,
                patient=patient,
                detail={
                    "event_ref": event_ref,
                    "moved": [
                        [d.instrument_id, f"{old:%Y-%m-%d}", f"{d.due_on:%Y-%m-%d}"]
                        for d, old in moved
                    ],
                },
            )
    return [d for d, _ in moved]
