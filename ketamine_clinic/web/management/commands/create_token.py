"""Print a new API token for a staff member, alone on its line."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.accounts.services import api_token_create
from ketamine_clinic.audit.context import AuditContext, set_context


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it (it is shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="created with create-token")

    def handle(self, *args: Any, **options: Any) -> None:
        set_context(AuditContext(channel="cli"))
        try:
            staff = StaffMember.objects.get(username=options["username"])
        except StaffMember.DoesNotExist as error:
            raise CommandError(f"No staff member named {options['username']!r}.") from error
        try:
            issued = api_token_create(staff=staff, name=options["name"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(issued.token)
