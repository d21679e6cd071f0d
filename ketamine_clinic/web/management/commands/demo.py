"""Run the demo: migrate, seed the demo data if the database is empty, serve."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketamine_clinic.accounts.models import Organization
from ketamine_clinic.web import demo_data

from .serve import exec_gunicorn


class Command(BaseCommand):
    help = "Run the demo clinic at http://127.0.0.1:8000 (migrate, seed if empty, serve)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.KETAMINE_CLINIC_DEMO:
            raise CommandError("Run the demo as `ketamine-clinic demo` (it has its own settings).")
        call_command("migrate", interactive=False, verbosity=0)
        if not Organization.objects.exists():
            self.stdout.write("Loading the demo data…")
            demo_data.seed()
        call_command("collectstatic", interactive=False, verbosity=0)
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"\nketamine-clinic demo: {url}"))
        self.stdout.write(f"Database: {settings.DATABASES['default']['NAME']}")
        self.stdout.write("Demo logins (password for all: " + demo_data.DEMO_PASSWORD + "):")
        for username, role, clinic in demo_data.DEMO_LOGINS:
            self.stdout.write(f"  {username:<11} {role:<12} {clinic}")
        self.stdout.write("Two-factor enrolment is off in the demo only.\n")
        exec_gunicorn(options["host"], options["port"], 2)
