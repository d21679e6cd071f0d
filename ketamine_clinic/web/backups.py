"""Backups with a tested restore (SECURITY.md, lost data).

A backup is a consistent snapshot taken while the server runs, never a copy of the file (which
misses what is still in SQLite's write-ahead log) and never `dumpdata` (which does not carry the
append-only tables faithfully):

- SQLite: the online backup API, in one step, so the copy is one committed state of the database.
- PostgreSQL: `pg_dump --format=custom`, reading an exported snapshot in which the row counts of
  the manifest are taken too, so counts and dump describe the same instant.

Next to the backup a manifest (`PATH.manifest.json`) keeps the row count of every table and the
SHA-256 of the backup file. Both files are created readable by their owner only (0600).

A restore refuses a target that already holds tables unless told to replace it, then verifies
the result: the database's own integrity check (SQLite), the ledger's hash chain and balances
(`ledger verify`), and the row counts against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

PRIVATE = 0o600


class BackupError(Exception):
    """A backup or restore could not be made; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    vendor: str
    taken_at: str
    tables: dict[str, int]
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor,
            "taken_at": self.taken_at,
            "tables": self.tables,
            "sha256": self.sha256,
        }


@dataclass
class RestoreReport:
    integrity: str
    ledger_ok: bool
    ledger_detail: str
    counts_ok: bool
    count_differences: dict[str, list[int]] = field(default_factory=dict)
    audit_ok: bool = True
    audit_detail: str = ""

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and self.ledger_ok and self.counts_ok and self.audit_ok

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "integrity": self.integrity,
            "ledger_ok": self.ledger_ok,
            "ledger_detail": self.ledger_detail,
            "counts_ok": self.counts_ok,
            "count_differences": self.count_differences,
            "audit_ok": self.audit_ok,
            "audit_detail": self.audit_detail,
        }


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


