"""`ketamine-clinic audit list --no-organisation`: the operator's events, which no clinic sees;
`ketamine-clinic audit verify [--seal]`: check every row's MAC and every seal (exit 1 naming the
first bad event), sealing the rows written since the last seal first with `--seal`.

Failed sign-ins that name no known account and visits with an unknown self-report, consent or
intake token belong to no organisation: no clinic's auditor is shown them (they would learn
what was typed at every other organisation). Whoever runs the server reads them here.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ketamine_clinic.audit import chain
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.audit.services import record

OPERATOR = "operator (command line)"


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--since: not a date (YYYY-MM-DD): {text!r}", returncode=2) from None


class Command(BaseCommand):
    help = "List the audit events that belong to no organisation (the operator's)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["list", "verify"])
        parser.add_argument(
            "--no-organisation",
            "--no-organization",
            action="store_true",
            dest="no_organisation",
            help="the events of no organisation (the only ones `list` lists; required)",
        )
        parser.add_argument(
            "--seal",
            action="store_true",
            help="verify: first seal the rows older than --seal-after seconds since the last seal",
        )
        parser.add_argument("--seal-after", type=int, default=int(chain.SEAL_AFTER.total_seconds()))
        parser.add_argument("--action", default="", help="e.g. auth.login_failed")
        parser.add_argument("--since", default="", help="YYYY-MM-DD (default: 7 days ago)")
        parser.add_argument("--limit", type=int, default=200)
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "verify":
            self._verify(options)
            return
        if not options["no_organisation"]:
            raise CommandError("audit list: --no-organisation is required", returncode=2)
        since = _day(options["since"]) if options["since"] else timezone.localdate() - timedelta(7)
        start = timezone.make_aware(datetime.combine(since, time.min))
        events = AuditEvent.objects.filter(
            organization=None, clinic=None, actor__organization=None, occurred_at__gte=start
        )
        if options["action"]:
            events = events.filter(action=options["action"])
        rows = list(events.order_by("-occurred_at", "-id")[: max(1, options["limit"])])
        record(
            actor=None,
            actor_username=OPERATOR,
            action=Action.AUDIT_SEARCH,
            detail={"no_organisation": True, "since": since.isoformat(), "rows": len(rows)},
        )
        for e in rows:
            if options["json"]:
                self.stdout.write(
                    json.dumps(
                        {
                            "id": e.pk,
                            "occurred_at": e.occurred_at.isoformat(),
                            "action": e.action,
                            "username": e.actor_username,
                            "ip": e.ip,
                            "channel": e.channel,
                            "detail": e.detail,
                        },
                        sort_keys=True,
                    )
                )
            else:
                detail = json.dumps(e.detail, sort_keys=True) if e.detail else ""
                self.stdout.write(
                    f"{e.occurred_at:%Y-%m-%d %H:%M:%S}  {e.action:<26} {e.ip or '-':<15} "
                    f"{e.actor_username!r} {detail}"
                )

    def _verify(self, options: dict[str, Any]) -> None:
        sealed = None
        if options["seal"]:
            sealed = chain.seal(after=timedelta(seconds=max(0, options["seal_after"])))
        result = chain.verify()
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
        elif result.ok:
            if sealed is not None:
                self.stdout.write(
                    f"sealed events {sealed.first_event_id}–{sealed.last_event_id} "
                    f"({sealed.events})"
                )
            self.stdout.write(
                f"ok: {result.events} events, {result.sealed} under {result.seals} seals, "
                "MACs and seals intact"
            )
        else:
            self.stdout.write(f"NOT OK: first bad event {result.first_bad_event}: {result.reason}")
        if not result.ok:
            raise SystemExit(1)
