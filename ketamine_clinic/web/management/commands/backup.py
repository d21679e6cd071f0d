"""`ketamine-clinic backup PATH`: a consistent backup while the server runs (see web/backups.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketamine_clinic.web.backups import BackupError, backup, manifest_path


class Command(BaseCommand):
    help = "Write a consistent backup of the database (0600) and its manifest of row counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the new backup file (it must not exist)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        try:
            manifest = backup(path)
        except BackupError as error:
            raise CommandError(str(error), returncode=2) from error
        rows = sum(manifest.tables.values())
        if options["json"]:
            out = {**manifest.as_dict(), "path": str(path.resolve())}
            out["manifest"] = str(manifest_path(path.resolve()))
            self.stdout.write(json.dumps(out))
        else:
            self.stdout.write(
                f"Backed up {len(manifest.tables)} tables ({rows} rows) to {path} "
                f"({manifest.vendor}); manifest {manifest_path(path)}"
            )