def _create_private(path: Path) -> None:
    """Create `path` empty with mode 0600, refusing to overwrite anything."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError as error:
        raise BackupError(f"{path} exists already: choose a new file name.") from error
    os.close(fd)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_manifest(path: Path, manifest: Manifest) -> None:
    target = manifest_path(path)
    _create_private(target)
    target.write_text(json.dumps(manifest.as_dict(), indent=2, sort_keys=True))


def read_manifest(path: Path) -> Manifest:
    target = manifest_path(path)
    try:
        data = json.loads(target.read_text())
        return Manifest(
            vendor=str(data["vendor"]),
            taken_at=str(data["taken_at"]),
            tables={str(k): int(v) for k, v in data["tables"].items()},
            sha256=str(data["sha256"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackupError(
            f"The manifest {target} is missing or unreadable: a backup is only restored with "
            "its manifest."
        ) from error


def _sqlite_tables(db: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    # Table names come from the database's own catalogue, never from input.
    query = 'SELECT COUNT(*) FROM "{}"'
    return {name: int(db.execute(query.format(name)).fetchone()[0]) for name in names}


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- backup --------------------------------------------------------------------------------


def backup(path: Path, connection: BaseDatabaseWrapper = default_connection) -> Manifest:
    """Write a consistent backup of the database to `path` (new file, 0600) and its manifest."""
    path = path.resolve()
    if not path.parent.is_dir():
        raise BackupError(f"The folder {path.parent} does not exist.")
    if connection.vendor == "sqlite":
        manifest = _backup_sqlite(path, connection)
    elif connection.vendor == "postgresql":
        manifest = _backup_postgres(path, connection)
    else:
        raise BackupError(f"No backup method for the {connection.vendor} database.")
    _write_manifest(path, manifest)
    return manifest


def _backup_sqlite(path: Path, connection: BaseDatabaseWrapper) -> Manifest:
    _create_private(path)
    connection.ensure_connection()
    source = connection.connection
    target = sqlite3.connect(path)
    try:
        # pages=-1: the whole database in one step, i.e. one committed state of it, even while
        # other connections keep writing.
        source.backup(target, pages=-1)
        tables = _sqlite_tables(target)
    finally:
        target.close()
    os.chmod(path, PRIVATE)
    return Manifest("sqlite", _now_text(), tables, _sha256(path))


def _pg_env(settings: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = ["--host", str(settings.get("HOST") or "localhost")]
    if settings.get("PORT"):
        args += ["--port", str(settings["PORT"])]
    if settings.get("USER"):
        args += ["--username", str(settings["USER"])]
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(  # noqa: S603  (fixed program, arguments are ours)
            command, env=env, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as error:
        raise BackupError(
            f"{command[0]} is not installed: install the PostgreSQL client tools."
        ) from error
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:2000]}")


def _backup_postgres(path: Path, connection: BaseDatabaseWrapper) -> Manifest:
    import psycopg
    from psycopg import sql

    settings = connection.settings_dict
    args, env = _pg_env(settings)
    conninfo = psycopg.conninfo.make_conninfo(
        dbname=settings["NAME"],
        host=settings.get("HOST") or "localhost",
        port=settings.get("PORT") or None,
        user=settings.get("USER") or None,
        password=settings.get("PASSWORD") or None,
    )
    _create_private(path)
    # One snapshot for the counts and the dump: the transaction that exports it stays open
    # until pg_dump has finished reading.
    with psycopg.connect(conninfo, autocommit=False) as snap:
        snap.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        row = snap.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        snapshot = str(row[0])
        names = [
            r[0]
            for r in snap.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        tables: dict[str, int] = {}
        for name in names:
            query = sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(name))
            count = snap.execute(query).fetchone()
            tables[name] = int(count[0]) if count else 0
        _run(
            [
                "pg_dump",
                *args,
                "--format=custom",
                "--no-owner",
                "--snapshot",
                snapshot,
                "--file",
                str(path),
                str(settings["NAME"]),
            ],
            env,
        )
        snap.rollback()
    os.chmod(path, PRIVATE)
    return Manifest("postgresql", _now_text(), tables, _sha256(path))


# --- restore -------------------------------------------------------------------------------


def target_tables(connection: BaseDatabaseWrapper = default_connection) -> list[str]:
    """Return the tables the target database already holds."""
    return list(connection.introspection.table_names())


def restore(
    path: Path,
    *,
    replace: bool = False,
    connection: BaseDatabaseWrapper = default_connection,
    verify: Callable[[], RestoreReport] | None = None,
) -> RestoreReport:
    """Restore the backup at `path` into the configured database and verify the result.

    A target that holds tables is refused unless `replace` is given. The backup's checksum must
    match its manifest.
    """
    path = path.resolve()
    manifest = read_manifest(path)
    if not path.is_file():
        raise BackupError(f"No backup at {path}.")
    if _sha256(path) != manifest.sha256:
        raise BackupError(f"{path} does not match its manifest's checksum: it is damaged.")
    if manifest.vendor != connection.vendor:
        raise BackupError(
            f"This is a {manifest.vendor} backup; the configured database is {connection.vendor}."
        )
    existing = target_tables(connection)
    if existing and not replace:
        raise BackupError(
            f"The target database is not empty ({len(existing)} tables): restore into an empty "
            "database, or pass --replace to overwrite it."
        )
    if connection.vendor == "sqlite":
        _restore_sqlite(path, connection)
    else:
        _restore_postgres(path, connection, replace=bool(existing))
    return (verify or (lambda: verify_restored(manifest, connection)))()


def _restore_sqlite(path: Path, connection: BaseDatabaseWrapper) -> None:
    connection.close()
    target_name = str(connection.settings_dict["NAME"])
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        with _sqlite_target(target_name) as target:
            source.backup(target, pages=-1)
    finally:
        source.close()
    if Path(target_name).exists():
        os.chmod(target_name, PRIVATE)


@contextmanager
def _sqlite_target(name: str) -> Iterator[sqlite3.Connection]:
    if not Path(name).exists():
        _create_private(Path(name))
    target = sqlite3.connect(name)
    try:
        yield target
    finally:
        target.close()


def _restore_postgres(path: Path, connection: BaseDatabaseWrapper, *, replace: bool) -> None:
    settings = connection.settings_dict
    connection.close()
    args, env = _pg_env(settings)
    command = ["pg_restore", *args, "--no-owner", "--exit-on-error", "--single-transaction"]
    if replace:
        command += ["--clean", "--if-exists"]
    _run([*command, "--dbname", str(settings["NAME"]), str(path)], env)


def _current_counts(connection: BaseDatabaseWrapper) -> dict[str, int]:
    with connection.cursor() as cursor:
        # Table names come from the database's own catalogue, never from input.
        counts = {}
        for name in connection.introspection.table_names(cursor):
            cursor.execute("SELECT COUNT(*) FROM " + connection.ops.quote_name(name))  # noqa: S608
            counts[name] = int(cursor.fetchone()[0])
    return counts


def verify_restored(
    manifest: Manifest, connection: BaseDatabaseWrapper = default_connection
) -> RestoreReport:
    """Check a restored database: integrity, the ledger's chain and balances, the audit trail's
    MACs and seals, row counts (both chains need the chain key the backed-up server had)."""
    from ketamine_clinic.audit import triggers

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            integrity = str(cursor.fetchone()[0])
    else:
        integrity = "ok"  # pg_restore --exit-on-error in one transaction: all of it or nothing
    # A restore brings the rows; the append-only triggers are put back as after a migrate.
    triggers.ensure_all(connection)
    counts = _current_counts(connection)
    differences = {
        name: [expected, counts.get(name, -1)]
        for name, expected in manifest.tables.items()
        if counts.get(name, -1) != expected
    }
    ledger_ok, ledger_detail = _ledger_check()
    audit_ok, audit_detail = _audit_check()
    return RestoreReport(
        integrity=integrity,
        ledger_ok=ledger_ok,
        ledger_detail=ledger_detail,
        counts_ok=not differences,
        count_differences=differences,
        audit_ok=audit_ok,
        audit_detail=audit_detail,
    )


def _audit_check() -> tuple[bool, str]:
    from ketamine_clinic.audit import chain

    result = chain.verify()
    if result.ok:
        return True, f"{result.events} events ({result.sealed} sealed), MACs and seals intact"
    return False, f"first bad event {result.first_bad_event}: {result.reason}"


def _ledger_check() -> tuple[bool, str]:
    from ketamine_clinic.inventory import services as ledger

    result = ledger.verify()
    if result.ok:
        return True, f"{result.entries} entries, chain and balances intact"
    return False, (
        f"first bad entry {result.first_bad_entry}; containers out of balance: "
        f"{', '.join(result.containers_out_of_balance) or 'none'}"
    )
