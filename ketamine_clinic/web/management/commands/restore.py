"""`ketamine-clinic restore PATH`: restore a backup into an empty database, then verify it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketamine_clinic.web.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup` into the configured database (stop the server "
        "first), then check its integrity, the ledger's chain and balances, and the row counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup file (its .manifest.json beside it)")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="overwrite a target database that already holds tables",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = restore(Path(options["path"]), replace=options["replace"])
        except BackupError as error:
            raise CommandError(str(error), returncode=2) from error
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict()))
        else:
            self.stdout.write(f"integrity check: {report.integrity}")
            self.stdout.write(
                f"ledger verify: {'ok' if report.ledger_ok else 'NOT OK'}: {report.ledger_detail}"
            )
            self.stdout.write(
                f"audit verify: {'ok' if report.audit_ok else 'NOT OK'}: {report.audit_detail}"
            )
            if report.counts_ok:
                self.stdout.write("row counts: every table matches the manifest")
            else:
                for table, (expected, found) in sorted(report.count_differences.items()):
                    self.stdout.write(f"row counts: {table}: manifest {expected}, restored {found}")
            self.stdout.write("restore verified" if report.ok else "restore NOT verified")
        if not report.ok:
            raise SystemExit(1)
