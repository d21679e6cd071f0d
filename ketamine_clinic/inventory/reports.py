"""The ledger's reports: one table per report, shown on screen, as CSV or as PDF.

What each holds follows 21 CFR 1304.22(c) and the inventory rules of 1304.11
(docs/clinical/reference.md §5): the records are kept so as to be "readily retrievable", separate
from other records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet

from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.clinical.ledger import mg_text

from . import selectors
from .models import Discrepancy, InventoryCount, LedgerEntry

REPORTS = {
    "record": "Schedule III record (every entry)",
    "dispensing": "Dispensing log",
    "waste": "Waste log with witnesses",
    "on_hand": "On hand by lot and expiry",
    "discrepancies": "Discrepancies and their resolutions",
    "inventory": "Latest biennial inventory",
}


@dataclass
class Report:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""
    patients: set[int] = field(default_factory=set)  # the patients its rows name


def _entries(
    actor: StaffMember, since: date | None, until: date | None, kind: str, product_id: int | None
) -> QuerySet[LedgerEntry]:
    entries = selectors.entries_for(actor, since=since, until=until, kind=kind)
    if product_id:
        entries = entries.filter(container__lot__product_id=product_id)
    return entries


def _who(staff: Any) -> str:
    return staff.display_name if staff else ""


def details_text(details: dict[str, Any]) -> str:
    """An entry's kind-specific facts as one line: "method: kit; location: pharmacy room"."""
    return "; ".join(f"{key.replace('_', ' ')}: {value}" for key, value in details.items())


def build(
    name: str,
    actor: StaffMember,
    *,
    since: date | None = None,
    until: date | None = None,
    product_id: int | None = None,
) -> Report:
    """Build one report for the clinics `actor` may see."""
    if name == "on_hand":
        report = Report(
            REPORTS[name],
            ["Container", "Product", "NDC", "Lot", "Expires", "Balance (mg)", "Clinic"],
        )
        containers = selectors.containers_for(actor).order_by(
            "lot__product__name", "lot__expires_on", "label"
        )
        if product_id:
            containers = containers.filter(lot__product_id=product_id)
        for c in containers:
            report.rows.append(
                [
                    c.label,
                    f"{c.lot.product.name} {c.lot.product.form}",
                    c.lot.product.ndc,
                    c.lot.lot_number,
                    str(c.lot.expires_on),
                    mg_text(c.balance_mg),
                    c.clinic.name,
                ]
            )
        return report
    if name == "discrepancies":
        report = Report(
            REPORTS[name],
            [
                "Opened",
                "Container",
                "Counted (mg)",
                "Ledger (mg)",
                "Difference (mg)",
                "Resolved",
                "By",
                "Resolution",
            ],
        )
        for d in Discrepancy.objects.filter(
            clinic__in=selectors.inventory_clinics(actor)
        ).select_related("line", "container", "resolved_by"):
            report.rows.append(
                [
                    f"{d.opened_at:%Y-%m-%d %H:%M}",
                    d.container.label,
                    mg_text(d.line.counted_mg),
                    mg_text(d.line.expected_mg),
                    mg_text(d.difference_mg),
                    f"{d.resolved_at:%Y-%m-%d %H:%M}" if d.resolved_at else "open",
                    _who(d.resolved_by),
                    d.resolution,
                ]
            )
        return report
    if name == "inventory":
        count = (
            InventoryCount.objects.filter(
                clinic__in=selectors.inventory_clinics(actor), kind=InventoryCount.Kind.BIENNIAL
            )
            .select_related("counted_by", "clinic")
            .first()
        )
        report = Report(
            REPORTS[name], ["Container", "Product", "NDC", "Lot", "Counted (mg)", "Ledger (mg)"]
        )
        if count is None:
            report.note = "No biennial inventory has been taken yet."
            return report
        report.note = (
            f"{count.clinic.name}, {count.counted_at:%Y-%m-%d %H:%M} UTC, at the "
            f"{count.get_business_hours_display().lower()}, by "
            f"{count.counted_by.display_name}."
        )
        for line in count.lines.select_related("container__lot__product"):
            product = line.container.lot.product
            report.rows.append(
                [
                    line.container.label,
                    f"{product.name} {product.form}",
                    product.ndc,
                    line.container.lot.lot_number,
                    mg_text(line.counted_mg),
                    mg_text(line.expected_mg),
                ]
            )
        return report
    kind = {"dispensing": "dispense", "waste": "waste"}.get(name, "")
    columns = [
        "#",
        "Date and time (UTC)",
        "Entry",
        "Substance",
        "NDC",
        "Lot",
        "Container",
        "mg",
        "Given (mg)",
        "Balance (mg)",
        "Patient",
        "By",
        "Witness",
        "Details",
    ]
    report = Report(REPORTS.get(name, REPORTS["record"]), columns)
    for e in _entries(actor, since, until, kind, product_id):
        product = e.container.lot.product
        # 21 CFR 1304.22(c): the name and address of the person a dose was dispensed to.
        patient = (
            f"{e.patient.legal_given_name} {e.patient.legal_family_name} ({e.patient.mrn})"
            + (f", {e.patient.address}" if e.patient.address else "")
            if e.patient
            else ""
        )
        if e.patient_id:
            report.patients.add(e.patient_id)
        witnesses = ", ".join(_who(w) for w in (e.witness, e.witness2) if w)
        report.rows.append(
            [
                str(e.seq),
                f"{e.occurred_at:%Y-%m-%d %H:%M}",
                e.get_kind_display(),
                product.name,
                product.ndc,
                e.container.lot.lot_number,
                e.container.label,
                mg_text(e.quantity_mg),
                mg_text(e.administered_mg) if e.administered_mg is not None else "",
                mg_text(e.balance_after_mg),
                patient,
                _who(e.actor),
                witnesses,
                details_text(e.details),
            ]
        )
    return report
