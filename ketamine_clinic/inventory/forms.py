from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from ketamine_clinic.accounts.models import Clinic

from .models import Container, Product, Supplier

SIGNATURE_HELP = "Your password or a code from your authenticator app: it signs this entry."


class SignatureField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Your signature")
        kwargs.setdefault("help_text", SIGNATURE_HELP)
        super().__init__(widget=forms.PasswordInput(render_value=False), max_length=128, **kwargs)


class ReceiptForm(forms.Form):
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), empty_label=None)
    product = forms.ModelChoiceField(queryset=Product.objects.none())
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.none())
    lot_number = forms.CharField(max_length=40)
    expires_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    invoice = forms.CharField(max_length=60)
    containers = forms.IntegerField(min_value=1, max_value=200, initial=1)
    label_prefix = forms.CharField(max_length=8, initial="V-", label="Container label prefix")
    signature = SignatureField()

    def __init__(self, *args: Any, clinics: QuerySet[Clinic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org_ids = clinics.values_list("organization_id", flat=True)
        self.fields["clinic"].queryset = clinics  # type: ignore[attr-defined]
        self.fields["product"].queryset = Product.objects.filter(  # type: ignore[attr-defined]
            organization_id__in=org_ids, active=True
        )
        self.fields["supplier"].queryset = Supplier.objects.filter(  # type: ignore[attr-defined]
            organization_id__in=org_ids, active=True
        )


class DispenseForm(forms.Form):
    container = forms.ModelChoiceField(queryset=Container.objects.none())
    patient_mrn = forms.CharField(max_length=20, label="Patient MRN")
    quantity_mg = forms.DecimalField(label="Drawn (mg)", max_digits=10, decimal_places=3)
    administered_mg = forms.DecimalField(
        label="Given (mg)",
        max_digits=10,
        decimal_places=3,
        required=False,
        help_text="Leave empty if all that was drawn was given.",
    )
    session_ref = forms.CharField(max_length=60, required=False, label="Session")
    signature = SignatureField()

    def __init__(self, *args: Any, containers: QuerySet[Container], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["container"].queryset = containers  # type: ignore[attr-defined]


class WasteForm(forms.Form):
    quantity_mg = forms.DecimalField(label="Wasted (mg)", max_digits=10, decimal_places=3)
    reason = forms.CharField(max_length=500, required=False, initial="Left in syringe")
    signature = SignatureField()
    witness_username = forms.CharField(max_length=150, label="Witness (username)")
    witness_signature = SignatureField(
        label="Witness's signature", help_text="The witness types their password or code."
    )


class ResolveForm(forms.Form):
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=500)
    signature = SignatureField()


class DisposalForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            ("return", "Return to supplier"),
            ("destruction", "Destruction (DEA Form 41: two witnesses)"),
            ("breakage", "Breakage or spill (one witness)"),
        ]
    )
    quantity_mg = forms.DecimalField(label="Quantity (mg)", max_digits=10, decimal_places=3)
    method = forms.CharField(max_length=200, required=False, help_text="Destruction: how")
    location = forms.CharField(max_length=200, required=False, help_text="Destruction: where")
    supplier = forms.CharField(max_length=200, required=False, help_text="Return: to whom")
    reference = forms.CharField(max_length=200, required=False, help_text="Return: reference")
    what_happened = forms.CharField(max_length=200, required=False, help_text="Breakage")
    signature = SignatureField()
    witness_1 = forms.CharField(max_length=150, required=False, label="Witness 1 (username)")
    witness_signature_1 = SignatureField(label="Witness 1's signature", required=False)
    witness_2 = forms.CharField(max_length=150, required=False, label="Witness 2 (username)")
    witness_signature_2 = SignatureField(label="Witness 2's signature", required=False)


class LossForm(forms.Form):
    kind = forms.ChoiceField(choices=[("theft", "Theft"), ("loss", "Significant loss")])
    quantity_mg = forms.DecimalField(label="Quantity (mg)", max_digits=10, decimal_places=3)
    discovered_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    circumstances = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    signature = SignatureField()


class TransferForm(forms.Form):
    to_clinic = forms.ModelChoiceField(
        queryset=Clinic.objects.none(), empty_label=None, label="To the site"
    )
    signature = SignatureField()

    def __init__(self, *args: Any, clinics: QuerySet[Clinic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_clinic"].queryset = clinics  # type: ignore[attr-defined]


class CatalogForm(forms.Form):
    """A catalogue record; with `fixed`, the fields that stock already received depends on are
    shown but cannot be changed; `active` only when editing."""

    fixed_help = ""

    def __init__(
        self, *args: Any, fixed: tuple[str, ...] = (), editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["active"]
        for name in fixed:
            self.fields[name].disabled = True
            self.fields[name].help_text = self.fixed_help


class ProductForm(CatalogForm):
    """A product."""

    fixed_help = "Fixed: stock of this product has been received."

    name = forms.CharField(max_length=120, help_text="e.g. Ketamine HCl injection")
    ndc = forms.CharField(
        label="NDC", max_length=20, help_text="As printed on the package, e.g. 0409-2051-05"
    )
    form = forms.CharField(
        label="Finished form", max_length=60, help_text="e.g. 100 mg/mL, 10 mL vial"
    )
    mg_per_container = forms.DecimalField(label="mg per container", help_text="e.g. 1000")
    ml_per_container = forms.DecimalField(
        label="mL per container", required=False, help_text="Empty for a device or kit"
    )
    quantity_decimals = forms.TypedChoiceField(
        label="Quantities in steps of",
        choices=[(0, "1 mg"), (1, "0.1 mg"), (2, "0.01 mg"), (3, "0.001 mg")],
        coerce=int,
        initial=1,
    )
    unit_mg = forms.DecimalField(
        label="Used whole, in units of (mg)",
        required=False,
        help_text="e.g. 28 for an esketamine device; empty for a vial",
    )
    active = forms.BooleanField(
        label="Can be received", required=False, initial=True, help_text="Untick to retire it."
    )


class SupplierForm(CatalogForm):
    """A supplier."""

    fixed_help = "Fixed: stock has been received from this supplier."
    name = forms.CharField(max_length=200)
    address = forms.CharField(max_length=300)
    dea_number = forms.CharField(
        label="DEA registration number", max_length=9, help_text="e.g. RM1234563"
    )
    active = forms.BooleanField(
        label="Can be received from", required=False, initial=True, help_text="Untick to retire."
    )


class CountIntervalForm(forms.Form):
    count_every_hours = forms.IntegerField(
        label="Count the stock every (hours)",
        help_text="Clinic policy: 8 for each shift, 24 daily, 168 weekly; at most 744 (31 days).",
    )
