"""Django's `flush`, refused outside the test suite: it would erase the audit trail.

The test suite empties the database between browser tests; only there (settings
KETAMINE_CLINIC_ALLOW_FLUSH) are the append-only triggers lifted for the flush and put back.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from ketamine_clinic.audit import triggers


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        if not getattr(settings, "KETAMINE_CLINIC_ALLOW_FLUSH", False):
            raise CommandError("flush would erase the append-only audit trail; refused.")
        connection = connections[options["database"]]
        tables = triggers.existing_tables(connection)
        for table in tables:
            triggers.drop_triggers(connection, table)
        try:
            super().handle(**options)
        finally:
            for table in tables:
                triggers.create_triggers(connection, table)
