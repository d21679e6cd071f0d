"""Writes of eligibility screening and consent, and the readiness check sessions call.

The rules are in the clinical core (`clinical/eligibility/`); here they are applied, stored,
reviewed and audited. One business action, one transaction, one audit row.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ketamine_clinic.accounts.access import can, require
from ketamine_clinic.accounts.models import Clinic, StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.accounts.services import token_hash
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.reads import find_one
from ketamine_clinic.audit.services import record
from ketamine_clinic.clinical import eligibility
from ketamine_clinic.patients.models import Patient

from .models import (
    ClinicRuleSet,
    Consent,
    ConsentLink,
    ConsentTemplate,
    IntakeLink,
    IntakeObservation,
    Screening,
    ScreeningFinding,
    ScreeningReview,
    settings_for,
)

# Routes of screening → the consent kinds that cover them.
CONSENT_KINDS_FOR_ROUTE: dict[str, tuple[str, ...]] = {
    "iv": ("iv", "kap"),
    "im": ("im", "kap"),
    "intranasal": ("intranasal",),
    "oral": ("kap",),
}
_PNG = b"\x89PNG\r\n\x1a\n"
_Link = TypeVar("_Link", ConsentLink, IntakeLink)
MAX_SIGNATURE_BYTES = 300_000


def _now() -> datetime:
    return timezone.now()


def _text(value: str, field_name: str, limit: int) -> str:
    """The stripped text, or ValidationError naming the field if it is longer than `limit`."""
    text = value.strip()
    if len(text) > limit:
        raise ValidationError(
            {field_name: f"Ensure this value has at most {limit} characters (it has {len(text)})."}
        )
    return text


# --- rule sets ---------


def current_ruleset(clinic: Clinic) -> eligibility.RuleSet:
    """The built-in rules, with the clinic's latest version of its own rules and thresholds."""
    row = ClinicRuleSet.objects.filter(clinic=clinic).order_by("-number").first()
    base = eligibility.DEFAULT_RULESET
    if row is None:
        return base
    thresholds = eligibility.thresholds_from_dict(row.thresholds)
    rules = [eligibility.rule_from_dict(r) for r in row.extra_rules]
    return base.with_clinic(f"{base.version}+clinic{clinic.pk}.v{row.number}", rules, thresholds)


def ruleset_change(
    *,
    actor: StaffMember,
    clinic: Clinic,
    thresholds: Mapping[str, int],
    extra_rules: Sequence[Mapping[str, Any]],
    note: str = "",
) -> ClinicRuleSet:
    """Make a new version of the clinic's own rules and thresholds (earlier versions stay)."""
    require(actor, Perm.RULES_MANAGE, clinic)
    note = _text(note, "note", 300)
    try:
        checked = eligibility.thresholds_from_dict(thresholds)
        rules = []
        for index, rule in enumerate(extra_rules):
            try:
                rules.append(eligibility.rule_from_dict(rule))
            except eligibility.RuleError as error:
                raise eligibility.RuleError(
                    {f"extra_rules.{index}.{k}": v for k, v in error.errors.items()}
                ) from error
        eligibility.DEFAULT_RULESET.with_clinic("check", rules, checked)
    except eligibility.RuleError as error:
        raise ValidationError(dict(error.errors)) from error
    with transaction.atomic():
        last = (
            ClinicRuleSet.objects.select_for_update()
            .filter(clinic=clinic)
            .aggregate(n=Max("number"))["n"]
        )
        row = ClinicRuleSet.objects.create(
            clinic=clinic,
            number=(last or 0) + 1,
            thresholds=dict(thresholds),
            extra_rules=[dict(r) for r in extra_rules],
            note=note,
            created_by=actor,
        )
        record(
            actor=actor,
            action=Action.RULESET_CHANGE,
            clinic=clinic,
            obj=row,
            detail={
                "version": row.number,
                "thresholds": row.thresholds,
                "extra_rules": [r.get("id") for r in row.extra_rules],
            },
        )
    return row


# --- screening ---------


