"""Load the demo data into an empty database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ketamine_clinic.accounts.models import Organization
from ketamine_clinic.web import demo_data


class Command(BaseCommand):
    help = "Load the demo organisation, clinics, staff and patients into an empty database."

    def handle(self, *args: Any, **options: Any) -> None:
        if Organization.objects.exists():
            raise CommandError("The database already has an organisation; demo data not loaded.")
        summary = demo_data.seed()
        self.stdout.write(self.style.SUCCESS(summary))
