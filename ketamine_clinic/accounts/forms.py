from __future__ import annotations

from typing import Any

from allauth.account import forms as allauth_forms
from django import forms
from django.db.models import QuerySet

from .models import ROLE_CHOICES, Clinic


class InviteForm(forms.Form):
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), empty_label=None)
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    username = forms.RegexField(
        regex=r"^[\w.@+-]+\Z",
        max_length=150,
        error_messages={"invalid": "Use letters, digits and . @ + - _ only."},
    )
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField()
    credentials = forms.CharField(max_length=60, required=False, help_text="e.g. MD, NP, RN")

    def __init__(self, *args: Any, clinics: QuerySet[Clinic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics  # type: ignore[attr-defined]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)


class AcceptInvitationForm(forms.Form):
    password1 = forms.CharField(label="Choose a password", widget=forms.PasswordInput)
    password2 = forms.CharField(label="Repeat it", widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return cleaned


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, help_text="What this token is for")


class LoginForm(allauth_forms.LoginForm):  # type: ignore[misc]  # allauth is untyped
    """allauth's sign-in form, with the cursor starting in Username."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].widget.attrs["autofocus"] = True