def screening_record(
    *, actor: StaffMember, patient: Patient, intake: Mapping[str, Any], notes: str = ""
) -> Screening:
    """Evaluate an intake with the clinic's current rule set and keep the decision."""
    require(actor, Perm.SCREENING_ENTER, patient.clinic, patient)
    notes = _text(notes, "notes", 4000)
    try:
        parsed = eligibility.parse_intake(intake)
    except eligibility.IntakeError as error:
        raise ValidationError(dict(error.errors)) from error
    ruleset = current_ruleset(patient.clinic)
    decision = eligibility.evaluate(parsed, ruleset)
    now = _now()
    with transaction.atomic():
        screening = Screening.objects.create(
            clinic=patient.clinic,
            patient=patient,
            route=parsed.route,
            intake=parsed.as_dict(),
            decision=decision.decision,
            findings=decision.as_dict()["findings"],
            ruleset_version=decision.ruleset,
            screened_by=actor,
            screened_at=now,
            expires_at=now + timedelta(days=settings_for(patient.clinic).screening_valid_days),
            notes=notes,
        )
        _keep_as_rows(screening, parsed, decision)
        record(
            actor=actor,
            action=Action.SCREENING_RECORD,
            patient=patient,
            obj=screening,
            detail={
                "decision": decision.decision,
                "route": parsed.route,
                "rules": [f["rule"] for f in screening.findings],
                "ruleset": decision.ruleset,
            },
        )
    return screening


def _keep_as_rows(
    screening: Screening, intake: eligibility.Intake, decision: eligibility.Decision
) -> None:
    """Write the screening's findings and intake measurements as rows, next to its JSON."""
    ScreeningFinding.objects.bulk_create(
        ScreeningFinding(
            clinic=screening.clinic,
            patient=screening.patient,
            screening=screening,
            position=position,
            rule=finding.rule,
            level=finding.level,
            route=screening.route,
            reason=finding.reason,
            source=finding.source,
        )
        for position, finding in enumerate(decision.findings)
    )
    IntakeObservation.objects.bulk_create(
        IntakeObservation(
            clinic=screening.clinic,
            patient=screening.patient,
            screening=screening,
            code=sign.loinc,
            unit=sign.ucum,
            value=Decimal(str(value)),
            observed_at=screening.screened_at,
        )
        for sign, value in intake.vital_signs()
    )


def _contraindicated(screening: Screening) -> bool:
    return any(f["level"] == "contraindicated" for f in screening.findings)


def screening_review(
    *, actor: StaffMember, screening: Screening, outcome: str, reasoning: str
) -> ScreeningReview:
    """Record a prescriber's decision, with reasoning, on a screening that is not plainly eligible.

    A contraindication can be overridden only where the clinic's protocol allows it, and then
    only by two different prescribers who both approve.
    """
    require(actor, Perm.SCREENING_REVIEW, screening.clinic, screening.patient)
    if outcome not in ScreeningReview.Outcome.values:
        raise ValidationError({"outcome": "Choose whether the patient may proceed."})
    reasoning = _text(reasoning, "reasoning", 4000)
    if len(reasoning) < 10:
        raise ValidationError({"reasoning": "Write your reasoning (at least a sentence)."})
    if screening.decision == Screening.Decision.ELIGIBLE:
        raise ValidationError("This screening is eligible: there is nothing to review.")
    if (
        outcome == ScreeningReview.Outcome.APPROVED
        and _contraindicated(screening)
        and not settings_for(screening.clinic).allow_contraindication_override
    ):
        raise ValidationError(
            {
                "outcome": "A contraindication cannot be overridden: this clinic's protocol does "
                "not allow it."
            }
        )
    with transaction.atomic():
        locked = Screening.objects.select_for_update().get(pk=screening.pk)
        if locked.reviews.filter(reviewer=actor).exists():
            raise ValidationError("You have already reviewed this screening.")
        review = ScreeningReview.objects.create(
            screening=locked,
            reviewer=actor,
            outcome=outcome,
            reasoning=reasoning,
            reviewed_at=_now(),
        )
        record(
            actor=actor,
            action=Action.SCREENING_REVIEW,
            patient=locked.patient,
            obj=review,
            detail={
                "screening": locked.pk,
                "outcome": outcome,
                "reasoning": reasoning,
                "override": _contraindicated(locked),
            },
        )
    return review


