"""Pages of the controlled-substance ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketamine_clinic.accounts.access import can, clinics_where, require
from ketamine_clinic.accounts.http import StaffRequest, chosen_clinic
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.reads import find_one, record_read
from ketamine_clinic.clinical.ledger import Overdraw, mg_text
from ketamine_clinic.common.csv_export import csv_response
from ketamine_clinic.common.forms import add_service_errors
from ketamine_clinic.patients.models import Patient

from . import reports, selectors, services
from .forms import (
    DispenseForm,
    DisposalForm,
    LossForm,
    ReceiptForm,
    ResolveForm,
    TransferForm,
    WasteForm,
)
from .models import Container, Discrepancy, LedgerEntry, LossReport, Product


@login_required
def stock(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.INVENTORY_VIEW)
    clinics = list(clinics_where(request.user, Perm.INVENTORY_VIEW))
    recent = list(selectors.entries_for(request.user).order_by("-occurred_at")[:15])
    losses = list(
        LossReport.objects.for_actor(request.user, Perm.INVENTORY_VIEW).select_related(
            "entry__container", "entry__patient__clinic"
        )[:20]
    )
    # The recent entries name the patients doses were drawn for: the read names them too.
    record_read(
        request.user,
        [*recent, *(loss.entry for loss in losses if loss.entry)],
        action=Action.LEDGER_VIEW,
        detail={"page": "stock"},
    )
    checks = {c.name: services.verify(c, from_checkpoint=True) for c in clinics}
    counts = {c.name: selectors.count_schedule(c) for c in clinics}
    return render(
        request,
        "inventory/stock.html",
        {
            "containers": selectors.containers_for(request.user).order_by(
                "lot__product__name", "lot__expires_on", "label"
            ),
            "discrepancies": selectors.open_discrepancies(request.user),
            "losses": losses,
            "can_adjust": can(request.user, Perm.INVENTORY_ADJUST),
            "recent": recent,
            "checks": checks,
            "counts": counts,
            "now": timezone.now(),
            "can_record": can(request.user, Perm.INVENTORY_RECORD),
            "can_settings": can(request.user, Perm.INVENTORY_SETTINGS),
            "today": timezone.localdate(),
        },
    )


@login_required
def receive(request: StaffRequest) -> HttpResponse:
    clinics = clinics_where(request.user, Perm.INVENTORY_RECORD)
    require(request.user, Perm.INVENTORY_RECORD)
    form = ReceiptForm(request.POST or None, clinics=clinics)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            receipt = services.receipt_record(
                actor=request.user,
                signature=data["signature"],
                clinic=data["clinic"],
                product=data["product"],
                supplier=data["supplier"],
                lot_number=data["lot_number"],
                expires_on=data["expires_on"],
                invoice=data["invoice"],
                containers=data["containers"],
                label_prefix=data["label_prefix"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            labels = ", ".join(c.label for c in receipt.containers)
            messages.success(request, f"Received {len(receipt.containers)}: {labels}.")
            return redirect("inventory:stock")
    choices = [form.fields[name].queryset for name in ("product", "supplier")]  # type: ignore[attr-defined]
    lead = ""
    if not all(queryset.exists() for queryset in choices):
        lead = "Stock is received of an active product from an active supplier: a prescriber or "
        lead += "an admin adds them under Products & suppliers first."
    return render(
        request, "inventory/form.html", {"form": form, "heading": "Receive stock", "lead": lead}
    )


@login_required
def dispense(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.INVENTORY_RECORD)
    containers = (
        Container.objects.for_actor(request.user, Perm.INVENTORY_RECORD)
        .filter(balance_mg__gt=0)
        .select_related("lot__product", "lot__supplier", "clinic")
    )
    form = DispenseForm(
        request.POST or None, containers=containers, initial={"container": request.GET.get("c")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        patient = Patient.objects.filter(
            mrn__iexact=data["patient_mrn"].strip(), clinic=data["container"].clinic
        ).first()
        if patient is None:
            form.add_error("patient_mrn", "No patient with this MRN at the container's clinic.")
        else:
            try:
                entry = services.dispense_record(
                    actor=request.user,
                    signature=data["signature"],
                    container=data["container"],
                    quantity_mg=data["quantity_mg"],
                    patient=patient,
                    session_ref=data["session_ref"],
                    administered_mg=data["administered_mg"],
                )
            except Overdraw as error:
                form.add_error("quantity_mg", error.message)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, f"Drawn {entry.quantity_mg} mg from {entry.container.label}."
                )
                return redirect("inventory:container", container_id=entry.container_id)
    return render(request, "inventory/form.html", {"form": form, "heading": "Draw a dose"})


@login_required
def waste(request: StaffRequest, entry_id: int) -> HttpResponse:
    require(request.user, Perm.INVENTORY_RECORD)
    dose = get_object_or_404(
        selectors.entries_for(request.user).filter(kind="dispense"), pk=entry_id
    )
    form = WasteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        witness = selectors.staff_at(dose.clinic, data["witness_username"])
        if witness is None:
            form.add_error("witness_username", "No such staff member at this clinic.")
        else:
            try:
                services.waste_record(
                    actor=request.user,
                    signature=data["signature"],
                    dispense=dose,
                    quantity_mg=data["quantity_mg"],
                    witness=witness,
                    witness_signature=data["witness_signature"],
                    reason=data["reason"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Waste recorded and witnessed.")
                return redirect("inventory:container", container_id=dose.container_id)
    room = services.unaccounted_mg(dose)
    return render(
        request,
        "inventory/form.html",
        {
            "form": form,
            "heading": f"Record waste of the dose drawn from {dose.container.label}",
            "lead": f"Drawn {mg_text(dose.quantity_mg)} mg, given "
            f"{mg_text(services.given_mg(dose))} mg: {mg_text(room)} mg is "
            "unaccounted for.",
        },
    )


@login_required
def container(request: StaffRequest, container_id: int) -> HttpResponse:
    one = find_one(
        request.user, Perm.INVENTORY_VIEW, selectors.containers_for(request.user), pk=container_id
    )
    entries = list(
        one.entries.select_related("actor", "witness", "witness2", "patient__clinic").order_by(
            "seq"
        )
    )
    record_read(request.user, entries, action=Action.LEDGER_VIEW, clinic=one.clinic, obj=one)
    return render(
        request,
        "inventory/container.html",
        {
            "container": one,
            "entries": entries,
            "discrepancies": Discrepancy.objects.filter(
                container=one, resolved_at=None
            ).select_related("line"),
            "can_record": can(request.user, Perm.INVENTORY_RECORD, one.clinic),
            "can_adjust": can(request.user, Perm.INVENTORY_ADJUST, one.clinic),
        },
    )


@login_required
def count(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.INVENTORY_RECORD)
    clinics = clinics_where(request.user, Perm.INVENTORY_RECORD)
    clinic = chosen_clinic(request, Perm.INVENTORY_RECORD)
    containers = list(
        selectors.containers_for(request.user).filter(clinic=clinic).order_by("label")
    )
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        counted = {}
        for c in containers:
            raw = request.POST.get(f"c{c.pk}", "").strip()
            if raw:
                try:
                    counted[c.pk] = Decimal(raw)
                except InvalidOperation:
                    errors.setdefault(f"counted.{c.pk}", []).append("Give a number of mg.")
        if clinic is not None and not errors:
            try:
                done = services.count_record(
                    actor=request.user,
                    signature=request.POST.get("signature", ""),
                    clinic=clinic,
                    kind=request.POST.get("kind", "scheduled"),
                    business_hours=request.POST.get("business_hours", "close"),
                    counted=counted,
                )
            except ValidationError as error:
                errors = (
                    error.message_dict
                    if hasattr(error, "error_dict")
                    else {"Count": error.messages}
                )
            else:
                opened = Discrepancy.objects.filter(line__count=done).count()
                messages.success(
                    request,
                    f"Count recorded: {len(counted)} containers, {opened} discrepanc"
                    f"{'y' if opened == 1 else 'ies'}.",
                )
                return redirect("inventory:stock")
    # Errors name what the person sees: the container's label, not its id.
    names = {f"counted.{c.pk}": c.label for c in containers}
    names.update(
        {
            "counted": "Counted",
            "signature": "Your signature",
            "kind": "Kind",
            "business_hours": "Taken at",
        }
    )
    named = {names.get(key, key): msgs for key, msgs in errors.items()}
    return render(
        request,
        "inventory/count.html",
        {"containers": containers, "errors": named, "clinic": clinic, "clinics": clinics},
    )


@login_required
def discrepancy(request: StaffRequest, discrepancy_id: int) -> HttpResponse:
    one = find_one(
        request.user,
        Perm.INVENTORY_VIEW,
        Discrepancy.objects.select_related("container", "line__count__counted_by", "resolved_by"),
        pk=discrepancy_id,
    )
    form = ResolveForm(request.POST or None)
    if request.method == "POST":
        require(request.user, Perm.INVENTORY_ADJUST, one.clinic)
        if form.is_valid():
            try:
                services.discrepancy_resolve(
                    actor=request.user,
                    signature=form.cleaned_data["signature"],
                    discrepancy=one,
                    resolution=form.cleaned_data["resolution"],
                )
            except Overdraw as error:
                form.add_error(
                    None,
                    f"{error.message} Record what became of the drug drawn since the count first.",
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Discrepancy resolved with an adjustment entry.")
                return redirect("inventory:stock")
    return render(
        request,
        "inventory/discrepancy.html",
        {
            "discrepancy": one,
            "form": form,
            "can_adjust": can(request.user, Perm.INVENTORY_ADJUST, one.clinic),
        },
    )


@login_required
def log_csv(request: StaffRequest) -> HttpResponse:
    """The Schedule III record, readily retrievable: every entry, in chain order, as CSV, with
    what 21 CFR 1304.22(c) asks of it (docs/clinical/reference.md §5): the supplier's name, address
    and DEA number for a receipt; the patient's name and address for a dose; the manner of any other
    disposal, and who gave, wasted or witnessed it."""
    require(request.user, Perm.INVENTORY_VIEW)
    kind = request.GET.get("kind", "")
    entries = selectors.entries_for(request.user, kind=kind)
    record_read(
        request.user,
        Patient.objects.filter(pk__in=entries.values("patient")).select_related("clinic"),
        action=Action.LEDGER_REPORT,
        detail={"report": "schedule III log", "kind": kind, "rows": entries.count()},
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return csv_response(f"schedule-iii-log-{stamp}.csv", _log_rows(entries))


def _log_rows(entries: QuerySet[LedgerEntry]) -> Iterator[list[Any]]:
    yield (
        [
            "clinic",
            "seq",
            "date_time_utc",
            "kind",
            "substance",
            "ndc",
            "form",
            "lot",
            "expires",
            "supplier",
            "supplier_address",
            "supplier_dea",
            "container",
            "quantity_mg",
            "given_mg",
            "balance_after_mg",
            "patient_mrn",
            "patient_name",
            "patient_address",
            "session",
            "by",
            "witness",
            "witness_2",
            "details",
            "reason",
            "hash",
        ]
    )
    for e in entries.select_related("witness2", "container__lot__supplier"):
        product = e.container.lot.product
        yield (
            [
                e.clinic.name,
                e.seq,
                e.occurred_at.isoformat(),
                e.kind,
                product.name,
                product.ndc,
                product.form,
                e.container.lot.lot_number,
                e.container.lot.expires_on,
                e.container.lot.supplier.name,
                e.container.lot.supplier.address,
                e.container.lot.supplier.dea_number,
                e.container.label,
                e.quantity_mg,
                e.administered_mg or "",
                e.balance_after_mg,
                e.patient.mrn if e.patient else "",
                f"{e.patient.legal_given_name} {e.patient.legal_family_name}" if e.patient else "",
                e.patient.address if e.patient else "",
                e.session_ref,
                e.actor.display_name,
                e.witness.display_name if e.witness else "",
                e.witness2.display_name if e.witness2 else "",
                reports.details_text(e.details),
                e.reason,
                e.hash,
            ]
        )


@login_required
def disposal(request: StaffRequest, container_id: int) -> HttpResponse:
    one = get_object_or_404(selectors.containers_for(request.user), pk=container_id)
    require(request.user, Perm.INVENTORY_RECORD, one.clinic)
    form = DisposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        witnesses = []
        for n in (1, 2):
            username = data[f"witness_{n}"].strip()
            if username:
                person = selectors.staff_at(one.clinic, username)
                if person is None:
                    form.add_error(f"witness_{n}", "No such staff member at this clinic.")
                    break
                witnesses.append((person, data[f"witness_signature_{n}"]))
        else:
            try:
                services.disposal_record(
                    actor=request.user,
                    signature=data["signature"],
                    container=one,
                    kind=data["kind"],
                    quantity_mg=data["quantity_mg"],
                    details={
                        k: data[k]
                        for k in ("method", "location", "supplier", "reference", "what_happened")
                    },
                    witnesses=witnesses,
                )
            except Overdraw as error:
                form.add_error("quantity_mg", error.message)
            except ValidationError as error:
                add_service_errors(form, _on_form_fields(error))
            else:
                messages.success(request, "Recorded.")
                return redirect("inventory:container", container_id=one.pk)
    return render(
        request,
        "inventory/form.html",
        {"form": form, "heading": f"Return, destroy or record a breakage: {one.label}"},
    )


def _on_form_fields(error: ValidationError) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return error
    renamed = {}
    for key, value in error.message_dict.items():
        if key.startswith("details."):
            key = key.removeprefix("details.")
        elif key.startswith("witness_signature."):
            key = "witness_signature_" + key.removeprefix("witness_signature.")
        elif key == "witnesses":
            key = "witness_1"
        renamed[key] = value
    return ValidationError(renamed)


@login_required
def loss(request: StaffRequest, container_id: int) -> HttpResponse:
    one = get_object_or_404(selectors.containers_for(request.user), pk=container_id)
    require(request.user, Perm.INVENTORY_ADJUST, one.clinic)
    form = LossForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.loss_report_record(
                actor=request.user,
                signature=data["signature"],
                container=one,
                kind=data["kind"],
                quantity_mg=data["quantity_mg"],
                discovered_on=data["discovered_on"],
                circumstances=data["circumstances"],
            )
        except Overdraw as error:
            form.add_error("quantity_mg", error.message)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.warning(
                request,
                f"Recorded. Written notice to the DEA Diversion Field Office is due by "
                f"{report.notice_due_on:%Y-%m-%d}; DEA Form 106 by "
                f"{report.form_106_due_on:%Y-%m-%d}.",
            )
            return redirect("inventory:stock")
    return render(
        request,
        "inventory/form.html",
        {
            "form": form,
            "heading": f"Report a theft or significant loss: {one.label}",
            "lead": "21 CFR 1301.76(b): written notice to the local DEA Diversion Field Office "
            "within 1 business day of discovery, and DEA Form 106 within 45 days, even if the "
            "drug is later recovered.",
        },
    )


@login_required
@require_POST
def loss_progress(request: StaffRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(
        LossReport.objects.for_actor(request.user, Perm.INVENTORY_VIEW),
        pk=report_id,
    )
    today = timezone.localdate()
    try:
        services.loss_report_progress(
            actor=request.user,
            report=report,
            notice_sent_on=today if request.POST.get("step") == "notice" else None,
            form_106_submitted_on=today if request.POST.get("step") == "form106" else None,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("inventory:stock")


@login_required
def transfer(request: StaffRequest, container_id: int) -> HttpResponse:
    one = get_object_or_404(selectors.containers_for(request.user), pk=container_id)
    require(request.user, Perm.INVENTORY_RECORD, one.clinic)
    targets = clinics_where(request.user, Perm.INVENTORY_RECORD).exclude(pk=one.clinic_id)
    form = TransferForm(request.POST or None, clinics=targets)
    if request.method == "POST" and form.is_valid():
        try:
            moved = services.transfer_record(
                actor=request.user,
                signature=form.cleaned_data["signature"],
                container=one,
                to_clinic=form.cleaned_data["to_clinic"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Transferred: now {moved.label} at {moved.clinic.name}.")
            return redirect("inventory:container", container_id=moved.pk)
    return render(
        request,
        "inventory/form.html",
        {
            "form": form,
            "heading": f"Transfer {one.label} to another site",
            "lead": "The whole container moves, with its balance; you need a role at both sites.",
        },
    )


@login_required
def report(request: StaffRequest) -> HttpResponse:
    """One report, on screen, as CSV or as PDF; every export is audited."""
    require(request.user, Perm.INVENTORY_VIEW)
    name = request.GET.get("report", "record")
    if name not in reports.REPORTS:
        name = "record"
    since = _date(request.GET.get("since"))
    until = _date(request.GET.get("until"))
    product = request.GET.get("product", "")
    built = reports.build(
        name,
        request.user,
        since=since,
        until=until,
        product_id=int(product) if product.isdigit() else None,
    )
    output = request.GET.get("format", "screen")
    if output not in ("csv", "pdf"):
        output = "screen"  # every way of reading a report is audited
    record_read(
        request.user,
        Patient.objects.filter(pk__in=built.patients).select_related("clinic"),
        action=Action.LEDGER_REPORT,
        detail={
            "report": name,
            "format": output,
            "rows": len(built.rows),
            "since": str(since or ""),
            "until": str(until or ""),
        },
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    if output == "csv":
        return csv_response(f"{name}-{stamp}.csv", [built.columns, *built.rows])
    context = {
        "report": built,
        "reports": reports.REPORTS,
        "name": name,
        "query": request.GET.urlencode(),
        "products": Product.objects.filter(
            organization__clinics__in=clinics_where(request.user, Perm.INVENTORY_VIEW)
        ).distinct(),
        "generated": timezone.now(),
        "by": request.user.display_name,
    }
    if output == "pdf":
        from weasyprint import HTML

        html = render(request, "inventory/report_pdf.html", context).content.decode()
        response = HttpResponse(
            bytes(HTML(string=html).write_pdf()), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.pdf"'
        return response
    return render(request, "inventory/report.html", context)


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
