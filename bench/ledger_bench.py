"""Benchmark (a script, not a test): drawing doses from the ledger, alone and 20 at once.

Builds a fresh database (SQLite in a temporary data directory, or the PostgreSQL database named
by DATABASE_URL, emptied first), a clinic with a nurse, a patient and one 1000 mg vial, and
prints, in the same run:

- a raw insert: one audit row in its own transaction (what any write costs on this disk);
- one draw (`inventory.services.dispense_record`, signature by password) at a time;
- N callers at once (threads, each with its own connection, released together), each drawing
  one dose: p50, p99 and the slowest, and how many failed (a lock timeout would count here).

Run: .venv/bin/python bench/ledger_bench.py [--callers 20] [--rounds 3]
     DATABASE_URL=postgres://postgres@127.0.0.1:5432/ledger_bench .venv/bin/python bench/ledger_bench.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

PASSWORD = "ledger-bench-password-1"


def setup(data_dir: Path) -> dict[str, Any]:
    os.environ["KETAMINE_CLINIC_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "ketamine_clinic.settings"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from datetime import date, timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from ketamine_clinic.accounts.models import Clinic, Membership, Organization, StaffMember
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import Product, Supplier
    from ketamine_clinic.patients import services as patients

    call_command("migrate", verbosity=0)
    stamp = str(time.time_ns())[-8:]
    org = Organization.objects.create(name=f"Bench {stamp}", mrn_prefix=f"B{stamp[-3:]}")
    clinic = Clinic.objects.create(organization=org, name=f"Bench {stamp}")
    nurse = StaffMember.objects.create_user(
        username=f"nurse{stamp}", password=PASSWORD, organization=org
    )
    Membership.objects.create(staff=nurse, clinic=clinic, role="nurse")
    patient = patients.patient_register(
        actor=nurse,
        clinic=clinic,
        details={
            "legal_given_name": "Bench",
            "legal_family_name": "Patient",
            "date_of_birth": date(1980, 1, 1),
            "sex": "female",
        },
    )
    product = Product.objects.create(
        organization=org,
        name="Ketamine HCl injection",
        ndc="0409-2051-05",
        form="100 mg/mL, 10 mL vial",
        mg_per_container=1000,
        ml_per_container=10,
    )
    supplier = Supplier.objects.create(
        organization=org, name="Supplier", address="1 Way", dea_number="RM1234563"
    )
    receipt = services.receipt_record(
        actor=nurse,
        signature=PASSWORD,
        clinic=clinic,
        product=product,
        supplier=supplier,
        lot_number="L1",
        expires_on=timezone.localdate() + timedelta(days=400),
        invoice="I1",
        containers=40,
        label_prefix="V-",
    )
    return {"nurse": nurse, "patient": patient, "vials": receipt.containers}


def draw(world: dict[str, Any], vial: Any) -> float:
    from ketamine_clinic.inventory import services

    start = time.perf_counter()
    services.dispense_record(
        actor=world["nurse"],
        signature=PASSWORD,
        container=vial,
        quantity_mg="1",
        patient=world["patient"],
    )
    return time.perf_counter() - start


def raw_insert(world: dict[str, Any]) -> float:
    from django.db import transaction

    from ketamine_clinic.audit.actions import Action
    from ketamine_clinic.audit.services import record

    start = time.perf_counter()
    with transaction.atomic():
        record(actor=world["nurse"], action=Action.CHART_VIEW, patient=world["patient"])
    return time.perf_counter() - start


def concurrent(world: dict[str, Any], callers: int) -> tuple[list[float], list[str]]:
    from django.db import connections

    times: list[float] = []
    errors: list[str] = []
    gate = threading.Barrier(callers)
    lock = threading.Lock()
    vials = world["vials"]

    def caller(i: int) -> None:
        try:
            gate.wait()
            took = draw(world, vials[i % len(vials)])
            with lock:
                times.append(took)
        except Exception as error:  # noqa: BLE001 - a failure is a figure here
            with lock:
                errors.append(f"{type(error).__name__}: {error}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, errors


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--callers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--single", type=int, default=15, help="draws one at a time per round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        world = setup(Path(tmp))
        from django.db import connection

        print(f"database: {connection.vendor}; {args.callers} callers at once")
        for n in range(1, args.rounds + 1):
            raw = statistics.median(raw_insert(world) for _ in range(args.single))
            vials = world["vials"]
            single = statistics.median(draw(world, vials[0]) for _ in range(args.single))
            times, errors = concurrent(world, args.callers)
            times.sort()
            p50 = statistics.median(times) if times else float("nan")
            p99 = times[min(len(times) - 1, int(0.99 * len(times)))] if times else float("nan")
            print(
                f"round {n}: raw insert {ms(raw)} | one draw {ms(single)} "
                f"({single / raw:4.1f}x raw) | {args.callers} at once: p50 {ms(p50)} "
                f"p99 {ms(p99)} max {ms(times[-1] if times else float('nan'))} "
                f"| failed {len(errors)}"
            )
            for error in sorted(set(errors)):
                print(f"  {error}")


if __name__ == "__main__":
    main()
