"""The controlled-substance ledger: products, suppliers, lots, containers, entries, counts.

Record content follows 21 CFR 1304.22(c) (docs/clinical/reference.md §5): the substance, its
finished form and units per container, the number of containers received with the date and the
supplier's name, address and DEA number, every quantity dispensed or administered with the patient,
the date and who gave it, and every other disposal with date, manner and quantity.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn

from django.conf import settings
from django.db import models

from ketamine_clinic.accounts.scoping import ClinicScopedQuerySet
from ketamine_clinic.clinical import ledger

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import Clinic


class LedgerIsAppendOnly(Exception):
    """Raised when code tries to change or remove a ledger entry."""


class Product(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=120, help_text="e.g. Ketamine HCl injection")
    ndc = models.CharField("NDC", max_length=20)
    form = models.CharField(max_length=60, help_text="e.g. 100 mg/mL, 10 mL vial")
    mg_per_container = models.DecimalField(max_digits=8, decimal_places=1)
    ml_per_container = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    dea_schedule = models.CharField(max_length=4, default="CIII")
    quantity_decimals = models.PositiveSmallIntegerField(
        default=1, help_text="Places after the point a quantity may have (1: steps of 0.1 mg)"
    )
    unit_mg = models.DecimalField(
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="For products used whole (an esketamine device holds 28 mg): quantities are "
        "multiples of this.",
    )
    active = models.BooleanField(
        default=True, help_text="Can be received. A retired product's stock on hand stays usable."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} {self.form} (NDC {self.ndc})"

    @property
    def mg_per_ml(self) -> Decimal | None:
        if not self.ml_per_container:
            return None
        return Decimal(str(self.mg_per_container)) / Decimal(str(self.ml_per_container))

    def describe(self, mg: Any) -> str:
        """A quantity in the product's own terms: "958 mg (9.58 mL)" or "56 mg (2 devices)"."""
        from ketamine_clinic.clinical.ledger import mg_text

        mg = Decimal(str(mg))
        text = f"{mg_text(mg)} mg"
        per_ml = self.mg_per_ml
        if per_ml:
            return f"{text} ({mg_text((mg / per_ml).quantize(Decimal('0.01')))} mL)"
        if self.unit_mg:
            unit = Decimal(str(self.unit_mg))
            return f"{text} ({mg_text(mg / unit)} × {mg_text(unit)} mg)"
        return text


