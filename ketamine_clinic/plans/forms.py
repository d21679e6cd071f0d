"""Forms of the plan pages (validation of shape only; the services decide the rest)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from ketamine_clinic.accounts.models import Clinic

from .models import ClinicScheduleSettings, OpeningHours, Protocol, StaffShift


class PlanForm(forms.Form):
    protocol = forms.ModelChoiceField(queryset=Protocol.objects.none())
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    dose = forms.DecimalField(
        required=False, max_digits=7, decimal_places=3, help_text="empty: the protocol's default"
    )

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol"].queryset = Protocol.objects.filter(  # type: ignore[attr-defined]
            clinic=clinic, is_current=True
        ).order_by("name")


class ProtocolVersionForm(forms.ModelForm):  # type: ignore[type-arg]
    note = forms.CharField(max_length=300, help_text="why the protocol changes")

    class Meta:
        model = Protocol
        fields = [
            "dose_default",
            "dose_min",
            "dose_max",
            "titration_step",
            "administration_minutes",
            "min_monitoring_minutes",
            "prep_minutes",
            "turnover_minutes",
            "max_sessions_per_30_days",
            "max_mg_per_30_days",
            "bladder_check_every_sessions",
            "liver_tests_every_days",
            "requires_urine_drug_screen",
            "integration_within_days",
        ]

    def changes(self) -> dict[str, Any]:
        """Return the fields whose value differs from the version shown."""
        return {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if self.cleaned_data[name] != self.initial.get(name)
        }


class ScheduleSettingsForm(forms.Form):
    patients_per_nurse = forms.IntegerField(min_value=1, max_value=6)
    slot_minutes = forms.IntegerField(min_value=5, max_value=60)
    booster_loss_fraction = forms.DecimalField(min_value=Decimal("0.1"), max_value=Decimal(1))

    def __init__(
        self,
        *args: Any,
        settings: ClinicScheduleSettings,
        hours: dict[int, OpeningHours],
        **kwargs: Any,
    ) -> None:
        shifts = {s.weekday: s for s in StaffShift.objects.filter(clinic=settings.clinic)}
        initial = {
            "patients_per_nurse": settings.patients_per_nurse,
            "slot_minutes": settings.slot_minutes,
            "booster_loss_fraction": settings.booster_loss_fraction,
        }
        for i in range(7):
            initial[f"opens_{i}"] = hours[i].opens if i in hours else None
            initial[f"closes_{i}"] = hours[i].closes if i in hours else None
            initial[f"nurses_{i}"] = shifts[i].nurses if i in shifts else 2
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for i in range(7):
            self.fields[f"opens_{i}"] = forms.TimeField(
                required=False, widget=forms.TimeInput(attrs={"type": "time"})
            )
            self.fields[f"closes_{i}"] = forms.TimeField(
                required=False, widget=forms.TimeInput(attrs={"type": "time"})
            )
            self.fields[f"nurses_{i}"] = forms.IntegerField(
                min_value=1, max_value=50, required=False
            )

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        hours = {}
        for i in range(7):
            opens, closes = data.get(f"opens_{i}"), data.get(f"closes_{i}")
            hours[i] = (opens, closes) if opens and closes else None
        return {
            "patients_per_nurse": data["patients_per_nurse"],
            "slot_minutes": data["slot_minutes"],
            "booster_loss_fraction": data["booster_loss_fraction"],
            "hours": hours,
            "nurses": {i: data.get(f"nurses_{i}") or 2 for i in range(7)},
        }
