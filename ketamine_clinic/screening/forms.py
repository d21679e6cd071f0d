"""The intake form (staff-entered), review, consent signing and clinic rule forms."""

from __future__ import annotations

from typing import Any

from django import forms

from ketamine_clinic.clinical import eligibility
from ketamine_clinic.clinical.medications import LABELS as MED_LABELS
from ketamine_clinic.clinical.medications import KetamineInteractionClass

from .models import ConsentTemplate, Route, ScreeningReview

_TRI = [("", "Not asked / unknown"), ("no", "No"), ("yes", "Yes")]
_TRI_VALUES: dict[str, bool | None] = {"": None, "no": False, "yes": True}
_PRIOR = [("", "Never had it"), *eligibility.PRIOR_RESPONSES.items()]
PRIOR_TREATMENTS = eligibility.PRIOR_TREATMENTS


def _by_label(item: tuple[str, str]) -> str:
    return item[1]


class IntakeForm(forms.Form):
    route = forms.ChoiceField(choices=Route.choices, label="Planned route")
    systolic_bp = forms.IntegerField(label="Blood pressure, systolic (mm Hg)", required=False)
    diastolic_bp = forms.IntegerField(label="Blood pressure, diastolic (mm Hg)", required=False)
    heart_rate = forms.IntegerField(label="Heart rate (/min)", required=False)
    weight_kg = forms.DecimalField(label="Weight (kg)", required=False, decimal_places=1)
    height_cm = forms.DecimalField(label="Height (cm)", required=False, decimal_places=1)
    pregnant = forms.ChoiceField(choices=_TRI, required=False, label="Pregnant")
    breastfeeding = forms.ChoiceField(choices=_TRI, required=False, label="Breastfeeding")
    failed_antidepressant_trials = forms.IntegerField(
        required=False,
        label="Adequate antidepressant trials that failed in this episode",
        help_text="Treatment-resistant depression: 2 or more.",
    )
    substance_use = forms.ChoiceField(
        choices=[("none", "None"), ("past", "Past"), ("current", "Current")],
        label="Substance use",
    )
    substances = forms.CharField(
        required=False, max_length=300, help_text="Which substances, comma-separated."
    )
    medication_classes = forms.MultipleChoiceField(
        choices=[(c.value, MED_LABELS[c]) for c in KetamineInteractionClass if c.value != "none"],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Current medication classes",
    )
    notes = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Indication and episode history",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _add_history_fields(
            self, conditions_label="Conditions (documented history)", prior_label="{}"
        )

    def intake(self, *, age_years: int, depressive_indication: bool) -> dict[str, Any]:
        """The intake document for the core, from the cleaned form."""
        data = self.cleaned_data
        intake: dict[str, Any] = {
            "route": data["route"],
            "age_years": age_years,
            "depressive_indication": depressive_indication,
            "medication_classes": list(data["medication_classes"]),
            **_history_answers(data),
        }
        for name in ("systolic_bp", "diastolic_bp", "heart_rate"):
            if data[name] is not None:
                intake[name] = data[name]
        for name in ("weight_kg", "height_cm"):
            if data[name] is not None:
                intake[name] = float(data[name])
        return intake


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(choices=ScreeningReview.Outcome.choices, widget=forms.RadioSelect)
    reasoning = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text="Why, given each finding. Kept in the record and the audit trail.",
    )


class SignForm(forms.Form):
    signed_name = forms.CharField(max_length=200, label="Your full name")
    signature = forms.CharField(widget=forms.HiddenInput, required=False)
    understood = forms.BooleanField(
        label="I have read this document, my questions have been answered, and I agree to "
        "the treatment."
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text="In the patient's words, if they gave one.",
    )


class ConsentTemplateForm(forms.Form):
    kind = forms.ChoiceField(choices=ConsentTemplate.Kind.choices)
    title = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 20}), max_length=20000)


class PatientIntakeForm(forms.Form):
    """The history part of the intake, in the patient's own words (no measurements)."""

    pregnant = forms.ChoiceField(
        choices=[("", "Prefer to discuss with the clinic"), ("no", "No"), ("yes", "Yes")],
        required=False,
        label="Are you pregnant, or could you be?",
    )
    breastfeeding = forms.ChoiceField(
        choices=[("", "Prefer to discuss with the clinic"), ("no", "No"), ("yes", "Yes")],
        required=False,
        label="Are you breastfeeding?",
    )
    substance_use = forms.ChoiceField(
        choices=[
            ("none", "No"),
            ("past", "In the past, not now"),
            ("current", "Yes, now"),
        ],
        label="Have you had a problem with alcohol or drug use (including ketamine)?",
        widget=forms.RadioSelect,
    )
    substances = forms.CharField(required=False, max_length=300, label="If so, which substances?")
    failed_antidepressant_trials = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=50,
        label="How many antidepressant medicines have you tried, in this episode, that did "
        "not help enough?",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _add_history_fields(
            self,
            conditions_label="Has a doctor ever told you that you have any of these?",
            prior_label="Have you had {}?",
        )
        self.order_fields(["conditions"])

    def answers(self) -> dict[str, Any]:
        """The patient's history answers (services.PATIENT_INTAKE_FIELDS), from the cleaned form."""
        return _history_answers(self.cleaned_data)


def _add_history_fields(form: forms.Form, *, conditions_label: str, prior_label: str) -> None:
    """The condition checklist and one field per earlier treatment, shared by both intake forms."""
    form.fields["conditions"] = forms.MultipleChoiceField(
        choices=[(k, v) for k, v in sorted(eligibility.CONDITIONS.items(), key=_by_label)],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=conditions_label,
    )
    for key, label in PRIOR_TREATMENTS.items():
        form.fields[f"prior_{key}"] = forms.ChoiceField(
            choices=_PRIOR, required=False, label=prior_label.format(label)
        )


def _history_answers(data: dict[str, Any]) -> dict[str, Any]:
    """The history part of an intake document from either form's cleaned data; an unanswered
    pregnancy, breastfeeding or trial count is left out (not recorded)."""
    answers: dict[str, Any] = {
        "conditions": list(data["conditions"]),
        "substance_use": data["substance_use"],
        "substances": [s.strip() for s in data["substances"].split(",") if s.strip()],
        "prior_treatments": {
            key: data[f"prior_{key}"] for key in PRIOR_TREATMENTS if data[f"prior_{key}"]
        },
    }
    if data["failed_antidepressant_trials"] is not None:
        answers["failed_antidepressant_trials"] = data["failed_antidepressant_trials"]
    for name in ("pregnant", "breastfeeding"):
        if _TRI_VALUES[data[name]] is not None:
            answers[name] = _TRI_VALUES[data[name]]
    return answers


def initial_from_patient_answers(answers: dict[str, Any]) -> dict[str, Any]:
    """Staff intake form values from the patient's own answers."""
    initial: dict[str, Any] = {
        "conditions": answers.get("conditions", []),
        "substance_use": answers.get("substance_use", "none"),
        "substances": ", ".join(answers.get("substances", [])),
    }
    if "failed_antidepressant_trials" in answers:
        initial["failed_antidepressant_trials"] = answers["failed_antidepressant_trials"]
    for name in ("pregnant", "breastfeeding"):
        if name in answers:
            initial[name] = "yes" if answers[name] else "no"
    for key, response in answers.get("prior_treatments", {}).items():
        initial[f"prior_{key}"] = response
    return initial
