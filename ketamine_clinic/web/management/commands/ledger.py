"""`ketamine-clinic ledger verify|balance`: check the controlled-substance ledger."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketamine_clinic.accounts.models import Clinic
from ketamine_clinic.inventory import selectors, services


class Command(BaseCommand):
    help = "Verify the ledger's hash chain and balances, or print the balance of each container."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "balance"])
        parser.add_argument("--clinic", help="the clinic's id or name (default: every clinic)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = None
        if options["clinic"]:
            ref = options["clinic"]
            clinic = (
                Clinic.objects.filter(pk=int(ref)).first()
                if ref.isdigit()
                else Clinic.objects.filter(name__iexact=ref).first()
            )
            if clinic is None:
                raise CommandError(f"No clinic {ref!r}.", returncode=2)
        if options["action"] == "verify":
            result = services.verify(clinic)
            if options["json"]:
                self.stdout.write(json.dumps(result.as_dict()))
            elif result.ok:
                self.stdout.write(f"ok: {result.entries} entries, chain and balances intact")
            else:
                self.stdout.write(
                    f"NOT OK: first bad entry {result.first_bad_entry}; containers out of "
                    f"balance: {', '.join(result.containers_out_of_balance) or 'none'}"
                )
            if not result.ok:
                raise SystemExit(1)
            return
        rows = selectors.on_hand(clinic)
        if options["json"]:
            self.stdout.write(json.dumps({"containers": rows}))
        else:
            for row in rows:
                self.stdout.write(
                    f"{row['clinic']:<22} {row['container']:<10} {row['product']:<40} "
                    f"lot {row['lot']:<12} exp {row['expires_on']}  {row['balance_mg']:>9} mg"
                )
