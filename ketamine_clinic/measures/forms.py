"""Forms of measurement-based care; an instrument's form is built from its definition."""

from __future__ import annotations

from typing import Any

from django import forms

from ketamine_clinic.clinical.instruments import INSTRUMENTS, Instrument

from .models import INSTRUMENT_CHOICES, MeasureSchedule, SafetyAlert


def item_field_name(number: int) -> str:
    return f"item_{number}"


class InstrumentForm(forms.Form):
    """One radio group per item; items may be left empty (the response is then incomplete)."""

    def __init__(
        self,
        *args: Any,
        instrument: Instrument,
        licensed_texts: dict[int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        licensed_texts = licensed_texts or {}
        for item in instrument.items:
            text = item.text or licensed_texts.get(item.number) or item.label
            choices = [
                (str(o.value), o.label if instrument.text_shipped else f"{o.value}")
                for o in item.options
            ]
            self.fields[item_field_name(item.number)] = forms.TypedChoiceField(
                label=(f"{item.number}. {text}" if text else f"Item {item.number}")
                + ("" if item.required else " (optional)"),
                choices=choices,
                coerce=int,
                required=False,
                empty_value=None,
                widget=forms.RadioSelect,
            )

    def answers(self) -> dict[int, int | None]:
        return {
            item.number: self.cleaned_data.get(item_field_name(item.number))
            for item in self.instrument.items
        }


SELF_REPORT_CHOICES = [
    (i.id, i.title) for i in INSTRUMENTS.values() if i.self_report and i.text_shipped
]


class SendLinkForm(forms.Form):
    instruments = forms.MultipleChoiceField(
        choices=SELF_REPORT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        label="Questionnaires",
    )
    email = forms.EmailField(
        required=False,
        label="Send by e-mail to",
        help_text="Leave empty to copy the link or show the QR code instead.",
    )


class AcknowledgeForm(forms.Form):
    action = forms.ChoiceField(choices=SafetyAlert.Action.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text="What you found and did. Required.",
    )


class ScheduleForm(forms.Form):
    instrument = forms.ChoiceField(choices=INSTRUMENT_CHOICES)
    trigger = forms.ChoiceField(choices=MeasureSchedule.Trigger.choices)
    interval_days = forms.IntegerField(
        required=False, min_value=1, max_value=365, label="Every N days (N)"
    )
    active = forms.BooleanField(required=False, initial=True)


class LicensedTextsForm(forms.Form):
    licence_note = forms.CharField(
        max_length=300, label="Licence", help_text="Who holds it, its reference and date."
    )

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in instrument.items:
            self.fields[item_field_name(item.number)] = forms.CharField(
                label=f"Item {item.number}" + (f" ({item.label})" if item.label else ""),
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def texts(self) -> dict[int, str]:
        return {
            int(name.removeprefix("item_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("item_")
        }


class CrisisResourcesForm(forms.Form):
    crisis_resources = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,
        label="Crisis resources shown to patients",
        help_text="Leave empty for the default (US: 988 Suicide & Crisis Lifeline, 911).",
    )
