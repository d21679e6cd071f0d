"""Writes to the controlled-substance ledger. Each is one transaction that locks the clinic's
chain and the container, appends hashed entries, keeps the container's balance, and audits.

Every entry is signed: the acting staff member (and a witness, for waste) re-authenticates with
their password or authenticator code at the moment of signing.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ketamine_clinic.accounts.access import can, require
from ketamine_clinic.accounts.models import Clinic, StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.audit.services import record
from ketamine_clinic.clinical import ledger
from ketamine_clinic.common.limits import MAX_ID, decimal_problem
from ketamine_clinic.patients.models import Patient

if TYPE_CHECKING:
    from ketamine_clinic.treatments.models import TreatmentSession

from .models import (
    Container,
    CountLine,
    Discrepancy,
    InventoryCount,
    LedgerCheckpoint,
    LedgerEntry,
    LossReport,
    Lot,
    Product,
    Supplier,
)

# A signature field takes a colleague's password or 6-digit code: without a limit it would let
# any signed-in user guess them. Refusals are audited as failed logins and, like failed logins
# (settings.ACCOUNT_RATE_LIMITS, 5 per 300 s per username), 5 within 5 minutes lock that
# person's signature for the rest of the window.
SIGNATURE_FAILURES_ALLOWED = 5
SIGNATURE_WINDOW = timedelta(minutes=5)


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


def _sign(staff: StaffMember, secret: str, field: str, *, by: StaffMember, clinic: Clinic) -> None:
    """Check `staff`'s signature, typed in by `by` at `clinic`; audit a refusal, and refuse
    outright after too many recent refusals."""
    refused = AuditEvent.objects.filter(
        action=Action.LOGIN_FAILED,
        detail__signature_for=staff.username,
        occurred_at__gte=_now() - SIGNATURE_WINDOW,
    ).count()
    if refused >= SIGNATURE_FAILURES_ALLOWED:
        raise ValidationError(
            {field: f"{staff.display_name}: too many signatures refused; try again in 5 minutes."}
        )
    if signature_valid(staff, secret):
        return
    record(
        actor=by,
        action=Action.LOGIN_FAILED,
        clinic=clinic,
        detail={"signature_for": staff.username, "field": field},
    )
    raise ValidationError({field: f"{staff.display_name}: password or code not accepted."})


@dataclass(frozen=True)
class Signature:
    """Proof that `staff` signed at `clinic` just now (from `sign`): a caller that must check
    a signature before its own transaction passes this on instead of the secret (a code from
    an authenticator app is accepted once only)."""

    staff_id: int
    clinic_id: int


def sign(
    staff: StaffMember, secret: str, field: str, *, by: StaffMember, clinic: Clinic
) -> Signature:
    """Check a signature outside any transaction (a refusal is audited and stays audited)."""
    _sign(staff, secret, field, by=by, clinic=clinic)
    return Signature(staff.pk, clinic.pk)


def _signed(staff: StaffMember, signature: str | Signature, field: str, clinic: Clinic) -> None:
    if isinstance(signature, Signature):
        if (signature.staff_id, signature.clinic_id) != (staff.pk, clinic.pk):
            raise ValidationError({field: "This signature is not the signer's."})
        return
    _sign(staff, signature, field, by=staff, clinic=clinic)


def _when(occurred_at: datetime | None) -> datetime:
    """When an entry happened: now, or an earlier time given with its offset (kept in UTC, the
    form its hash is computed and read back in)."""
    if occurred_at is None:
        return _now()
    if timezone.is_naive(occurred_at) or occurred_at > _now():
        raise ValidationError({"occurred_at": "Give a past time with its UTC offset."})
    return occurred_at.astimezone(UTC)


def _quantity(
    product: Product,
    value: Decimal | str | int,
    field: str = "quantity_mg",
    *,
    allow_zero: bool = False,
) -> Decimal:
    decimals = min(product.quantity_decimals, ledger.STORED_DECIMALS)
    try:
        quantity = ledger.check_quantity(
            value, decimals=decimals, field=field, allow_zero=allow_zero
        )
    except ledger.LedgerError as error:
        raise ValidationError({error.field: error.message}) from error
    column = LedgerEntry._meta.get_field("quantity_mg")
    too_wide = decimal_problem(quantity, column.max_digits, column.decimal_places)
    if too_wide:
        raise ValidationError({field: too_wide})
    if product.unit_mg and quantity % product.unit_mg:
        whole = ledger.mg_text(product.unit_mg)
        raise ValidationError({field: f"This product is used whole: a multiple of {whole} mg."})
    return quantity


def record_text(value: str, field: str, max_length: int, *, required: str = "") -> str:
    """`value` stripped; refused when longer than the record holds, or empty if `required`
    (the message to give). Nothing in a controlled-substance record is silently cut short."""
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: required})
    if len(text) > max_length:
        raise ValidationError({field: f"At most {max_length} characters."})
    return text


def _check_witnesses(
    actor: StaffMember, people: Sequence[StaffMember], clinic: Clinic, field: str
) -> None:
    """Each witness is someone other than the actor and the other witnesses, and an active
    clinician of the clinic."""
    if len({actor.pk, *(p.pk for p in people)}) != 1 + len(people):
        if len(people) == 1:
            raise ValidationError({field: "The witness must be another person."})
        raise ValidationError({field: "Each witness must be a different person."})
    for person in people:
        if not person.is_active or not can(person, Perm.INVENTORY_RECORD, clinic):
            raise ValidationError({field: "A witness must be a clinician of this clinic."})


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
        scheme=ledger.KEYED,
        **facts,
    )
    entry.hash = ledger.entry_hash(
        entry.previous_hash, entry.chain_content(), scheme=ledger.KEYED, key=settings.CHAIN_KEY
    )
    entry.save()
    if after != container.balance_mg:
        container.balance_mg = after
        container.save(update_fields=["balance_mg", "updated_at"])
    return entry


def _lock_chains(*clinics: Clinic) -> None:
    """Lock the clinics' chains (their clinic rows), in id order so that two writers that need
    the same two chains never wait for each other."""
    for clinic in sorted(clinics, key=lambda c: c.pk):
        Clinic.objects.select_for_update().get(pk=clinic.pk)


def _lock_container(clinic: Clinic, container_id: int) -> Container:
    """Lock the clinic's chain, then the container: the order every writer follows."""
    _lock_chains(clinic)
    return (
        Container.objects.select_for_update()
        .select_related("lot__product")
        .get(pk=container_id, clinic=clinic)
    )


