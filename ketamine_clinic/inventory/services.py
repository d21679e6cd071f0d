"""Writes to the controlled-substance ledger. Each is one transaction that locks the clinic's
chain and the container, appends hashed entries, keeps the container's balance, and audits.

Every entry is signed: the acting staff member (and a witness, for waste) re-authenticates with
their password or authenticator code at the moment of signing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ketamine_clinic.accounts.access import can, require
from ketamine_clinic.accounts.models import Clinic, StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.services import record
from ketamine_clinic.clinical import ledger
from ketamine_clinic.patients.models import Patient

from .models import (
    Container,
    CountLine,
    Discrepancy,
    InventoryCount,
    LedgerEntry,
    LossReport,
    Lot,
    Product,
    Supplier,
)


def _now() -> datetime:
    return timezone.now()


def signature_valid(staff: StaffMember, secret: str) -> bool:
    """Whether `secret` is the staff member's password or a current authenticator code."""
    if not secret:
        return False
    if staff.check_password(secret):
        return True
    authenticator = Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).first()
    return bool(authenticator and TOTP(authenticator).validate_code(secret.strip()))


def _sign(staff: StaffMember, secret: str, field: str) -> None:
    if not signature_valid(staff, secret):
        raise ValidationError({field: f"{staff.display_name}: password or code not accepted."})


def _when(occurred_at: datetime | None) -> datetime:
    if occurred_at is None:
        return _now()
    if timezone.is_naive(occurred_at) or occurred_at > _now():
        raise ValidationError({"occurred_at": "Give a past time with its UTC offset."})
    return occurred_at


def _quantity(product: Product, value: Decimal | str | int, field: str = "quantity_mg") -> Decimal:
    try:
        quantity = ledger.check_quantity(value, decimals=product.quantity_decimals, field=field)
    except ledger.LedgerError as error:
        raise ValidationError({error.field: error.message}) from error
    if product.unit_mg and quantity % product.unit_mg:
        whole = ledger.mg_text(product.unit_mg)
        raise ValidationError({field: f"This product is used whole: a multiple of {whole} mg."})
    return quantity


def _append(
    *,
    clinic: Clinic,
    container: Container,
    kind: str,
    quantity: Decimal,
    actor: StaffMember,
    occurred_at: datetime | None = None,
    **facts: object,
) -> LedgerEntry:
    """Append one entry to the clinic's chain; the caller holds the transaction and the locks.

    `occurred_at` is when it happened (21 CFR 1304.21(d): the actual date), if that was earlier
    than now; the chain keeps the order of recording.
    """
    previous = LedgerEntry.objects.filter(clinic=clinic).order_by("-seq").first()
    after = ledger.next_balance(container.balance_mg, kind, quantity)
    entry = LedgerEntry(
        clinic=clinic,
        seq=(previous.seq + 1) if previous else 1,
        container=container,
        kind=kind,
        quantity_mg=quantity,
        balance_after_mg=after,
        occurred_at=_when(occurred_at),
        actor=actor,
        previous_hash=previous.hash if previous else ledger.GENESIS_HASH,
        **facts,
    )
    entry.hash = ledger.entry_hash(entry.previous_hash, entry.chain_content())
    entry.save()
    if after != container.balance_mg:
        container.balance_mg = after
        container.save(update_fields=["balance_mg"])
    return entry


def _lock(clinic: Clinic, container_id: int | None = None) -> Container | None:
    """Lock the clinic's chain (its clinic row) and, if given, the container."""
    Clinic.objects.select_for_update().get(pk=clinic.pk)
    if container_id is None:
        return None
    return (
        Container.objects.select_for_update()
        .select_related("lot__product")
        .get(pk=container_id, clinic=clinic)
    )


@dataclass(frozen=True)
class Receipt:
    lot: Lot
    containers: list[Container]
    entries: list[LedgerEntry]


