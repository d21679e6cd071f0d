"""Benchmark (a script, not a test): bedside readings and the nurse's Today screen.

1. Readings: the rate of `flowsheet.vitals_record` (validation against the LOINC/UCUM table,
   the protocol's limits, alerts, the session lock, the audit row) against raw ORM inserts of the
   same rows (one ReadingSet and its VitalSignReading rows, each in its own transaction), in the
   same run, alternating round by round. Goal: the service at least half the raw rate.
2. Today: the time to render `/sessions/today/` for the demo nurse with 60 sessions of the day
   in their demo states (the demo's own, and copies of them with their events and readings),
   and the number of SQL queries one render takes. Goal: p90 < 100 ms.

Builds a fresh SQLite database in a temporary directory with the demo loader (about a minute).

Run: .venv/bin/python bench/vitals_bench.py [--readings 200] [--renders 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

QUERIES: list[str] = []
VALUES = {"sbp": Decimal(128), "dbp": Decimal(82), "hr": Decimal(74), "spo2": Decimal(98)}


def setup(data_dir: Path) -> None:
    os.environ["KETAMINE_CLINIC_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "ketamine_clinic.settings"
    os.environ.setdefault("KETAMINE_CLINIC_DEBUG", "0")
    import django

    django.setup()
    from django.core.management import call_command

    from ketamine_clinic.web import demo_data

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the manifest the pages use
    print("Loading the demo data…", flush=True)
    demo_data.seed()


def fill_today(total: int) -> int:
    """Copy today's demo sessions (with their events and readings) until there are `total`."""
    from django.utils import timezone

    from ketamine_clinic.treatments.models import (
        AdministrationEvent,
        ReadingSet,
        TreatmentSession,
        VitalSignReading,
    )

    today = list(TreatmentSession.objects.filter(scheduled_at__date=timezone.localdate()))
    originals = [s for s in today if s.state not in ("signed", "discharged")] or today
    i = 0
    while len(today) < total:
        source = originals[i % len(originals)]
        i += 1
        events = list(source.administration_events.all())
        readings = list(source.readings.prefetch_related("measures"))
        copy = TreatmentSession.objects.get(pk=source.pk)
        copy.pk = None
        copy.planned_session = None
        copy.save()
        for e in events:
            e.pk, e.session = None, copy
            AdministrationEvent.objects.create(**_fields(e))
        for r in readings:
            measures = list(r.measures.all())
            r.pk, r.session = None, copy
            new = ReadingSet.objects.create(**_fields(r))
            for m in measures:
                m.pk, m.reading_set = None, new
                VitalSignReading.objects.create(**_fields(m))
        today.append(copy)
    return len(today)


def _fields(row: Any) -> dict[str, Any]:
    return {
        f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if not f.primary_key
    }


def reading_rates(n: int, rounds: int) -> list[tuple[float, float]]:
    """Readings/s through the service and as raw ORM inserts, round by round."""
    from django.db import transaction

    from ketamine_clinic.accounts.models import StaffMember
    from ketamine_clinic.clinical.observations import VITAL_SIGNS
    from ketamine_clinic.treatments import flowsheet
    from ketamine_clinic.treatments.models import ReadingSet, TreatmentSession, VitalSignReading

    nurse = StaffMember.objects.get(username="nurse")
    session = (
        TreatmentSession.objects.filter(state__in=["dosing", "monitoring"])
        .select_related("clinic", "patient", "protocol", "chair__room")
        .first()
    )
    assert session is not None, "the demo has no session in dosing or monitoring"
    results = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            flowsheet.vitals_record(actor=nurse, session=session, values=VALUES, moaas=5)
        service = n / (time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(n):
            with transaction.atomic():
                reading = ReadingSet.objects.create(
                    clinic_id=session.clinic_id,
                    patient_id=session.patient_id,
                    session=session,
                    phase="after",
                    taken_at=session.checked_in_at,
                    recorded_by=nurse,
                    moaas=5,
                )
                VitalSignReading.objects.bulk_create(
                    VitalSignReading(
                        clinic_id=session.clinic_id,
                        patient_id=session.patient_id,
                        reading_set=reading,
                        key=k,
                        loinc=VITAL_SIGNS[k].loinc,
                        unit=VITAL_SIGNS[k].ucum,
                        value=v,
                        taken_at=reading.taken_at,
                    )
                    for k, v in VALUES.items()
                )
        raw = n / (time.perf_counter() - start)
        results.append((service, raw))
    return results


def today_renders(renders: int) -> tuple[list[float], int]:
    """The nurse's Today page: each render's time (ms) and the queries of one render."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.db import connection
    from django.test import Client

    from ketamine_clinic.accounts.models import StaffMember

    nurse = StaffMember.objects.get(username="nurse")
    if not Authenticator.objects.filter(user=nurse, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(nurse, generate_totp_secret())  # the two-factor gate lets her through
    client = Client()
    client.force_login(nurse)
    client.get("/sessions/today/", secure=True)  # warm
    queries = QUERIES

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)  # (the query log is reset at each request: count them here)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get("/sessions/today/", secure=True)
    assert response.status_code == 200, response.status_code
    times = []
    for _ in range(renders):
        start = time.perf_counter()
        client.get("/sessions/today/", secure=True)
        times.append((time.perf_counter() - start) * 1000)
    return times, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=200)
    parser.add_argument("--renders", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup(Path(tmp))
        from django.test.utils import setup_test_environment

        setup_test_environment()  # the test client's host and the in-memory outbox
        sessions = fill_today(60)
        print(f"\nReadings ({args.readings} a round), readings/s:")
        print("round  service    raw ORM   service/raw")
        rates = reading_rates(args.readings, args.rounds)
        for i, (service, raw) in enumerate(rates, 1):
            print(f"{i:>5}  {service:>7.0f}  {raw:>9.0f}   {service / raw:>10.2f}")
        best = max(s / r for s, r in rates)
        median = statistics.median(s / r for s, r in rates)
        print(f"service/raw: median {median:.2f}, best {best:.2f} (goal ≥ 0.50)")
        times, queries = today_renders(args.renders)
        times.sort()
        p50 = statistics.median(times)
        p90 = times[int(0.9 * (len(times) - 1))]
        print(f"\nToday with {sessions} sessions: {args.renders} renders")
        print(f"p50 {p50:.1f} ms, p90 {p90:.1f} ms, max {times[-1]:.1f} ms (goal p90 < 100 ms)")
        print(f"SQL queries per render: {queries}")
        if os.environ.get("SHOW_QUERIES"):
            from collections import Counter

            for sql, n in Counter(q[:90] for q in QUERIES).most_common(8):
                print(n, sql)


if __name__ == "__main__":
    main()