def _check_receivable(product: Product, supplier: Supplier) -> None:
    if not product.active:
        raise ValidationError({"product": "This product is retired: it is not received any more."})
    if not supplier.active:
        raise ValidationError(
            {"supplier": "This supplier is retired: stock is not received from it."}
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
    _check_receivable(product, supplier)
    if not 1 <= containers <= 200:
        raise ValidationError({"containers": "Receive between 1 and 200 containers at a time."})
    if expires_on <= timezone.localdate():
        raise ValidationError(
            {"expires_on": "This lot expires today or has expired: do not receive it."}
        )
    lot_number = record_text(lot_number, "lot_number", 40, required="Give the lot number.")
    invoice = record_text(invoice, "invoice", 60, required="Give the invoice number.")
    label_prefix = record_text(label_prefix, "label_prefix", 8)
    when = _when(occurred_at)
    _sign(actor, signature, "signature", by=actor, clinic=clinic)
    with transaction.atomic():
        _lock_chains(clinic)
        # Held until the lot is written: the product's amounts, and whether the product and the
        # supplier are retired, cannot change meanwhile (inventory.catalog).
        product = Product.objects.select_for_update().get(pk=product.pk)
        supplier = Supplier.objects.select_for_update().get(pk=supplier.pk)
        _check_receivable(product, supplier)
        lot = Lot.objects.create(
            product=product,
            lot_number=lot_number,
            expires_on=expires_on,
            supplier=supplier,
            invoice=invoice,
            received_on=timezone.localdate(when),  # 21 CFR 1304.21(d): the actual date
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
                    occurred_at=when,
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
    signature: str | Signature,
    container: Container,
    quantity_mg: Decimal | str,
    patient: Patient,
    session_ref: str = "",
    session: TreatmentSession | None = None,
    administered_mg: Decimal | str | None = None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Draw a dose for a patient from a container (the seam the session flow will call).

    `quantity_mg` is what leaves the container; `administered_mg` what the patient received
    (none, if the dose was drawn and then not given; the rest is waste, recorded with a
    witness). Refuses an expired lot (usable through its expiry date), another clinic's
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
        else _quantity(product, administered_mg, "administered_mg", allow_zero=True)
    )
    if given > drawn:
        raise ValidationError({"administered_mg": "More cannot be given than was drawn."})
    session_ref = record_text(session_ref, "session_ref", 60)
    if session is not None:
        session_ref = session_ref or f"session {session.pk}"
    _signed(actor, signature, "signature", clinic)
    with transaction.atomic():
        locked = _lock_container(clinic, container.pk)
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
            session_ref=session_ref,
            session=session,
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
    """Everything recorded as waste of a drawn dose."""
    total = LedgerEntry.objects.filter(related=dispense, kind="waste").aggregate(
        t=Sum("quantity_mg")
    )["t"]
    return Decimal(total or 0).quantize(Decimal("0.001"))


def given_mg(dispense: LedgerEntry) -> Decimal:
    """What the patient was given of a drawn dose: as drawn, or as its latest correction."""
    correction = (
        LedgerEntry.objects.filter(related=dispense, kind="correction").order_by("-seq").first()
    )
    given = correction.administered_mg if correction else dispense.administered_mg
    return Decimal(given or 0)


def unaccounted_mg(dispense: LedgerEntry) -> Decimal:
    """The part of a drawn dose neither given nor yet recorded as waste."""
    return dispense.quantity_mg - given_mg(dispense) - wasted_so_far(dispense)


def administration_correct(
    *,
    actor: StaffMember,
    signature: str | Signature,
    dispense: LedgerEntry,
    given_mg_now: Decimal | str,
    reason: str,
    details: Mapping[str, str] | None = None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Lower what a patient was given of a drawn dose (e.g. an infusion stopped with drug left
    in the bag): a new signed entry, since entries are never edited (21 CFR 1304.22(c),
    docs/clinical/reference.md §5). The drug already left the container, so its balance does
    not move; the difference becomes unaccounted for until it is wasted with a witness.

    The entry's quantity is the mg taken off what was given; its `administered_mg` is what
    was given after the correction.
    """
    clinic = dispense.clinic
    require(actor, Perm.INVENTORY_RECORD, clinic)
    if dispense.kind != "dispense":
        raise ValidationError({"dispense": "A correction follows a dose drawn for a patient."})
    product = dispense.container.lot.product
    new_given = _quantity(product, given_mg_now, "given_mg", allow_zero=True)
    reason = record_text(reason, "reason", 500, required="Give the reason for the correction.")
    facts = {k: record_text(str(v), f"details.{k}", 200) for k, v in (details or {}).items()}
    _signed(actor, signature, "signature", clinic)
    with transaction.atomic():
        locked = _lock_container(clinic, dispense.container_id)
        was = given_mg(dispense)
        if new_given >= was:
            raise ValidationError(
                {"given_mg": f"A correction lowers what was given ({ledger.mg_text(was)} mg)."}
            )
        entry = _append(
            clinic=clinic,
            container=locked,
            kind="correction",
            quantity=was - new_given,
            actor=actor,
            patient=dispense.patient,
            session_ref=dispense.session_ref,
            session_id=dispense.session_id,
            administered_mg=new_given,
            related=dispense,
            reason=reason,
            details={"given_before_mg": ledger.mg_text(was), **facts},
            occurred_at=occurred_at,
        )
        record(
            actor=actor,
            action=Action.LEDGER_CORRECTION,
            patient=dispense.patient,
            obj=entry,
            detail={
                "dispense": dispense.pk,
                "given_before_mg": str(was),
                "given_mg": str(new_given),
            },
        )
    return entry


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
    _check_witnesses(actor, [witness], clinic, "witness")
    product = dispense.container.lot.product
    wasted = _quantity(product, quantity_mg)
    reason = record_text(reason, "reason", 500)
    _sign(actor, signature, "signature", by=actor, clinic=clinic)
    _sign(witness, witness_signature, "witness_signature", by=actor, clinic=clinic)
    with transaction.atomic():
        locked = _lock_container(clinic, dispense.container_id)
        room = unaccounted_mg(dispense)
        if wasted > room:
            raise ValidationError(
                {
                    "quantity_mg": f"Only {ledger.mg_text(room)} mg of this dose is unaccounted "
                    "for: given plus wasted cannot exceed what was drawn."
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
            session_id=dispense.session_id,
            related=dispense,
            reason=reason,
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
    # DEA Form 41 records the method and place of destruction (docs/clinical/reference.md §5).
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
    if len(witnesses) > 2:
        raise ValidationError({"witnesses": "At most two witnesses sign an entry."})
    _check_witnesses(actor, people, clinic, "witnesses")
    facts = {
        key: record_text(
            str(details.get(key, "")), f"details.{key}", 200, required="This is required."
        )
        for key in DISPOSAL_DETAILS[kind]
    }
    quantity = _quantity(container.lot.product, quantity_mg)
    reason = record_text(reason, "reason", 500)
    _sign(actor, signature, "signature", by=actor, clinic=clinic)
    for index, (person, secret) in enumerate(witnesses):
        _sign(person, secret, f"witness_signature.{index + 1}", by=actor, clinic=clinic)
    with transaction.atomic():
        locked = _lock_container(clinic, container.pk)
        entry = _append(
            clinic=clinic,
            container=locked,
            kind=kind,
            quantity=quantity,
            actor=actor,
            witness=people[0] if people else None,
            witness2=people[1] if len(people) > 1 else None,
            details=facts,
            reason=reason,
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


def _arrival_label(clinic: Clinic, label: str) -> str:
    """The label a transferred container takes at `clinic`: its own with "-T" (any earlier
    "-T" suffix replaced), numbered when another container there already has that label."""
    base = re.sub(r"-T\d*$", "", label)
    taken = set(
        Container.objects.filter(clinic=clinic, label__startswith=f"{base}-T").values_list(
            "label", flat=True
        )
    )
    candidates = (f"{base}-T{n}" if n > 1 else f"{base}-T" for n in itertools.count(1))
    return next(label for label in candidates if label not in taken)


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
    _sign(actor, signature, "signature", by=actor, clinic=source)
    with transaction.atomic():
        _lock_chains(source, to_clinic)
        locked = _lock_container(source, container.pk)
        amount = locked.balance_mg
        if amount <= 0:
            raise ValidationError({"container": "The container is empty."})
        moved = Container.objects.create(
            clinic=to_clinic,
            lot=locked.lot,
            label=_arrival_label(to_clinic, locked.label),
            balance_mg=0,
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
    circumstances = record_text(circumstances, "circumstances", 4000)
    if len(circumstances) < 10:
        raise ValidationError({"circumstances": "Describe what was found and how."})
    quantity = _quantity(container.lot.product, quantity_mg)
    _sign(actor, signature, "signature", by=actor, clinic=clinic)
    with transaction.atomic():
        locked = _lock_container(clinic, container.pk)
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
        report = LossReport.objects.select_for_update().get(pk=report.pk)
        changes = {}
        if notice_sent_on and not report.notice_sent_on:
            report.notice_sent_on = notice_sent_on
            changes["notice_sent_on"] = [None, notice_sent_on.isoformat()]
        if form_106_submitted_on and not report.form_106_submitted_on:
            report.form_106_submitted_on = form_106_submitted_on
            changes["form_106_submitted_on"] = [None, form_106_submitted_on.isoformat()]
        if not changes:
            raise ValidationError("Nothing new to record.")
        report.save(update_fields=["notice_sent_on", "form_106_submitted_on", "updated_at"])
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

    Nothing is corrected here: a discrepancy stays open until someone resolves it. The biennial
    inventory is of everything on hand (21 CFR 1304.11, docs/clinical/reference.md §5): every
    container that holds drug must be counted; an opened one may be estimated.
    """
    require(actor, Perm.INVENTORY_RECORD, clinic)
    if kind not in InventoryCount.Kind.values:
        raise ValidationError({"kind": "Choose a scheduled count or the biennial inventory."})
    if business_hours not in ("open", "close"):
        raise ValidationError({"business_hours": "Opening or close of business?"})
    if not counted:
        raise ValidationError({"counted": "Count at least one container."})
    notes = record_text(notes, "notes", 500)
    _sign(actor, signature, "signature", by=actor, clinic=clinic)
    with transaction.atomic():
        _lock_chains(clinic)
        containers = Container.objects.filter(clinic=clinic).select_related("lot__product")
        ids = [pk for pk in counted if 1 <= pk <= MAX_ID]  # a wider one is no container's
        found = {c.pk: c for c in containers.filter(pk__in=ids)}
        amounts: dict[int, Decimal] = {}
        for container_id, value in counted.items():
            field = f"counted.{container_id}"
            if container_id not in found:
                raise ValidationError({field: "No such container here."})
            product = found[container_id].lot.product
            amounts[container_id] = _quantity(product, value, field, allow_zero=True)
        if kind == InventoryCount.Kind.BIENNIAL:
            missing = containers.filter(balance_mg__gt=0).exclude(pk__in=list(counted))
            labels = ", ".join(missing.order_by("label").values_list("label", flat=True))
            if labels:
                raise ValidationError(
                    {"counted": f"The biennial inventory counts everything on hand: {labels}."}
                )
        count = InventoryCount.objects.create(
            clinic=clinic,
            kind=kind,
            counted_at=_now(),
            counted_by=actor,
            business_hours=business_hours,
            notes=notes,
        )
        opened = 0
        for container_id, amount in amounts.items():
            container = found[container_id]
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
    or an admin): the difference counted is applied to the container's balance.

    Raises ledger.Overdraw when drug has left the container since the count, so that the
    difference no longer fits in it: what became of that drug is recorded first.
    """
    clinic = discrepancy.clinic
    require(actor, Perm.INVENTORY_ADJUST, clinic)
    resolution = record_text(resolution, "resolution", 500)
    if len(resolution) < 10:
        raise ValidationError({"resolution": "Say what was found (at least a sentence)."})
    _sign(actor, signature, "signature", by=actor, clinic=clinic)
    with transaction.atomic():
        _lock_chains(clinic)
        locked = Discrepancy.objects.select_for_update().get(pk=discrepancy.pk, clinic=clinic)
        if locked.resolved_at:
            raise ValidationError("This discrepancy is already resolved.")
        container = _lock_container(clinic, locked.container_id)
        entry = _append(
            clinic=clinic,
            container=container,
            kind="adjustment",
            quantity=locked.difference_mg,
            actor=actor,
            reason=resolution,
        )
        locked.resolved_at = _now()
        locked.resolved_by = actor
        locked.resolution = resolution
        locked.adjustment = entry
        locked.save(
            update_fields=["resolved_at", "resolved_by", "resolution", "adjustment", "updated_at"]
        )
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

# The actions whose audit event names the entry they wrote (its object is the entry).
_ENTRY_AUDITS = [
    Action.LEDGER_DISPENSE,
    Action.LEDGER_WASTE,
    Action.LEDGER_DISPOSAL,
    Action.LEDGER_ADJUSTMENT,
]


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int  # entries walked
    first_bad_entry: int | None
    containers_out_of_balance: list[str]
    from_seq: int = 0  # the walk began after this place in the chain (0: from the start)

    @property
    def chain_length(self) -> int:
        """Entries in the chain: those before the walk's start and those walked."""
        return self.from_seq + self.entries

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "first_bad_entry": self.first_bad_entry,
            "containers_out_of_balance": self.containers_out_of_balance,
        }


