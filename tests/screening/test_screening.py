"""Screening, review, consent and the readiness gate: services, pages and API."""

from __future__ import annotations

import base64
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from PIL import Image

from ketamine_clinic.accounts.access import AccessDenied
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.patients.selectors import chart_summary
from ketamine_clinic.screening import services
from ketamine_clinic.screening.models import (
    Consent,
    ConsentTemplate,
    IntakeLink,
    Screening,
    ScreeningSettings,
)

API = "/api/v1"


def _intake(**overrides):
    intake = {
        "route": "iv",
        "age_years": 42,
        "systolic_bp": 124,
        "diastolic_bp": 78,
        "heart_rate": 72,
        "substance_use": "none",
        "failed_antidepressant_trials": 3,
        "depressive_indication": True,
    }
    intake.update(overrides)
    return intake


def _png() -> str:
    image = Image.new("RGB", (120, 40), "white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _screen(world, **overrides):
    return services.screening_record(
        actor=world.nurse, patient=world.patient1, intake=_intake(**overrides)
    )


def _template(world, kind="iv"):
    return next(t for t in services.current_templates(world.clinic1) if t.kind == kind)


def _consent(world, kind="iv", witness=True):
    consent = services.consent_sign(
        actor=world.frontdesk,
        patient=world.patient1,
        template=_template(world, kind),
        signed_name="alice  MORENO",
        signature_png=_png(),
        ip="10.0.0.7",
    )
    if witness:
        consent = services.consent_witness(actor=world.nurse, consent=consent)
    return consent


def test_an_unremarkable_intake_is_eligible_and_expires_after_180_days(world):
    s = _screen(world)
    assert (s.decision, s.findings) == ("eligible", [])
    assert s.ruleset_version.startswith("builtin")
    assert s.expires_at - s.screened_at == timedelta(days=180)
    event = AuditEvent.objects.get(action="screening.record")
    assert event.detail["decision"] == "eligible"


def test_bp_150_95_needs_review_with_the_reason_in_plain_words(world):
    s = _screen(world, systolic_bp=150, diastolic_bp=95)
    assert s.decision == "needs_review"
    finding = next(f for f in s.findings if f["rule"] == "bp_above_140_90")
    assert finding["level"] == "prescriber_review"
    assert "150/95" in finding["reason"]


def test_current_psychosis_is_ineligible(world):
    s = _screen(world, conditions=["psychosis_current"])
    assert s.decision == "ineligible"
    assert [f["rule"] for f in s.findings if f["level"] == "contraindicated"] == [
        "psychosis_current"
    ]


def test_bad_intake_names_each_field_and_saves_nothing(world):
    with pytest.raises(ValidationError) as caught:
        _screen(world, route="nasal", failed_antidepressant_trials=-1, conditions=["zombie"])
    assert {"route", "failed_antidepressant_trials"} <= set(caught.value.message_dict)
    assert any(k.startswith("conditions") for k in caught.value.message_dict)
    assert not Screening.objects.exists()


def test_a_prescriber_reviews_and_the_patient_may_proceed(world):
    s = _screen(world, systolic_bp=150, diastolic_bp=95)
    assert services.screening_status(s) == "awaiting review"
    with pytest.raises(AccessDenied):
        services.screening_review(
            actor=world.nurse,
            screening=s,
            outcome="approved",
            reasoning="Looks fine to me, proceed.",
        )
    with pytest.raises(ValidationError) as caught:
        services.screening_review(
            actor=world.prescriber, screening=s, outcome="approved", reasoning="ok"
        )
    assert "reasoning" in caught.value.message_dict
    services.screening_review(
        actor=world.prescriber,
        screening=s,
        outcome="approved",
        reasoning="Repeat reading 136/84 after ten minutes' rest; treated hypertension.",
    )
    assert services.screening_status(s) == "approved"
    assert AuditEvent.objects.get(action="screening.review").detail["outcome"] == "approved"


def test_a_contraindication_cannot_be_overridden_unless_the_protocol_allows_two_prescribers(
    world,
):
    s = _screen(world, systolic_bp=185, diastolic_bp=95)
    assert s.decision == "ineligible"
    reason = "Documented white-coat hypertension; home readings 130s; cardiology agrees."
    with pytest.raises(ValidationError, match="protocol does not allow"):
        services.screening_review(
            actor=world.prescriber, screening=s, outcome="approved", reasoning=reason
        )
    ScreeningSettings.objects.update_or_create(
        clinic=world.clinic1, defaults={"allow_contraindication_override": True}
    )
    s.refresh_from_db()
    services.screening_review(
        actor=world.prescriber, screening=s, outcome="approved", reasoning=reason
    )
    assert services.screening_status(s) == "awaiting a second prescriber"
    with pytest.raises(ValidationError, match="already reviewed"):
        services.screening_review(
            actor=world.prescriber, screening=s, outcome="approved", reasoning=reason
        )
    from tests.conftest import make_staff

    second = make_staff(world.org, "prescriber2", world.clinic1, "prescriber")
    services.screening_review(actor=second, screening=s, outcome="approved", reasoning=reason)
    assert services.screening_status(s) == "override approved"


def test_an_eligible_screening_has_nothing_to_review(world):
    s = _screen(world)
    with pytest.raises(ValidationError, match="nothing to review"):
        services.screening_review(
            actor=world.prescriber, screening=s, outcome="approved", reasoning="All fine here."
        )


def test_readiness_needs_a_current_screening_and_a_witnessed_consent(world):
    blocked = services.treatment_readiness(world.patient1, "iv", actor=world.nurse)
    assert blocked.ready is False
    assert blocked.problems == [
        "No eligibility screening for this route: screen the patient first.",
        "No signed consent for this route: have the patient sign one.",
    ]
    _screen(world)
    consent = _consent(world, witness=False)
    pending = services.treatment_readiness(world.patient1, "iv", actor=world.nurse)
    assert pending.problems == [
        "The consent is signed but not witnessed: a staff witness must countersign it."
    ]
    services.consent_witness(actor=world.nurse, consent=consent)
    assert services.treatment_readiness(world.patient1, "iv", actor=world.nurse).ready is True
    # the consent for IV does not cover esketamine
    other = services.treatment_readiness(world.patient1, "intranasal", actor=world.nurse)
    assert (other.ready, other.problems) == (
        False,
        [
            "No eligibility screening for this route: screen the patient first.",
            "No signed consent for this route: have the patient sign one.",
        ],
    )


def test_an_expired_screening_and_a_withdrawn_consent_block(world):
    s = _screen(world)
    consent = _consent(world)
    later = timezone.now() + timedelta(days=181)
    expired = services.treatment_readiness(world.patient1, "iv", at=later, actor=world.nurse)
    assert expired.problems == [
        f"The screening of {s.screened_at:%Y-%m-%d} has expired: screen the patient again."
    ]
    services.consent_withdraw(actor=world.nurse, consent=consent, reason="Changed my mind.")
    withdrawn = services.treatment_readiness(world.patient1, "iv", actor=world.nurse)
    assert withdrawn.problems == [
        "The patient withdrew consent: no session may start unless they sign a new consent."
    ]


def test_ineligible_blocks_whatever_the_consent(world):
    _screen(world, conditions=["psychosis_current"])
    _consent(world)
    r = services.treatment_readiness(world.patient1, "iv", actor=world.nurse)
    assert r.problems == [
        "The latest screening is ineligible: the patient may not be treated by this route."
    ]


def test_signing_checks_the_name_and_the_signature(world):
    template = _template(world)
    with pytest.raises(ValidationError) as caught:
        services.consent_sign(
            actor=world.frontdesk,
            patient=world.patient1,
            template=template,
            signed_name="Alice Smith",
            signature_png=_png(),
            ip=None,
        )
    assert "signed_name" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.consent_sign(
            actor=world.frontdesk,
            patient=world.patient1,
            template=template,
            signed_name="Alice Moreno",
            signature_png="",
            ip=None,
        )
    assert "signature" in caught.value.message_dict
    not_png = "data:image/png;base64," + base64.b64encode(b"GIF89a....").decode()
    with pytest.raises(ValidationError) as caught:
        services.consent_sign(
            actor=world.frontdesk,
            patient=world.patient1,
            template=template,
            signed_name="Alice Moreno",
            signature_png=not_png,
            ip=None,
        )
    assert caught.value.message_dict == {"signature": ["The signature could not be read."]}
    with pytest.raises(AccessDenied):
        services.consent_sign(
            actor=world.auditor,
            patient=world.patient1,
            template=template,
            signed_name="Alice Moreno",
            signature_png=_png(),
            ip=None,
        )
    assert not Consent.objects.exists()


def test_witnessing_makes_and_keeps_the_pdf_with_the_exact_version(world):
    consent = _consent(world)
    assert consent.status == "current"
    assert bytes(consent.pdf).startswith(b"%PDF-")
    assert len(bytes(consent.pdf)) > 5000
    assert consent.template.version == 1
    assert consent.signed_ip == "10.0.0.7"


def test_a_new_template_version_is_used_for_new_signatures_only(world):
    old = _consent(world)
    body = ("This clinic's own words about IV ketamine. " * 10).strip()
    new = services.consent_template_change(
        actor=world.admin, clinic=world.clinic1, kind="iv", title="IV ketamine (ours)", body=body
    )
    assert new.version == 2
    assert _template(world).pk == new.pk
    with pytest.raises(ValidationError, match="newer version"):
        services.consent_sign(
            actor=world.frontdesk,
            patient=world.patient1,
            template=old.template,
            signed_name="Alice Moreno",
            signature_png=_png(),
            ip=None,
        )
    assert services.treatment_readiness(world.patient1, "iv", actor=world.nurse).consent == old
    with pytest.raises(ValidationError, match="too short"):
        services.consent_template_change(
            actor=world.admin, clinic=world.clinic1, kind="iv", title="x", body="short"
        )
    # clinic 2 still uses the product's text
    assert (
        next(t for t in services.current_templates(world.clinic2) if t.kind == "iv").clinic is None
    )


def test_clinic_rules_are_versioned_and_recorded_on_each_screening(world):
    services.ruleset_change(
        actor=world.prescriber,
        clinic=world.clinic1,
        thresholds={"bp_contraindicated_systolic": 170},
        extra_rules=[],
        note="stricter",
    )
    s = _screen(world, systolic_bp=175, diastolic_bp=90)
    assert s.decision == "ineligible"
    assert s.ruleset_version.endswith(f"+clinic{world.clinic1.pk}.v1")
    with pytest.raises(ValidationError) as caught:
        services.ruleset_change(
            actor=world.prescriber, clinic=world.clinic1, thresholds={"bp_limit": 1}, extra_rules=[]
        )
    assert "bp_limit" in caught.value.message_dict
    with pytest.raises(AccessDenied):
        services.ruleset_change(
            actor=world.nurse, clinic=world.clinic1, thresholds={}, extra_rules=[]
        )


def test_intake_page_screens_and_shows_the_reason(world, login):
    client = login(world.nurse)
    response = client.post(
        f"/screening/patients/{world.patient1.pk}/new/",
        {
            "route": "iv",
            "systolic_bp": "150",
            "diastolic_bp": "95",
            "heart_rate": "80",
            "substance_use": "none",
            "failed_antidepressant_trials": "2",
        },
    )
    screening = Screening.objects.get()
    assert response["Location"] == f"/screening/{screening.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Needs a prescriber&#x27;s review" in page
    assert "150/95" in page


def test_another_clinics_screening_and_consent_are_404(world, login):
    s = services.screening_record(actor=world.nurse2, patient=world.patient2, intake=_intake())
    client = login(world.prescriber)
    assert client.get(f"/screening/{s.pk}/").status_code == 404
    assert client.get(f"/screening/patients/{world.patient2.pk}/").status_code == 404


def test_pdf_download_is_audited(world, login):
    consent = _consent(world)
    response = login(world.nurse).get(f"/screening/consents/{consent.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action="consent.pdf").count() == 1


def test_api_screens_reviews_and_reports_readiness(world, client, token_for):
    nurse = token_for(world.nurse)
    path = f"{API}/patients/{world.patient1.pk}"
    bad = client.post(
        f"{path}/screenings",
        {"intake": _intake(route="nasal")},
        content_type="application/json",
        **nurse,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "route"
    made = client.post(
        f"{path}/screenings",
        {"intake": _intake(systolic_bp=150, diastolic_bp=95)},
        content_type="application/json",
        **nurse,
    )
    assert made.status_code == 201
    body = made.json()
    assert (body["decision"], body["status"]) == ("needs_review", "awaiting review")
    reviewed = client.post(
        f"{API}/screenings/{body['id']}/review",
        {"outcome": "approved", "reasoning": "Repeat BP 134/82 after rest; proceed."},
        content_type="application/json",
        **token_for(world.prescriber),
    )
    assert reviewed.status_code == 200
    assert reviewed.json()["status"] == "approved"
    readiness = client.get(f"{path}/readiness", **nurse).json()
    assert readiness[0] == {
        "route": "iv",
        "ready": False,
        "problems": ["No signed consent for this route: have the patient sign one."],
    }
    templates = client.get(f"{API}/consent-templates", **nurse).json()
    assert {t["kind"] for t in templates} == {"iv", "im", "intranasal", "kap"}
    assert ConsentTemplate.objects.filter(clinic=None).count() == 4


def test_a_patient_signs_consent_through_a_link_once(world, login, client):
    import re

    staff = login(world.frontdesk)
    template = _template(world)
    page = staff.post(f"/screening/patients/{world.patient1.pk}/consent/{template.pk}/link/")
    url = re.search(r'value="http://testserver(/c/[^"]+/)"', page.content.decode()).group(1)
    assert 'alt="QR code of the consent link"' in page.content.decode()
    staff.logout()
    public = client.get(url).content.decode()
    assert "Hello Alice" in public and "Moreno" not in public
    assert "Consent to IV ketamine treatment" in public
    shown = AuditEvent.objects.get(action="self_report.open")
    assert (shown.patient, shown.actor, shown.detail) == (world.patient1, None, {"link": "consent"})
    assert '<script src="/static/kc/signature.js">' in public
    missing = client.post(url, {"signed_name": "Alice Moreno", "signature": "", "understood": "on"})
    assert "Sign in the box (the signature is missing)." in missing.content.decode()
    done = client.post(
        url, {"signed_name": "Alice Moreno", "signature": _png(), "understood": "on"}
    )
    assert done["Location"] == "/c/done/"
    consent = Consent.objects.get()
    assert (consent.channel, consent.status) == ("link", "awaiting witness")
    assert consent.presented_by == world.frontdesk
    sign_event = AuditEvent.objects.get(action="consent.sign")
    assert sign_event.actor is None and sign_event.detail["channel"] == "link"
    assert client.get(url).status_code == 404  # dead once signed
    assert "This link is not valid" in client.get(url).content.decode()
    link = consent.link
    assert link.submitted_at == consent.signed_at
    assert link.status_at(consent.signed_at) == "submitted"


def test_the_patient_answers_the_intake_history_and_it_prefills_the_staff_form(
    world, login, client
):
    import re

    staff = login(world.frontdesk)
    page = staff.post(f"/screening/patients/{world.patient1.pk}/intake-link/").content.decode()
    url = re.search(r'value="http://testserver(/i/[^"]+/)"', page).group(1)
    staff.logout()
    form = client.get(url).content.decode()
    assert "Hello Alice" in form and "Moreno" not in form
    shown = AuditEvent.objects.get(action="self_report.open")
    assert (shown.patient, shown.detail) == (world.patient1, {"link": "intake"})
    bad = client.post(
        url,
        {"substance_use": "none", "substances": "cannabis", "failed_antidepressant_trials": "2"},
    )
    assert bad.status_code == 200  # substances listed with no substance use: refused, named
    assert bad.context["form"].errors == {
        "substances": [
            "Substances are listed but substance use is 'none'; give 'past' or 'current'."
        ]
    }
    assert not IntakeLink.objects.filter(submitted_at__isnull=False).exists()
    done = client.post(
        url,
        {
            "conditions": ["sleep_apnoea"],
            "pregnant": "no",
            "substance_use": "past",
            "substances": "alcohol",
            "failed_antidepressant_trials": "3",
            "prior_tms": "partial",
        },
    )
    assert done["Location"] == "/i/done/"
    assert client.get(url).status_code == 404
    nurse = login(world.nurse)
    intake = nurse.get(f"/screening/patients/{world.patient1.pk}/new/").content.decode()
    assert "The patient's own answers of" in intake
    assert re.search(r'value="sleep_apnoea"[^>]*checked', intake)
    assert re.search(r'name="failed_antidepressant_trials" value="3"', intake)
    assert AuditEvent.objects.filter(action="screening.intake_link_submit").count() == 1


def test_a_withdrawal_is_not_undone_by_an_older_consent(world):
    # Two signed consents (say the tablet and, earlier, a link), then the patient withdraws the
    # newer one: withdrawal stops every session until a consent is signed after it.
    _screen(world)
    older = _consent(world)
    newer = _consent(world, kind="kap")
    services.consent_withdraw(actor=world.nurse, consent=newer, reason="I want to stop.")
    blocked = services.treatment_readiness(world.patient1, "iv", actor=world.nurse)
    assert (blocked.ready, blocked.consent) == (False, None)
    assert blocked.problems == [
        "The patient withdrew consent: no session may start unless they sign a new consent."
    ]
    assert older.withdrawn_at is None
    alerts = [a.text for a in chart_summary(world.patient1, world.nurse).alerts]
    assert "Consent withdrawn: no session may start." in alerts
    # Signed (and witnessed) again after the withdrawal: the new consent counts.
    again = _consent(world)
    ready = services.treatment_readiness(world.patient1, "iv", actor=world.nurse)
    assert (ready.ready, ready.consent) == (True, again)
    alerts = [a.text for a in chart_summary(world.patient1, world.nurse).alerts]
    assert "Consent withdrawn: no session may start." not in alerts


def test_api_reads_of_screenings_consents_and_readiness_are_audited(world, client, token_for):
    _screen(world)
    _consent(world)
    nurse = token_for(world.nurse)
    path = f"{API}/patients/{world.patient1.pk}"
    before = AuditEvent.objects.filter(action="chart.view").count()
    for what in ("screenings", "consents", "readiness"):
        assert client.get(f"{path}/{what}", **nurse).status_code == 200
    reads = AuditEvent.objects.filter(action="chart.view").order_by("pk")[before:]
    assert [(e.actor, e.patient, e.detail, e.channel) for e in reads] == [
        (world.nurse, world.patient1, {"read": what}, "api")
        for what in ("screenings", "consents", "readiness")
    ]
    # Another clinic's patient: the same 404, and no read recorded.
    assert client.get(f"{API}/patients/{world.patient2.pk}/consents", **nurse).status_code == 404
    assert AuditEvent.objects.filter(action="chart.view").count() == before + 3


def test_opening_a_consent_page_is_audited(world, login):
    consent = _consent(world)
    page = login(world.nurse).get(f"/screening/consents/{consent.pk}/")
    assert page.status_code == 200
    event = AuditEvent.objects.filter(action="chart.view").latest("pk")
    assert (event.actor, event.patient, event.object_type, event.object_id) == (
        world.nurse,
        world.patient1,
        "consent",
        str(consent.pk),
    )


def test_the_rules_page_names_each_bad_field_and_keeps_no_version(world, login):
    from ketamine_clinic.screening.models import ClinicRuleSet

    client = login(world.prescriber)
    url = f"/screening/rules/?clinic={world.clinic1.pk}"
    not_json = client.post(
        url, {"clinic": world.clinic1.pk, "thresholds": "{170", "extra_rules": "{}"}
    )
    assert not_json.context["errors"] == [
        "thresholds: Not valid JSON: Expecting property name enclosed in double quotes "
        "(line 1, column 2).",
        "extra_rules: Expected a JSON list.",
    ]
    unknown = client.post(
        url, {"clinic": world.clinic1.pk, "thresholds": '{"bp_limit": 170}', "extra_rules": "[]"}
    )
    assert unknown.context["errors"] == ["bp_limit: Unknown threshold."]
    bad_rule = client.post(
        url,
        {
            "clinic": world.clinic1.pk,
            "thresholds": "{}",
            "extra_rules": '[{"id": "x", "statement": "s.", "routes": ["iv"], "level": "fatal", '
            '"source": "ours", "kind": "pregnant"}]',
        },
    )
    assert bad_rule.context["errors"] == [
        "extra_rules.0.level: Unknown level 'fatal' (contraindicated, prescriber_review, caution)."
    ]
    assert not ClinicRuleSet.objects.exists()
    assert not AuditEvent.objects.filter(action="screening.ruleset_change").exists()
    good = client.post(
        url,
        {
            "clinic": world.clinic1.pk,
            "thresholds": '{"bp_review_systolic": 150}',
            "extra_rules": "",
        },
    )
    assert good.status_code == 302
    assert ClinicRuleSet.objects.get().thresholds == {"bp_review_systolic": 150}


def test_a_consent_text_that_is_too_short_is_refused_naming_the_field(world, login):
    client = login(world.admin)
    response = client.post(
        "/screening/rules/consent-templates/",
        {"clinic": world.clinic1.pk, "kind": "iv", "title": "Ours", "body": "Too short."},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "body: The consent text is too short to be informed consent."
    ]
    untitled = client.post(
        "/screening/rules/consent-templates/",
        {"clinic": world.clinic1.pk, "kind": "iv", "title": "", "body": "x" * 300},
        follow=True,
    )
    assert [str(m) for m in untitled.context["messages"]] == ["title: This field is required."]
    assert not ConsentTemplate.objects.filter(clinic=world.clinic1).exists()
    assert not AuditEvent.objects.filter(action="consent.template_change").exists()


def test_a_screening_is_current_until_the_instant_it_expires(world):
    s = _screen(world)
    _consent(world)
    just_before = services.treatment_readiness(
        world.patient1, "iv", at=s.expires_at - timedelta(microseconds=1), actor=world.nurse
    )
    assert (just_before.ready, just_before.problems) == (True, [])
    at_expiry = services.treatment_readiness(
        world.patient1, "iv", at=s.expires_at, actor=world.nurse
    )
    assert at_expiry.problems == [
        f"The screening of {s.screened_at:%Y-%m-%d} has expired: screen the patient again."
    ]


def test_a_declined_review_blocks_even_after_another_prescriber_approves(world):
    from tests.conftest import make_staff

    s = _screen(world, systolic_bp=150, diastolic_bp=95)
    _consent(world)
    services.screening_review(
        actor=world.prescriber,
        screening=s,
        outcome="declined",
        reasoning="Repeat reading 176/104: treat the blood pressure first.",
    )
    second = make_staff(world.org, "prescriber2", world.clinic1, "prescriber")
    services.screening_review(
        actor=second, screening=s, outcome="approved", reasoning="Looks acceptable to me today."
    )
    assert services.screening_status(s) == "declined"
    assert services.treatment_readiness(world.patient1, "iv", actor=world.nurse).problems == [
        "The latest screening is declined: the patient may not be treated by this route."
    ]


def test_api_withdraws_a_consent_and_readiness_follows(world, client, token_for):
    _screen(world)
    consent = _consent(world)
    nurse = token_for(world.nurse)
    too_long = client.post(
        f"{API}/consents/{consent.pk}/withdraw",
        {"reason": "x" * 2001},
        content_type="application/json",
        **nurse,
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"] == [
        {
            "field": "reason",
            "message": "Ensure this value has at most 2000 characters (it has 2001).",
        }
    ]
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
    assert not AuditEvent.objects.filter(action="consent.withdraw").exists()
    done = client.post(
        f"{API}/consents/{consent.pk}/withdraw",
        {"reason": "Does not want more sessions."},
        content_type="application/json",
        **nurse,
    )
    assert done.status_code == 200
    assert done.json()["status"] == "withdrawn"
    event = AuditEvent.objects.get(action="consent.withdraw")
    assert (event.actor, event.detail) == (world.nurse, {"reason": "Does not want more sessions."})
    readiness = client.get(f"{API}/patients/{world.patient1.pk}/readiness", **nurse).json()
    assert readiness[0]["problems"] == [
        "The patient withdrew consent: no session may start unless they sign a new consent."
    ]
    again = client.post(
        f"{API}/consents/{consent.pk}/withdraw", {}, content_type="application/json", **nurse
    )
    assert again.status_code == 422
    assert again.json()["errors"] == [
        {"field": "__all__", "message": "This consent is already withdrawn."}
    ]
    # Another clinic's staff: 404, as for a consent that does not exist.
    other = client.post(
        f"{API}/consents/{consent.pk}/withdraw",
        {},
        content_type="application/json",
        **token_for(world.nurse2),
    )
    assert other.status_code == 404


def test_api_screening_notes_too_long_names_the_field_and_saves_nothing(world, client, token_for):
    response = client.post(
        f"{API}/patients/{world.patient1.pk}/screenings",
        {"intake": _intake(), "notes": "x" * 4001},
        content_type="application/json",
        **token_for(world.nurse),
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["notes"]
    assert not Screening.objects.exists()
    assert not AuditEvent.objects.filter(action="screening.record").exists()


def test_readiness_is_asked_only_about_a_patient_the_actor_may_see(world):
    with pytest.raises(Http404):
        services.treatment_readiness(world.patient2, "iv", actor=world.nurse)
    denied = AuditEvent.objects.filter(action="access.denied", patient=world.patient2)
    assert denied.count() == 1