def receipt_record(
    *,
    actor: StaffMember,
    signature: str,
    clinic: Clinic,
    product: Product,
    supplier: Supplier,
    lot_number: str,
    expires_on: date,
    invoice: str,
    containers: int,
    label_prefix: str,
    occurred_at: datetime | None = None,
) -> Receipt:
    """Receive `containers` full containers of one lot; each gets its own id and balance."""
    require(actor, Perm.INVENTORY_RECORD, clinic)
    if product.organization_id != clinic.organization_id or (
        supplier.organization_id != clinic.organization_id
    ):
        raise ValidationError({"product": "Unknown product or supplier."})
    if not 1 <= containers <= 200:
        raise ValidationError({"containers": "Receive between 1 and 200 containers at a time."})
    if expires_on <= timezone.localdate():
        raise ValidationError({"expires_on": "This lot has expired: do not receive it."})
    if not lot_number.strip() or not invoice.strip():
        raise ValidationError({"lot_number": "Give the lot number and the invoice."})
    _sign(actor, signature, "signature")
    with transaction.atomic():
        _lock(clinic)
        lot = Lot.objects.create(
            product=product,
            lot_number=lot_number.strip(),
            expires_on=expires_on,
            supplier=supplier,
            invoice=invoice.strip(),
            received_on=timezone.localdate(),
        )
        made, entries = [], []
        start = Container.objects.filter(clinic=clinic, label__startswith=label_prefix).count()
        for n in range(1, containers + 1):
            container = Container.objects.create(
                clinic=clinic, lot=lot, label=f"{label_prefix}{start + n:04d}", balance_mg=0
            )
            made.append(container)
            entries.append(
                _append(
                    clinic=clinic,
                    container=container,
                    kind="receipt",
                    quantity=product.mg_per_container,
                    actor=actor,
                    reason=f"invoice {lot.invoice}",
                    occurred_at=occurred_at,
                )
            )
        record(
            actor=actor,
            action=Action.LEDGER_RECEIPT,
            clinic=clinic,
            obj=lot,
            detail={
                "containers": [c.label for c in made],
                "lot": lot.lot_number,
                "mg_each": str(product.mg_per_container),
            },
        )
    return Receipt(lot=lot, containers=made, entries=entries)