def _movement(entry: LedgerEntry) -> Decimal:
    try:
        return ledger.movement(entry.kind, entry.quantity_mg)
    except ledger.LedgerError:
        return Decimal(0)  # a kind changed to nonsense: the chain names the entry


def _links(
    clinic: Clinic, sums: dict[int, Decimal], present: set[int], after_seq: int = 0
) -> Iterator[ledger.ChainLink]:
    """The clinic's chain in order from `after_seq` on, adding each entry's movement to its
    container's sum and its id to `present` on the way (one pass over the entries)."""
    entries = LedgerEntry.objects.filter(clinic=clinic, seq__gt=after_seq).order_by("seq")
    for e in entries.iterator():
        sums[e.container_id] += _movement(e)
        present.add(e.pk)
        yield e.chain_link()


def _first_missing(clinic: Clinic, present: set[int], after_id: int = 0) -> int | None:
    """The first entry (after `after_id`) the audit trail saw written that is no longer in the
    chain."""
    audited = AuditEvent.objects.filter(
        clinic=clinic, action__in=_ENTRY_AUDITS, object_type="ledgerentry"
    ).values_list("object_id", flat=True)
    written = {int(i) for i in audited if i.isdigit() and int(i) > after_id}
    missing = sorted(written - present)
    return missing[0] if missing else None


