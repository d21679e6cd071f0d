"""Benchmark (a script, not a test): one patient's chart over the API against `/healthz`.

Builds a fresh database with the demo loader (SQLite in a temporary data directory, or the
PostgreSQL database named by DATABASE_URL, seeded only when empty), issues an API token for the
demo nurse, starts gunicorn exactly as `ketamine-clinic serve` does, and loads both endpoints in
the same run with the same number of concurrent connections, alternating them round by round so
that a busy neighbour on a shared machine slows both alike. It prints requests/s and the
p50/p90/p99 latencies of each round and the ratio of patient-read to `/healthz` throughput.

The load comes from `wrk` when it is on PATH (`apt-get install wrk`), otherwise from Python
threads with http.client (which takes CPU from the server on a small machine: prefer wrk).

Run: .venv/bin/python bench/api_bench.py [--seconds 5] [--connections 16] [--rounds 3]
     .venv/bin/python bench/api_bench.py --copy-of var/demo.sqlite3   (no seeding: faster)
     DATABASE_URL=postgres://postgres@127.0.0.1:5432/perf_bench .venv/bin/python bench/api_bench.py
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Load:
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int


def prepare(data_dir: Path) -> tuple[str, int]:
    """Migrate and seed the database (if empty); return a nurse's API token and a patient id."""
    os.environ["KETAMINE_CLINIC_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "ketamine_clinic.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from ketamine_clinic.accounts.models import Organization, StaffMember
    from ketamine_clinic.accounts.services import api_token_create
    from ketamine_clinic.patients.selectors import visible_patients
    from ketamine_clinic.web import demo_data

    call_command("migrate", interactive=False, verbosity=0)
    if not Organization.objects.exists():
        print("Loading the demo data…", flush=True)
        demo_data.seed()
    nurse = StaffMember.objects.get(username="nurse")
    token = api_token_create(staff=nurse, name="api_bench").token
    patient = visible_patients(nurse).order_by("id").first()
    assert patient is not None, "the demo nurse sees no patient"
    connections.close_all()
    return token, patient.pk


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    from ketamine_clinic.web.management.commands.serve import gunicorn_argv

    server = subprocess.Popen(  # noqa: S603  (our own argv)
        gunicorn_argv(HOST, port, workers), stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"the server did not start; see {log}")


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def load_wrk(url: str, headers: dict[str, str], connections: int, seconds: float) -> Load:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", url]
    for name, value in headers.items():
        args[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout  # noqa: S603
    pct = {p: _ms(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)\s*$", out, re.M)}
    if len(pct) != 3:
        raise SystemExit(f"unexpected wrk output:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return Load(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=pct["50"],
        p90_ms=pct["90"],
        p99_ms=pct["99"],
        errors=failed,
    )


def load_python(url: str, headers: dict[str, str], connections: int, seconds: float) -> Load:
    port = int(url.split(":")[2].split("/")[0])
    path = "/" + url.split("/", 3)[3]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        mine: list[float] = []
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[0] += 1
                if response.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=30)
            except OSError:
                errors[0] += 1
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
                continue
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cuts = statistics.quantiles(latencies, n=100)
    return Load(len(latencies) / seconds, cuts[49], cuts[89], cuts[98], errors[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per endpoint and round")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (serve's default)")
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    parser.add_argument(
        "--copy-of", type=Path, help="bench a copy of this SQLite file (e.g. var/demo.sqlite3)"
    )
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="kc-api-bench-"))
    (data_dir / "static").mkdir()
    if args.copy_of:
        if os.environ.get("DATABASE_URL"):
            raise SystemExit("--copy-of copies a SQLite file: unset DATABASE_URL")
        with (
            sqlite3.connect(args.copy_of) as source,
            sqlite3.connect(data_dir / "ketamine-clinic.sqlite3") as copy,
        ):
            source.backup(copy)
    token, patient_id = prepare(data_dir)
    database = os.environ.get("DATABASE_URL", "").split("@")[-1] or "SQLite (WAL) in " + str(
        data_dir
    )
    port = free_port()
    server = start_server(port, args.workers, data_dir / "gunicorn.log")
    load = load_python if args.python_client or not shutil.which("wrk") else load_wrk
    base = f"http://{HOST}:{port}"
    endpoints = {
        "/healthz": (f"{base}/healthz", {}),
        "patient": (f"{base}/api/v1/patients/{patient_id}", {"Authorization": f"Bearer {token}"}),
    }
    print(
        f"database: {database}; gunicorn workers: {args.workers}; client: {load.__name__[5:]}, "
        f"{args.connections} connections, {args.seconds:g} s per endpoint and round",
        flush=True,
    )
    try:
        for url, headers in endpoints.values():  # warm both up: imports, caches, connections
            load(url, headers, args.connections, 1.0)
        ratios = []
        print(f"{'round':<6}{'endpoint':<26}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}")
        for round_no in range(1, args.rounds + 1):
            results = {}
            for name, (url, headers) in endpoints.items():
                result = load(url, headers, args.connections, args.seconds)
                results[name] = result
                label = name if name == "/healthz" else f"/api/v1/patients/{patient_id}"
                print(
                    f"{round_no:<6}{label:<26}{result.requests_per_s:>9.0f}{result.p50_ms:>9.1f}"
                    f"{result.p90_ms:>9.1f}{result.p99_ms:>9.1f}"
                    + (f"  ({result.errors} errors)" if result.errors else ""),
                    flush=True,
                )
            ratio = results["patient"].requests_per_s / results["/healthz"].requests_per_s
            ratios.append(ratio)
            print(f"{'':<6}patient / healthz: {ratio:.2f}", flush=True)
        print(f"median ratio over {args.rounds} rounds: {statistics.median(ratios):.2f}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