class Supplier(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300)
    dea_number = models.CharField("DEA number", max_length=9)
    active = models.BooleanField(default=True, help_text="Stock can be received from it.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (DEA {self.dea_number})"


class Lot(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(max_length=40)
    expires_on = models.DateField()
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+")
    invoice = models.CharField(max_length=60)
    received_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["expires_on"]

    def __str__(self) -> str:
        return f"lot {self.lot_number} (expires {self.expires_on})"


class Container(models.Model):
    """One vial or device kit, with its own running balance (the sum of its entries)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="containers")
    label = models.CharField(max_length=30, help_text="the id written on the container")
    balance_mg = models.DecimalField(max_digits=10, decimal_places=3)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "label"], name="container_label_unique"),
            models.CheckConstraint(condition=models.Q(balance_mg__gte=0), name="never_negative"),
        ]

    def __str__(self) -> str:
        return self.label


class EntryQuerySet(ClinicScopedQuerySet["LedgerEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise LedgerIsAppendOnly("ledger entries cannot be updated")

    def delete(self) -> NoReturn:
        raise LedgerIsAppendOnly("ledger entries cannot be deleted")


class LedgerEntry(models.Model):
    """One movement (or account) of drug. Append-only; each hashes the one before it."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        DISPENSE = "dispense", "Drawn for a patient"
        WASTE = "waste", "Waste (drawn, not given)"
        CORRECTION = "correction", "Correction of the mg given"
        TRANSFER_OUT = "transfer_out", "Transfer to another site"
        TRANSFER_IN = "transfer_in", "Transfer from another site"
        RETURN = "return", "Return to supplier"
        DESTRUCTION = "destruction", "Destruction (DEA Form 41)"
        BREAKAGE = "breakage", "Breakage or spill"
        LOSS = "loss", "Loss or theft"
        ADJUSTMENT = "adjustment", "Adjustment after a count"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveIntegerField(help_text="position in the clinic's chain")
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    quantity_mg = models.DecimalField(max_digits=10, decimal_places=3)
    balance_after_mg = models.DecimalField(max_digits=10, decimal_places=3)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    witness2 = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    details = models.JSONField(
        default=dict, blank=True, help_text="kind-specific facts (Form 41 method and place…)"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session_ref = models.CharField(max_length=60, blank=True)
    session = models.ForeignKey(
        "treatments.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
        help_text="the treatment session the drug was drawn for",
    )
    administered_mg = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    related = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="followed_by"
    )
    reason = models.CharField(max_length=500, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # How `hash` is computed (clinical.ledger.SCHEMES): plain SHA-256 for the entries chained
    # before the chain key existed, HMAC-SHA256 with the key kept outside the database since.
    scheme = models.CharField(max_length=20, default="sha256")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["clinic_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "seq"], name="one_entry_per_place"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity_mg} mg ({self.container_id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LedgerIsAppendOnly("ledger entries cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise LedgerIsAppendOnly("ledger entries cannot be deleted")

    def chain_link(self) -> ledger.ChainLink:
        return ledger.ChainLink(
            id=self.pk,
            previous_hash=self.previous_hash,
            hash=self.hash,
            content=self.chain_content(),
            scheme=self.scheme,
        )

    def chain_content(self) -> dict[str, object]:
        """What the hash covers: every fact of the entry, as text (the session link only when
        there is one, so that entries made before it existed keep their hash)."""
        content: dict[str, object] = {
            "clinic": self.clinic_id,
            "seq": self.seq,
            "container": self.container_id,
            "kind": self.kind,
            "quantity_mg": f"{self.quantity_mg:.3f}",
            "balance_after_mg": f"{self.balance_after_mg:.3f}",
            "administered_mg": None
            if self.administered_mg is None
            else f"{self.administered_mg:.3f}",
            "occurred_at": self.occurred_at.isoformat(),
            "actor": self.actor_id,
            "witness": self.witness_id,
            "witness2": self.witness2_id,
            "details": self.details,
            "patient": self.patient_id,
            "session_ref": self.session_ref,
            "related": self.related_id,
            "reason": self.reason,
        }
        if self.session_id is not None:
            content["session"] = self.session_id
        return content


class InventoryCount(models.Model):
    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled count"
        BIENNIAL = "biennial", "Biennial inventory"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    counted_at = models.DateTimeField()
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    business_hours = models.CharField(
        max_length=6, choices=[("open", "Opening of business"), ("close", "Close of business")]
    )
    notes = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-counted_at"]

    def __str__(self) -> str:
        return f"{self.kind} count {self.counted_at:%Y-%m-%d}"


class CountLine(models.Model):
    count = models.ForeignKey(InventoryCount, on_delete=models.PROTECT, related_name="lines")
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="+")
    expected_mg = models.DecimalField(max_digits=10, decimal_places=3)
    counted_mg = models.DecimalField(max_digits=10, decimal_places=3)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.container_id}: {self.counted_mg} of {self.expected_mg} mg"


class Discrepancy(models.Model):
    """A count that differs from the ledger: open until resolved, never silently corrected."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    line = models.OneToOneField(CountLine, on_delete=models.PROTECT, related_name="discrepancy")
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="+")
    difference_mg = models.DecimalField(max_digits=10, decimal_places=3)
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=500, blank=True)
    adjustment = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"discrepancy {self.difference_mg} mg on {self.container_id}"


class LossReport(models.Model):
    """A theft or significant loss, with the two reporting clocks of 21 CFR 1301.76(b)."""

    class Kind(models.TextChoices):
        THEFT = "theft", "Theft"
        LOSS = "loss", "Significant loss"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="+")
    discovered_on = models.DateField()
    circumstances = models.TextField(max_length=4000)
    notice_due_on = models.DateField(help_text="written notice to the DEA field office")
    notice_sent_on = models.DateField(null=True, blank=True)
    form_106_due_on = models.DateField()
    form_106_submitted_on = models.DateField(null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-discovered_on"]

    def __str__(self) -> str:
        return f"{self.kind} discovered {self.discovered_on}"


class InventorySettings(models.Model):
    """A clinic's controlled-substance policy: how often its stock is counted. One row per
    clinic, made on first use."""

    clinic = models.OneToOneField(
        "accounts.Clinic",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="inventory_settings",
    )
    count_every_hours = models.PositiveSmallIntegerField(
        default=24,
        help_text="How often the controlled-substance stock is counted (a clinic policy: e.g. "
        "8 for each shift, 24 daily, 168 weekly).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "inventory settings"

    def __str__(self) -> str:
        return f"inventory settings of clinic {self.clinic_id}"


def settings_for(clinic: Clinic) -> InventorySettings:
    """Return the clinic's inventory settings, made with the defaults on first use."""
    row, _ = InventorySettings.objects.get_or_create(clinic=clinic)
    return row


class LedgerCheckpoint(models.Model):
    """The last entry of a clinic's chain that a verification found intact, with each
    container's sum of movements up to it: the stock page verifies from there on.

    `ketamine-clinic ledger verify` always walks the whole chain (and moves the checkpoint when
    it passes), so that tampering before the checkpoint is found by it.
    """

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="ledger_checkpoint"
    )
    seq = models.PositiveIntegerField()
    entry_id = models.BigIntegerField(help_text="the last verified entry")
    hash = models.CharField(max_length=64)
    sums_mg = models.JSONField(default=dict, help_text="container id → sum of movements (text)")
    verified_at = models.DateTimeField()
    full_verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"ledger checkpoint {self.clinic_id} at {self.seq}"