def _usable_checkpoint(clinic: Clinic) -> LedgerCheckpoint | None:
    """The clinic's checkpoint, if its entry is still there and still gives its hash."""
    point = LedgerCheckpoint.objects.filter(clinic=clinic).first()
    if point is None:
        return None
    entry = LedgerEntry.objects.filter(pk=point.entry_id, clinic=clinic, seq=point.seq).first()
    if (
        entry is None
        or entry.hash != point.hash
        or not ledger.link_intact(
            entry.chain_link(), entry.previous_hash, settings.CHAIN_KEY, entry.scheme
        )
    ):
        return None  # the anchor itself was touched: walk the whole chain
    return point


def point_scheme(point: LedgerCheckpoint | None) -> str:
    """The scheme of the checkpoint's entry: a walk from there may not go back to an earlier one."""
    if point is None:
        return ledger.PLAIN
    return (
        LedgerEntry.objects.filter(pk=point.entry_id).values_list("scheme", flat=True).first()
        or ledger.PLAIN
    )


def _verify_clinic(clinic: Clinic, *, from_checkpoint: bool) -> Verification:
    point = _usable_checkpoint(clinic) if from_checkpoint else None
    sums: dict[int, Decimal] = defaultdict(Decimal)
    if point is not None:
        sums.update({int(k): Decimal(v) for k, v in point.sums_mg.items()})
    present: set[int] = set()
    last: list[ledger.ChainLink] = []

    def links() -> Iterator[ledger.ChainLink]:
        for link in _links(clinic, sums, present, point.seq if point else 0):
            last[:] = [link]
            yield link

    check = ledger.verify_chain(
        links(),
        point.hash if point else ledger.GENESIS_HASH,
        key=settings.CHAIN_KEY,
        previous_scheme=point_scheme(point),
    )
    bad = check.first_bad_entry
    if bad is None:
        bad = _first_missing(clinic, present, point.entry_id if point else 0)
    out_of_balance = [
        c.label
        for c in Container.objects.filter(clinic=clinic).order_by("label")
        if sums[c.pk] != c.balance_mg
    ]
    result = Verification(
        ok=bad is None and not out_of_balance,
        entries=check.entries,
        first_bad_entry=bad,
        containers_out_of_balance=out_of_balance,
        from_seq=point.seq if point else 0,
    )
    if result.ok and last:
        _move_checkpoint(clinic, last[0].id, sums, full=point is None)
    return result