def screening_status(screening: Screening, at: datetime | None = None) -> str:
    """Where a screening stands: eligible, approved, override approved, awaiting review or a
    second prescriber, declined, ineligible or expired."""
    at = at or _now()
    if screening.expires_at <= at:
        return "expired"
    if screening.decision == Screening.Decision.ELIGIBLE:
        return "eligible"
    reviews = list(screening.reviews.all())
    if any(r.outcome == ScreeningReview.Outcome.DECLINED for r in reviews):
        return "declined"
    approvals = {r.reviewer_id for r in reviews if r.outcome == ScreeningReview.Outcome.APPROVED}
    if _contraindicated(screening):
        if not settings_for(screening.clinic).allow_contraindication_override:
            return "ineligible"
        if len(approvals) >= 2:
            return "override approved"
        return "awaiting a second prescriber" if approvals else "ineligible"
    if approvals:
        return "approved"
    return "awaiting review"


CLEARED = {"eligible", "approved", "override approved"}


# --- the patient's own intake answers ---------

# The intake fields a patient answers about themselves on an intake link.
PATIENT_INTAKE_FIELDS = (
    "conditions",
    "pregnant",
    "breastfeeding",
    "substance_use",
    "substances",
    "failed_antidepressant_trials",
    "prior_treatments",
)


@dataclass(frozen=True)
class IssuedIntakeLink:
    link: IntakeLink
    token: str  # shown once


def intake_link_create(*, actor: StaffMember, patient: Patient) -> IssuedIntakeLink:
    """Make a one-time link for the patient to answer the history part of the intake."""
    require(actor, Perm.SELF_REPORT_SEND, patient.clinic, patient)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        link = IntakeLink.objects.create(
            clinic=patient.clinic,
            patient=patient,
            token_hash=token_hash(token[:100]),
            created_by=actor,
            expires_at=_now() + timedelta(hours=settings.SELF_REPORT_LINK_HOURS),
        )
        record(actor=actor, action=Action.INTAKE_LINK_CREATE, patient=patient, obj=link)
    return IssuedIntakeLink(link=link, token=token)


def _usable_link(
    model: type[_Link], token: str, *, related: Sequence[str], lock: bool = False
) -> _Link | None:
    """The consent or intake link for this token if it can still be used (not expired, revoked
    or used), else None; `lock` holds its row for the caller's transaction."""
    if not token or len(token) > 100:
        return None
    links = model.objects.filter(token_hash=token_hash(token[:100])).select_related(*related)
    link = (links.select_for_update() if lock else links).first()
    return link if link is not None and link.status_at(_now()) == "open" else None


def open_intake_link(token: str) -> IntakeLink | None:
    """The usable link for this token, or None (unknown, expired, revoked or answered)."""
    return _usable_link(IntakeLink, token, related=("patient", "clinic"))


def intake_link_submit(*, token: str, answers: Mapping[str, Any]) -> IntakeLink:
    """Keep the patient's own answers (checked like any intake); the link dies with them."""
    unknown = sorted(set(answers) - set(PATIENT_INTAKE_FIELDS))
    if unknown:
        raise ValidationError({name: "This field is not known." for name in unknown})
    try:  # the same checks as a full intake; route and age are the chart's, not the patient's
        eligibility.parse_intake({"route": "iv", "age_years": 30, **answers})
    except eligibility.IntakeError as error:
        raise ValidationError(dict(error.errors)) from error
    with transaction.atomic():
        link = _usable_link(IntakeLink, token, related=("patient",), lock=True)
        if link is None:
            raise ValidationError("This link is not valid.")
        link.answers = dict(answers)
        link.submitted_at = _now()
        link.save(update_fields=["answers", "submitted_at", "updated_at"])
        record(
            actor=None,
            actor_username="patient (intake link)",
            action=Action.INTAKE_LINK_SUBMIT,
            patient=link.patient,
            obj=link,
            detail={"fields": sorted(answers)},
        )
    return link


def latest_patient_answers(patient: Patient) -> IntakeLink | None:
    """The patient's most recent submitted intake answers, if any."""
    return (
        IntakeLink.objects.filter(patient=patient, submitted_at__isnull=False)
        .order_by("-submitted_at")
        .first()
    )


# --- consent ---------


def current_templates(clinic: Clinic) -> list[ConsentTemplate]:
    """The latest version of each consent kind for a clinic (its own, else the product's)."""
    latest: dict[str, ConsentTemplate] = {}
    for template in ConsentTemplate.objects.filter(clinic__in=[clinic]).order_by("-version"):
        latest.setdefault(template.kind, template)
    for template in ConsentTemplate.objects.filter(clinic=None).order_by("-version"):
        latest.setdefault(template.kind, template)
    return [latest[k] for k in ConsentTemplate.Kind.values if k in latest]


