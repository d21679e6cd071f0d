"""Chart forms. Field rules come from the model validators, which the services also run."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from ketamine_clinic.accounts.models import Clinic, StaffMember
from ketamine_clinic.clinical import icd10

from . import validators
from .models import Indication, MedicationStatement, Patient, WeightMeasurement
from .services import CLINICAL_FIELDS, REGISTRATION_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"


class PatientForm(forms.ModelForm[Patient]):
    class Meta:
        model = Patient
        fields = [*REGISTRATION_FIELDS, *CLINICAL_FIELDS]
        widgets = {
            "date_of_birth": DateInput(),
            "allergies": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "no_known_drug_allergies": "No known drug allergies (NKDA)",
            "escort_name": "Escort (ride home) name",
        }

    def __init__(self, *args: Any, clinical: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not clinical:
            for name in CLINICAL_FIELDS:
                del self.fields[name]


class PatientRegisterForm(PatientForm):
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), empty_label=None)
    weight_kg = forms.DecimalField(
        label="Weight (kg)",
        required=False,
        max_digits=5,
        decimal_places=1,
        validators=[validators.validate_weight_kg],
    )
    height_cm = forms.DecimalField(
        label="Height (cm)",
        required=False,
        max_digits=5,
        decimal_places=1,
        validators=[validators.validate_height_cm],
    )

    def __init__(self, *args: Any, clinics: QuerySet[Clinic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics  # type: ignore[attr-defined]
        self.order_fields(["clinic"])

    def details(self) -> dict[str, Any]:
        names = [*REGISTRATION_FIELDS, *CLINICAL_FIELDS]
        return {name: self.cleaned_data[name] for name in names if name in self.fields}


class WeightForm(forms.ModelForm[WeightMeasurement]):
    # Hidden until the service asks to confirm a weight far from the previous one.
    confirm_jump = forms.BooleanField(
        required=False,
        label="Yes, this weight is right: record it",
        widget=forms.HiddenInput,
    )

    class Meta:
        model = WeightMeasurement
        fields = ["weight_kg", "height_cm", "measured_at"]
        widgets = {"measured_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}
        help_texts = {"measured_at": "Leave empty for now."}

    def __init__(self, *args: Any, jump_share: Decimal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measured_at"].required = False
        if jump_share is not None:
            self.fields["weight_kg"].help_text = (
                f"A change of more than {jump_share * 100:.0f}% from the previous weight "
                "(clinic default 10%) or a kg/lb mix-up is asked to be confirmed."
            )

    def add_error(self, field: str | None, error: Any) -> None:
        if field == "confirm_jump":
            self.fields["confirm_jump"].widget = forms.CheckboxInput()
        super().add_error(field, error)


class IndicationForm(forms.ModelForm[Indication]):
    icd10_code = forms.CharField(
        label="ICD-10-CM code",
        max_length=8,
        help_text="e.g. F33.2; pick from the list or type any valid code.",
        widget=forms.TextInput(attrs={"list": "icd10-catalogue", "autocomplete": "off"}),
    )

    class Meta:
        model = Indication
        fields = ["icd10_code", "description", "treatment_resistant", "is_primary", "noted_on"]
        widgets = {"noted_on": DateInput()}
        help_texts = {"description": "Filled in from the code list when left empty."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].required = False
        self.fields["noted_on"].required = False

    def clean_icd10_code(self) -> str:
        try:
            return icd10.normalise_code(self.cleaned_data["icd10_code"])
        except icd10.InvalidCode as error:
            raise forms.ValidationError(str(error)) from error


class MedicationForm(forms.ModelForm[MedicationStatement]):
    class Meta:
        model = MedicationStatement
        fields = ["name", "dose_and_frequency", "ketamine_interaction_class", "started_on"]
        widgets = {"started_on": DateInput()}
        labels = {"ketamine_interaction_class": "Class that matters with ketamine"}


class CareTeamForm(forms.Form):
    staff = forms.ModelChoiceField(queryset=StaffMember.objects.none())
    responsibility = forms.CharField(max_length=60, initial="Treating prescriber")

    def __init__(self, *args: Any, staff: QuerySet[StaffMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff  # type: ignore[attr-defined]