def _move_checkpoint(
    clinic: Clinic, entry_id: int, sums: dict[int, Decimal], *, full: bool
) -> None:
    """Record that the chain up to the entry `entry_id` was found intact just now."""
    entry = LedgerEntry.objects.get(pk=entry_id)
    now = _now()
    defaults: dict[str, object] = {
        "seq": entry.seq,
        "entry_id": entry.pk,
        "hash": entry.hash,
        "sums_mg": {str(k): str(v) for k, v in sums.items()},
        "verified_at": now,
    }
    if full:
        defaults["full_verified_at"] = now
    LedgerCheckpoint.objects.update_or_create(clinic=clinic, defaults=defaults)


def verify(clinic: Clinic | None = None, *, from_checkpoint: bool = False) -> Verification:
    """Walk each clinic's chain, check each container's balance against its entries, and check
    that every entry the audit trail saw written is still there.

    The chain finds an entry edited, reordered or removed from the middle; a removal from the
    end leaves the chain whole, and is found by the balance or by the audit trail (append-only
    too). `from_checkpoint` starts from the last entry a verification found intact (the stock
    page, on every view); otherwise the whole chain is walked (the `ledger verify` command),
    which is what finds tampering before the checkpoint. A passing check moves the checkpoint.
    """
    clinics = [clinic] if clinic else list(Clinic.objects.order_by("pk"))
    results = [_verify_clinic(one, from_checkpoint=from_checkpoint) for one in clinics]
    bad = [r.first_bad_entry for r in results if r.first_bad_entry is not None]
    return Verification(
        ok=all(r.ok for r in results),
        entries=sum(r.entries for r in results),
        first_bad_entry=bad[0] if bad else None,
        containers_out_of_balance=[c for r in results for c in r.containers_out_of_balance],
        from_seq=results[0].from_seq if len(results) == 1 else 0,
    )