def dispense_record(
    *,
    actor: StaffMember,
    signature: str,
    container: Container,
    quantity_mg: Decimal | str,
    patient: Patient,
    session_ref: str = "",
    administered_mg: Decimal | str | None = None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Draw a dose for a patient from a container (the seam the session flow will call).

    `quantity_mg` is what leaves the container; `administered_mg` what the patient received
    (the rest is waste, recorded with a witness). Refuses an expired lot, another clinic's
    patient, a quantity finer than the product allows, and more than the container holds
    (ledger.Overdraw, with the available balance).
    """
    clinic = container.clinic
    require(actor, Perm.INVENTORY_RECORD, clinic)
    if patient.clinic_id != clinic.pk:
        raise ValidationError({"patient": "No such patient at this clinic."})
    product = container.lot.product
    drawn = _quantity(product, quantity_mg)
    given = (
        drawn
        if administered_mg in (None, "")
        else _quantity(product, administered_mg, "administered_mg")
    )
    if given > drawn:
        raise ValidationError({"administered_mg": "More cannot be given than was drawn."})
    _sign(actor, signature, "signature")
    with transaction.atomic():
        locked = _lock(clinic, container.pk)
        assert locked is not None
        if locked.lot.expires_on < timezone.localdate():
            raise ValidationError(
                {"container": f"Lot {locked.lot.lot_number} expired on {locked.lot.expires_on}."}
            )
        entry = _append(
            clinic=clinic,
            container=locked,
            kind="dispense",
            quantity=drawn,
            actor=actor,
            patient=patient,
            session_ref=session_ref.strip()[:60],
            administered_mg=given,
            occurred_at=occurred_at,
        )
        record(
            actor=actor,
            action=Action.LEDGER_DISPENSE,
            patient=patient,
            obj=entry,
            detail={"container": locked.label, "drawn_mg": str(drawn), "given_mg": str(given)},
        )
    return entry


def wasted_so_far(dispense: LedgerEntry) -> Decimal:
    total = LedgerEntry.objects.filter(related=dispense, kind="waste").aggregate(
        t=Sum("quantity_mg")
    )["t"]
    return Decimal(total or 0).quantize(Decimal("0.001"))


def waste_record(
    *,
    actor: StaffMember,
    signature: str,
    dispense: LedgerEntry,
    quantity_mg: Decimal | str,
    witness: StaffMember,
    witness_signature: str,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Record the part of a drawn dose that was not given, witnessed by a second person.

    What was given plus everything wasted can never exceed what was drawn.
    """
    clinic = dispense.clinic
    require(actor, Perm.INVENTORY_RECORD, clinic)
    if dispense.kind != "dispense":
        raise ValidationError({"dispense": "Waste follows a dose drawn for a patient."})
    if witness.pk == actor.pk:
        raise ValidationError({"witness": "The witness must be another person."})
    if not witness.is_active or not can(witness, Perm.INVENTORY_RECORD, clinic):
        raise ValidationError({"witness": "The witness must be a clinician of this clinic."})
    product = dispense.container.lot.product
    wasted = _quantity(product, quantity_mg)
    _sign(actor, signature, "signature")
    _sign(witness, witness_signature, "witness_signature")
    with transaction.atomic():
        locked = _lock(clinic, dispense.container_id)
        assert locked is not None
        room = dispense.quantity_mg - (dispense.administered_mg or 0) - wasted_so_far(dispense)
        if wasted > room:
            raise ValidationError(
                {
                    "quantity_mg": f"Only {ledger.mg_text(room)} mg of this dose is unaccounted "
                    "for: given plus "
                    "wasted cannot exceed what was drawn."
                }
            )
        entry = _append(
            clinic=clinic,
            container=locked,
            kind="waste",
            quantity=wasted,
            actor=actor,
            witness=witness,
            patient=dispense.patient,
            session_ref=dispense.session_ref,
            related=dispense,
            reason=reason.strip()[:500],
            occurred_at=occurred_at,
        )
        record(
            actor=actor,
            action=Action.LEDGER_WASTE,
            patient=dispense.patient,
            obj=entry,
            detail={"wasted_mg": str(wasted), "witness": witness.username, "dispense": dispense.pk},
        )
    return entry


DISPOSAL_DETAILS: dict[str, tuple[str, ...]] = {
    # DEA Form 41 records the method and place of destruction (reference.md §5).
    "destruction": ("method", "location"),
    "return": ("supplier", "reference"),
    "breakage": ("what_happened",),
}


def disposal_record(
    *,
    actor: StaffMember,
    signature: str,
    container: Container,
    kind: str,
    quantity_mg: Decimal | str,
    details: Mapping[str, str],
    witnesses: Sequence[tuple[StaffMember, str]] = (),
    reason: str = "",
) -> LedgerEntry:
    """Take drug out of stock other than to a patient: return to the supplier, destruction
    (two witnesses, Form 41 facts) or breakage/spill (one witness). Each signs."""
    clinic = container.clinic
    require(actor, Perm.INVENTORY_RECORD, clinic)
    if kind not in DISPOSAL_DETAILS:
        raise ValidationError({"kind": "Return, destruction or breakage."})
    needed = ledger.WITNESSES_REQUIRED.get(kind, 0)
    people = [w for w, _ in witnesses]
    if len(witnesses) < needed:
        raise ValidationError({"witnesses": f"This needs {needed} witness(es)."})
    if len({actor.pk, *(w.pk for w in people)}) != 1 + len(people):
        raise ValidationError({"witnesses": "Each witness must be a different person."})
    for person in people:
        if not person.is_active or not can(person, Perm.INVENTORY_RECORD, clinic):
            raise ValidationError({"witnesses": "A witness must be a clinician of this clinic."})
    facts = {key: str(details.get(key, "")).strip()[:200] for key in DISPOSAL_DETAILS[kind]}
    missing = [key for key, value in facts.items() if not value]
    if missing:
        raise ValidationError({f"details.{missing[0]}": "This is required."})
    quantity = _quantity(container.lot.product, quantity_mg)
    _sign(actor, signature, "signature")
    for index, (person, secret) in enumerate(witnesses):
        _sign(person, secret, f"witness_signature.{index + 1}")
    with transaction.atomic():
        locked = _lock(clinic, container.pk)
        assert locked is not None
        entry = _append(
            clinic=clinic,
            container=locked,
            kind=kind,
            quantity=quantity,
            actor=actor,
            witness=people[0] if people else None,
            witness2=people[1] if len(people) > 1 else None,
            details=facts,
            reason=reason.strip()[:500],
        )
        record(
            actor=actor,
            action=Action.LEDGER_DISPOSAL,
            clinic=clinic,
            obj=entry,
            detail={
                "kind": kind,
                "quantity_mg": str(quantity),
                **facts,
                "witnesses": [p.username for p in people],
            },
        )
    return entry


def transfer_record(
    *, actor: StaffMember, signature: str, container: Container, to_clinic: Clinic
) -> Container:
    """Move a whole container to another site of the organisation: an entry out in this
    clinic's chain and an entry in, on a new container label, in the other's."""
    source = container.clinic
    require(actor, Perm.INVENTORY_RECORD, source)
    require(actor, Perm.INVENTORY_RECORD, to_clinic)
    if to_clinic.pk == source.pk or to_clinic.organization_id != source.organization_id:
        raise ValidationError({"to_clinic": "Choose another site of the organisation."})
    _sign(actor, signature, "signature")
    with transaction.atomic():
        first, second = sorted([source, to_clinic], key=lambda c: c.pk)
        _lock(first)
        _lock(second)
        locked = _lock(source, container.pk)
        assert locked is not None
        amount = locked.balance_mg
        if amount <= 0:
            raise ValidationError({"container": "The container is empty."})
        moved = Container.objects.create(
            clinic=to_clinic, lot=locked.lot, label=f"{locked.label}-T", balance_mg=0
        )
        out = _append(
            clinic=source,
            container=locked,
            kind="transfer_out",
            quantity=amount,
            actor=actor,
            details={"to_clinic": to_clinic.name, "to_container": moved.label},
        )
        _append(
            clinic=to_clinic,
            container=moved,
            kind="transfer_in",
            quantity=amount,
            actor=actor,
            related=out,
            details={"from_clinic": source.name, "from_container": locked.label},
        )
        record(
            actor=actor,
            action=Action.LEDGER_DISPOSAL,
            clinic=source,
            obj=out,
            detail={"kind": "transfer", "to": to_clinic.name, "quantity_mg": str(amount)},
        )
    return moved


def loss_report_record(
    *,
    actor: StaffMember,
    signature: str,
    container: Container,
    kind: str,
    quantity_mg: Decimal | str,
    discovered_on: date,
    circumstances: str,
) -> LossReport:
    """Record a theft or significant loss: the drug leaves the ledger, and the two reporting
    clocks start (notice within 1 business day, DEA Form 106 within 45 days)."""
    clinic = container.clinic
    require(actor, Perm.INVENTORY_ADJUST, clinic)
    if kind not in LossReport.Kind.values:
        raise ValidationError({"kind": "Theft or significant loss?"})
    if discovered_on > timezone.localdate():
        raise ValidationError({"discovered_on": "The date of discovery cannot be in the future."})
    circumstances = circumstances.strip()
    if len(circumstances) < 10:
        raise ValidationError({"circumstances": "Describe what was found and how."})
    quantity = _quantity(container.lot.product, quantity_mg)
    _sign(actor, signature, "signature")
    with transaction.atomic():
        locked = _lock(clinic, container.pk)
        assert locked is not None
        entry = _append(
            clinic=clinic,
            container=locked,
            kind="loss",
            quantity=quantity,
            actor=actor,
            reason=circumstances[:500],
            details={"kind": kind, "discovered_on": discovered_on.isoformat()},
        )
        report = LossReport.objects.create(
            clinic=clinic,
            kind=kind,
            entry=entry,
            discovered_on=discovered_on,
            circumstances=circumstances,
            notice_due_on=ledger.business_day_after(discovered_on),
            form_106_due_on=discovered_on + timedelta(days=ledger.FORM_106_DAYS),
            reported_by=actor,
        )
        record(
            actor=actor,
            action=Action.LEDGER_LOSS,
            clinic=clinic,
            obj=report,
            detail={
                "kind": kind,
                "quantity_mg": str(quantity),
                "notice_due_on": report.notice_due_on.isoformat(),
                "form_106_due_on": report.form_106_due_on.isoformat(),
            },
        )
    return report


def loss_report_progress(
    *,
    actor: StaffMember,
    report: LossReport,
    notice_sent_on: date | None = None,
    form_106_submitted_on: date | None = None,
) -> LossReport:
    """Record that the DEA notice was sent or Form 106 submitted."""
    require(actor, Perm.INVENTORY_ADJUST, report.clinic)
    today = timezone.localdate()
    for name, value in (
        ("notice_sent_on", notice_sent_on),
        ("form_106_submitted_on", form_106_submitted_on),
    ):
        if value is not None and (value > today or value < report.discovered_on):
            raise ValidationError({name: "Between the discovery and today."})
    with transaction.atomic():
        changes = {}
        if notice_sent_on and not report.notice_sent_on:
            report.notice_sent_on = notice_sent_on
            changes["notice_sent_on"] = [None, notice_sent_on.isoformat()]
        if form_106_submitted_on and not report.form_106_submitted_on:
            report.form_106_submitted_on = form_106_submitted_on
            changes["form_106_submitted_on"] = [None, form_106_submitted_on.isoformat()]
        if not changes:
            raise ValidationError("Nothing new to record.")
        report.save(update_fields=["notice_sent_on", "form_106_submitted_on"])
        record(
            actor=actor,
            action=Action.LEDGER_LOSS,
            clinic=report.clinic,
            obj=report,
            changes=changes,
        )
    return report


def count_record(
    *,
    actor: StaffMember,
    signature: str,
    clinic: Clinic,
    kind: str,
    business_hours: str,
    counted: Mapping[int, Decimal | str],
    notes: str = "",
) -> InventoryCount:
    """Record a count of containers; every difference from the ledger opens a discrepancy.

    Nothing is corrected here: a discrepancy stays open until someone resolves it.
    """
    require(actor, Perm.INVENTORY_RECORD, clinic)
    if kind not in InventoryCount.Kind.values:
        raise ValidationError({"kind": "Choose a scheduled count or the biennial inventory."})
    if business_hours not in ("open", "close"):
        raise ValidationError({"business_hours": "Opening or close of business?"})
    if not counted:
        raise ValidationError({"counted": "Count at least one container."})
    _sign(actor, signature, "signature")
    with transaction.atomic():
        _lock(clinic)
        count = InventoryCount.objects.create(
            clinic=clinic,
            kind=kind,
            counted_at=_now(),
            counted_by=actor,
            business_hours=business_hours,
            notes=notes.strip()[:500],
        )
        opened = 0
        for container_id, value in counted.items():
            container = (
                Container.objects.filter(pk=container_id, clinic=clinic)
                .select_related("lot__product")
                .first()
            )
            if container is None:
                raise ValidationError({f"counted.{container_id}": "No such container here."})
            try:
                amount = ledger.check_quantity(
                    value,
                    decimals=container.lot.product.quantity_decimals,
                    field=f"counted.{container_id}",
                    allow_zero=True,
                )
            except ledger.LedgerError as error:
                raise ValidationError({error.field: error.message}) from error
            line = CountLine.objects.create(
                count=count,
                container=container,
                expected_mg=container.balance_mg,
                counted_mg=amount,
            )
            if amount != container.balance_mg:
                Discrepancy.objects.create(
                    clinic=clinic,
                    line=line,
                    container=container,
                    difference_mg=amount - container.balance_mg,
                    opened_at=_now(),
                )
                opened += 1
        record(
            actor=actor,
            action=Action.LEDGER_COUNT,
            clinic=clinic,
            obj=count,
            detail={"kind": kind, "containers": len(counted), "discrepancies": opened},
        )
    return count


def discrepancy_resolve(
    *, actor: StaffMember, signature: str, discrepancy: Discrepancy, resolution: str
) -> Discrepancy:
    """Resolve a discrepancy with a written reason and a linked adjustment entry (a prescriber
    or an admin); the ledger then agrees with what was counted."""
    clinic = discrepancy.clinic
    require(actor, Perm.INVENTORY_ADJUST, clinic)
    resolution = resolution.strip()
    if len(resolution) < 10:
        raise ValidationError({"resolution": "Say what was found (at least a sentence)."})
    _sign(actor, signature, "signature")
    with transaction.atomic():
        locked = Discrepancy.objects.select_for_update().get(pk=discrepancy.pk)
        if locked.resolved_at:
            raise ValidationError("This discrepancy is already resolved.")
        container = _lock(clinic, locked.container_id)
        assert container is not None
        entry = _append(
            clinic=clinic,
            container=container,
            kind="adjustment",
            quantity=locked.difference_mg,
            actor=actor,
            reason=resolution[:500],
        )
        locked.resolved_at = _now()
        locked.resolved_by = actor
        locked.resolution = resolution
        locked.adjustment = entry
        locked.save(update_fields=["resolved_at", "resolved_by", "resolution", "adjustment"])
        record(
            actor=actor,
            action=Action.LEDGER_ADJUSTMENT,
            clinic=clinic,
            obj=entry,
            detail={
                "discrepancy": locked.pk,
                "difference_mg": str(locked.difference_mg),
                "resolution": resolution,
            },
        )
    return locked


# --- verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    first_bad_entry: int | None
    containers_out_of_balance: list[str]

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "first_bad_entry": self.first_bad_entry,
            "containers_out_of_balance": self.containers_out_of_balance,
        }


def verify(clinic: Clinic | None = None) -> Verification:
    """Walk each clinic's chain, and check each container's balance against its entries."""
    clinics = [clinic] if clinic else list(Clinic.objects.order_by("pk"))
    total = 0
    first_bad: int | None = None
    for one in clinics:
        links = (
            ledger.ChainLink(
                id=e.pk, previous_hash=e.previous_hash, hash=e.hash, content=e.chain_content()
            )
            for e in LedgerEntry.objects.filter(clinic=one).order_by("seq").iterator()
        )
        check = ledger.verify_chain(links)
        total += check.entries
        if first_bad is None and check.first_bad_entry is not None:
            first_bad = check.first_bad_entry
    out_of_balance = []
    containers = Container.objects.filter(clinic__in=clinics).order_by("label")
    for container in containers:
        balance = Decimal(0)
        for entry in container.entries.order_by("seq"):
            sign = ledger.BALANCE_SIGN[entry.kind]
            balance += entry.quantity_mg if sign is None else entry.quantity_mg * sign
        if balance != container.balance_mg:
            out_of_balance.append(container.label)
    return Verification(
        ok=first_bad is None and not out_of_balance,
        entries=total,
        first_bad_entry=first_bad,
        containers_out_of_balance=out_of_balance,
    )
