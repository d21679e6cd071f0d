"""Backups under a write load, restored and verified (SECURITY.md, lost data; issue #14 §6).

End to end, as an operator would run it: a migrated database, a writer process recording ledger
entries (each printed once committed), `ketamine-clinic backup` taken while it writes, then
`ketamine-clinic restore` into an empty database. Every entry acknowledged before the backup
started must be in the restored database, whose ledger chain and row counts verify.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from ketamine_clinic.cli import main; main()"]


def _database_urls(tmp_path: Path) -> Iterator[tuple[str, str]]:
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        base = f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST']}:{settings['PORT']}"
        names = [f"kc_backup_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("source", "target")]
        admin = psycopg.connect(f"{base}/postgres", autocommit=True)
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{base}/{names[0]}", f"{base}/{names[1]}"
        finally:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()
    else:
        yield (
            f"sqlite:///{tmp_path / 'source' / 'kc.sqlite3'}",
            f"sqlite:///{tmp_path / 'target' / 'kc.sqlite3'}",
        )


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    for source_url, target_url in _database_urls(tmp_path):
        envs = []
        for kind, url in (("source", source_url), ("target", target_url)):
            data_dir = tmp_path / kind
            data_dir.mkdir(exist_ok=True)
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "KETAMINE_CLINIC_DATA_DIR": str(data_dir),
                "DJANGO_SETTINGS_MODULE": "ketamine_clinic.settings",
                "SECRET_KEY": "backup-test-secret-key-not-for-production",
                # The restored server verifies the chains with the key the backed-up one had.
                "KETAMINE_CLINIC_CHAIN_KEY": "backup-test-chain-key-not-for-production",
            }
            envs.append(env)
        yield envs[0], envs[1]


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=300
    )


@pytest.mark.django_db
def test_a_backup_taken_under_write_load_restores_every_acknowledged_entry(
    databases: tuple[dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    source, target = databases
    assert _cli(source, "migrate", "--no-input", "-v", "0").returncode == 0
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.backup_writer"],
        env=source,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acked: list[int] = []
    lock = threading.Lock()

    def read_acks() -> None:
        assert writer.stdout is not None
        for line in writer.stdout:
            if line.startswith("acked "):
                with lock:
                    acked.append(int(line.split()[1]))

    reader = threading.Thread(target=read_acks, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while len(acked) < 6 and time.monotonic() < deadline:
            assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""
            time.sleep(0.05)
        with lock:
            acknowledged_before = set(acked)
        assert len(acknowledged_before) >= 6
        backup = tmp_path / "kc.backup"
        made = _cli(source, "backup", str(backup), "--json")
        with lock:
            acknowledged_after = len(acked)
    finally:
        writer.terminate()
        writer.wait(timeout=30)
    assert made.returncode == 0, made.stderr
    assert acknowledged_after > len(acknowledged_before), "the writer kept writing meanwhile"
    manifest = json.loads(made.stdout)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(manifest["manifest"]).stat().st_mode) == 0o600
    assert manifest["tables"]["inventory_ledgerentry"] >= len(acknowledged_before)

    restored = _cli(target, "restore", str(backup), "--json")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    report = json.loads(restored.stdout)
    assert report["ok"] is True
    assert report["integrity"] == "ok"
    assert report["ledger_ok"] is True
    assert report["counts_ok"] is True

    ids = _cli(
        target,
        "shell",
        "-c",
        "import json; from ketamine_clinic.inventory.models import LedgerEntry;"
        "print('ids', json.dumps(list(LedgerEntry.objects.values_list('pk', flat=True))))",
    )
    assert ids.returncode == 0, ids.stderr
    line = next(x for x in ids.stdout.splitlines() if x.startswith("ids "))
    present = set(json.loads(line[4:]))
    assert acknowledged_before <= present
    assert len(present) == manifest["tables"]["inventory_ledgerentry"]

    # A second restore into the now non-empty target is refused, and says what to do.
    again = _cli(target, "restore", str(backup))
    assert again.returncode == 2
    assert "not empty" in again.stderr and "--replace" in again.stderr


@pytest.mark.django_db
def test_a_damaged_backup_is_refused(
    databases: tuple[dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    source, target = databases
    assert _cli(source, "migrate", "--no-input", "-v", "0").returncode == 0
    backup = tmp_path / "kc.backup"
    assert _cli(source, "backup", str(backup)).returncode == 0
    with backup.open("r+b") as handle:
        handle.seek(200)
        handle.write(b"\x00garbage\x00")
    refused = _cli(target, "restore", str(backup))
    assert refused.returncode == 2
    assert "checksum" in refused.stderr
    exists = _cli(source, "backup", str(backup))
    assert exists.returncode == 2 and "exists already" in exists.stderr