def consent_template_change(
    *, actor: StaffMember, clinic: Clinic, kind: str, title: str, body: str
) -> ConsentTemplate:
    """Publish a new version of a clinic's consent text for one kind."""
    require(actor, Perm.RULES_MANAGE, clinic)
    if kind not in ConsentTemplate.Kind.values:
        raise ValidationError({"kind": "Unknown consent kind."})
    if len(body.strip()) < 200:
        raise ValidationError({"body": "The consent text is too short to be informed consent."})
    with transaction.atomic():
        last = ConsentTemplate.objects.filter(kind=kind, clinic__in=[clinic]).aggregate(
            n=Max("version")
        )["n"]
        product = ConsentTemplate.objects.filter(kind=kind, clinic=None).aggregate(
            n=Max("version")
        )["n"]
        template = ConsentTemplate(
            clinic=clinic,
            kind=kind,
            version=max(last or 0, product or 0) + 1,
            title=title.strip(),
            body=body.strip(),
            created_by=actor,
        )
        template.full_clean()
        template.save()
        record(
            actor=actor,
            action=Action.CONSENT_TEMPLATE_CHANGE,
            clinic=clinic,
            obj=template,
            detail={"kind": kind, "version": template.version},
        )
    return template


def _check_signature(data_uri: str) -> str:
    prefix = "data:image/png;base64,"
    if not data_uri.startswith(prefix):
        raise ValidationError({"signature": "Sign in the box (the signature is missing)."})
    try:
        raw = base64.b64decode(data_uri[len(prefix) :], validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValidationError({"signature": "The signature could not be read."}) from error
    if not raw.startswith(_PNG) or len(raw) > MAX_SIGNATURE_BYTES:
        raise ValidationError({"signature": "The signature could not be read."})
    return data_uri


def _normalised(name: str) -> str:
    return " ".join(name.lower().split())


def consent_sign(
    *,
    actor: StaffMember,
    patient: Patient,
    template: ConsentTemplate,
    signed_name: str,
    signature_png: str,
    ip: str | None,
) -> Consent:
    """Record the patient's signature, on the clinic tablet a staff member presented."""
    require(actor, Perm.CONSENT_COLLECT, patient.clinic, patient)
    with transaction.atomic():
        return _sign(
            patient=patient,
            template=template,
            signed_name=signed_name,
            signature_png=signature_png,
            ip=ip,
            presented_by=actor,
            channel="tablet",
        )


def _sign(
    *,
    patient: Patient,
    template: ConsentTemplate,
    signed_name: str,
    signature_png: str,
    ip: str | None,
    presented_by: StaffMember,
    channel: str,
) -> Consent:
    if template.clinic_id not in (None, patient.clinic_id):
        raise ValidationError({"template": "This consent text belongs to another clinic."})
    current = {t.pk for t in current_templates(patient.clinic)}
    if template.pk not in current:
        raise ValidationError({"template": "A newer version of this consent text exists."})
    legal = f"{patient.legal_given_name} {patient.legal_family_name}"
    if _normalised(signed_name) != _normalised(legal):
        raise ValidationError({"signed_name": "Type your full legal name as it is on your record."})
    signature_png = _check_signature(signature_png)
    consent = Consent.objects.create(
        clinic=patient.clinic,
        patient=patient,
        template=template,
        signed_name=signed_name.strip(),
        signature_png=signature_png,
        signed_at=_now(),
        signed_ip=ip,
        presented_by=presented_by,
        channel=channel,
    )
    record(
        actor=presented_by if channel == "tablet" else None,
        actor_username="" if channel == "tablet" else "patient (consent link)",
        action=Action.CONSENT_SIGN,
        patient=patient,
        obj=consent,
        detail={
            "template": template.pk,
            "kind": template.kind,
            "version": template.version,
            "channel": channel,
        },
    )
    return consent


_CONSENT_LINK_RELATED = ("patient", "clinic", "template", "created_by")


@dataclass(frozen=True)
class IssuedConsentLink:
    link: ConsentLink
    token: str  # shown once


def consent_link_create(
    *, actor: StaffMember, patient: Patient, template: ConsentTemplate
) -> IssuedConsentLink:
    """Make a one-time link for the patient to sign this consent on their own device."""
    require(actor, Perm.CONSENT_COLLECT, patient.clinic, patient)
    if template.pk not in {t.pk for t in current_templates(patient.clinic)}:
        raise ValidationError({"template": "Choose a consent text in use at the clinic."})
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        link = ConsentLink.objects.create(
            clinic=patient.clinic,
            patient=patient,
            template=template,
            token_hash=token_hash(token[:100]),
            created_by=actor,
            expires_at=_now() + timedelta(hours=settings.SELF_REPORT_LINK_HOURS),
        )
        record(
            actor=actor,
            action=Action.CONSENT_LINK_CREATE,
            patient=patient,
            obj=link,
            detail={"template": template.pk, "version": template.version},
        )
    return IssuedConsentLink(link=link, token=token)


def open_consent_link(token: str) -> ConsentLink | None:
    """The usable link for this token, or None (unknown, expired, revoked or signed)."""
    return _usable_link(ConsentLink, token, related=_CONSENT_LINK_RELATED)


def patient_link_viewed(link: ConsentLink | IntakeLink, kind: str) -> None:
    """Audit that the patient's consent or intake page was shown (it greets them by first name
    and, for consent, shows the text they are asked to sign)."""
    record(
        actor=None,
        actor_username=f"patient ({kind} link)",
        action=Action.SELF_REPORT_OPEN,
        patient=link.patient,
        obj=link,
        detail={"link": kind},
    )


def record_invalid_patient_link(token: str, kind: str) -> None:
    """Audit a visit with an unknown, expired, revoked or used consent or intake link."""
    model: type[ConsentLink] | type[IntakeLink] = ConsentLink if kind == "consent" else IntakeLink
    link = model.objects.filter(token_hash=token_hash(token[:100])).first()
    record(
        actor=None,
        actor_username=f"patient ({kind} link)",
        action=Action.SELF_REPORT_INVALID,
        patient=link.patient if link else None,
        obj=link,
        detail={
            "link": kind,
            "status": "known link, no longer usable" if link else "unknown token",
        },
    )


def consent_sign_by_link(
    *, token: str, signed_name: str, signature_png: str, ip: str | None
) -> Consent:
    """The patient signs through their link; the link dies with the signature."""
    with transaction.atomic():
        link = _usable_link(ConsentLink, token, related=_CONSENT_LINK_RELATED, lock=True)
        if link is None:
            raise ValidationError("This link is not valid.")
        consent = _sign(
            patient=link.patient,
            template=link.template,
            signed_name=signed_name,
            signature_png=signature_png,
            ip=ip,
            presented_by=link.created_by,
            channel="link",
        )
        link.consent = consent
        link.submitted_at = consent.signed_at
        link.save(update_fields=["consent", "submitted_at", "updated_at"])
    return consent


def consent_witness(*, actor: StaffMember, consent: Consent) -> Consent:
    """A staff witness countersigns; the PDF copy is made and kept in the same action."""
    from .pdf import consent_pdf

    require(actor, Perm.CONSENT_COLLECT, consent.clinic, consent.patient)
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        if locked.witnessed_at or locked.withdrawn_at:
            raise ValidationError(f"This consent is {locked.status}.")
        locked.witness = actor
        locked.witnessed_at = _now()
        locked.pdf = consent_pdf(locked)
        locked.save(update_fields=["witness", "witnessed_at", "pdf", "updated_at"])
        record(actor=actor, action=Action.CONSENT_WITNESS, patient=locked.patient, obj=locked)
    return locked


def consent_withdraw(*, actor: StaffMember, consent: Consent, reason: str) -> Consent:
    """Record that the patient withdrew their consent; no further session can start."""
    require(actor, Perm.CONSENT_COLLECT, consent.clinic, consent.patient)
    reason = _text(reason, "reason", 2000)
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        if locked.withdrawn_at:
            raise ValidationError("This consent is already withdrawn.")
        locked.withdrawn_at = _now()
        locked.withdrawn_recorded_by = actor
        locked.withdrawal_reason = reason
        locked.save(
            update_fields=[
                "withdrawn_at",
                "withdrawn_recorded_by",
                "withdrawal_reason",
                "updated_at",
            ]
        )
        record(
            actor=actor,
            action=Action.CONSENT_WITHDRAW,
            patient=locked.patient,
            obj=locked,
            detail={"reason": locked.withdrawal_reason},
        )
    return locked


# --- the gate a treatment session passes ---------


def last_withdrawal(patient: Patient, at: datetime | None = None) -> datetime | None:
    """When the patient last withdrew a consent (by `at`), or None if they never did."""
    latest: datetime | None = Consent.objects.filter(
        patient=patient, withdrawn_at__isnull=False, withdrawn_at__lte=at or _now()
    ).aggregate(latest=Max("withdrawn_at"))["latest"]
    return latest


@dataclass(frozen=True)
class Readiness:
    route: str
    ready: bool
    problems: list[str] = field(default_factory=list)  # each says what to do next
    screening: Screening | None = None
    consent: Consent | None = None
    screening_problem: str = ""  # the one of `problems` that comes from the screening

    def problems_for(self, viewer: StaffMember, clinic: Clinic) -> list[str]:
        """Return the problems as `viewer`, at the patient's `clinic`, may read them.

        Who treats no patient (front desk) learns whether the screening clears the patient, not
        why (minimum necessary): the screening's problem is replaced by one neutral line.
        """
        if not self.screening_problem or can(viewer, Perm.CHART_CLINICAL_VIEW, clinic):
            return self.problems
        return [NOT_CLEARED if p == self.screening_problem else p for p in self.problems]


NOT_CLEARED = "Not cleared by an eligibility screening for this route: a clinician sees why."


def treatment_readiness(
    patient: Patient, route: str, at: datetime | None = None, *, actor: StaffMember
) -> Readiness:
    """May a treatment session by `route` start for this patient now?

    It needs a current screening for that route that is eligible or cleared by review, and a
    current consent that covers the route: signed, witnessed, and signed after the patient's
    latest withdrawal of any consent (a withdrawal stops every session). The session
    capability calls this before a session starts; nothing else decides it.

    The patient must be one `actor` may see (404 otherwise, the attempt recorded); every row
    read is the patient's clinic's.
    """
    patient = find_one(actor, Perm.CHART_VIEW, Patient.objects.all(), pk=patient.pk)
    at = at or _now()
    problems: list[str] = []
    screening = (
        Screening.objects.filter(
            clinic=patient.clinic, patient=patient, route=route, screened_at__lte=at
        )
        .prefetch_related("reviews")
        .order_by("-screened_at")
        .first()
    )
    if screening is None:
        problems.append("No eligibility screening for this route: screen the patient first.")
    else:
        status = screening_status(screening, at)
        if status == "expired":
            problems.append(
                f"The screening of {screening.screened_at:%Y-%m-%d} has expired: screen the "
                "patient again."
            )
        elif status in ("awaiting review", "awaiting a second prescriber"):
            problems.append(f"The screening is {status}: a prescriber must review it.")
        elif status not in CLEARED:
            problems.append(
                f"The latest screening is {status}: the patient may not be treated by this route."
            )
    screening_problem = problems[0] if problems else ""
    kinds = CONSENT_KINDS_FOR_ROUTE.get(route, ())
    # A withdrawal stops every session (whichever consent was withdrawn): only a consent signed
    # after the patient's latest withdrawal counts, never an older one left unwithdrawn.
    withdrawn_at = last_withdrawal(patient, at)
    signed_since = Consent.objects.filter(
        clinic=patient.clinic,
        patient=patient,
        template__kind__in=kinds,
        withdrawn_at=None,
        signed_at__lte=at,
    )
    if withdrawn_at is not None:
        signed_since = signed_since.filter(signed_at__gt=withdrawn_at)
    consent = (
        signed_since.filter(witnessed_at__isnull=False)
        .select_related("template")
        .order_by("-signed_at")
        .first()
    )
    if consent is None:
        if signed_since.filter(witnessed_at=None).exists():
            problems.append(
                "The consent is signed but not witnessed: a staff witness must countersign it."
            )
        elif withdrawn_at is not None:
            problems.append(
                "The patient withdrew consent: no session may start unless they sign a new consent."
            )
        else:
            problems.append("No signed consent for this route: have the patient sign one.")
    return Readiness(
        route=route,
        ready=not problems,
        problems=problems,
        screening=screening,
        consent=consent,
        screening_problem=screening_problem,
    )
