"""Screen an intake for ketamine eligibility: `ketamine-clinic screen FILE.json [--json]`.

FILE is a JSON object in the form `clinical.eligibility.parse_intake` reads (`-` reads standard
input); docs/intake-example.json is one. The built-in rules are applied. Prints
`Decision.as_dict()` as one JSON object with --json, else a readable summary (the decision, then
each finding with its level, reason and source); exit status 0 whatever the decision. A file that
cannot be read or an intake that is not valid ends with exit status 2 and each bad field with its
reason on standard error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketamine_clinic.clinical.eligibility import (
    DEFAULT_RULESET,
    Decision,
    IntakeError,
    evaluate,
    parse_intake,
)
from ketamine_clinic.clinical.eligibility.rules import LEVEL_LABELS

USAGE_ERROR = 2
DECISION_LABELS = {
    "eligible": "Eligible",
    "needs_review": "Needs prescriber review",
    "ineligible": "Not eligible",
}


def read_document(name: str) -> Any:
    """Return the JSON document in file `name` (`-` for standard input); CommandError if bad."""
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"Cannot read {name}: {error}", returncode=USAGE_ERROR) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{name} is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno}).",
            returncode=USAGE_ERROR,
        ) from None


def describe(decision: Decision) -> str:
    """Return a readable summary: the decision, then each finding (level, reason, source)."""
    lines = [f"Decision: {DECISION_LABELS.get(decision.decision, decision.decision)}"]
    lines.append(f"Rules: {decision.ruleset}")
    if not decision.findings:
        lines.append("No findings.")
    for finding in decision.findings:
        lines.append("")
        lines.append(f"[{LEVEL_LABELS.get(finding.level, finding.level)}] {finding.rule}")
        lines.append(f"  {finding.reason}")
        lines.append(f"  Source: {finding.source}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Screen the intake in FILE.json (- for standard input) against the built-in "
        "eligibility rules and print the decision with every finding."
    )
    requires_system_checks: list[str] = []  # pure computation: no database, no checks
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="intake JSON file, or - for standard input")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        document = read_document(options["file"])
        if not isinstance(document, dict):
            raise CommandError(
                f"The intake must be a JSON object (got {type(document).__name__}).",
                returncode=USAGE_ERROR,
            )
        try:
            intake = parse_intake(document)
        except IntakeError as error:
            lines = [f"{field}: {reason}" for field, reason in error.errors.items()]
            raise CommandError(
                "The intake is not valid:\n" + "\n".join(lines), returncode=USAGE_ERROR
            ) from None
        decision = evaluate(intake, DEFAULT_RULESET)
        if options["json"]:
            self.stdout.write(json.dumps(decision.as_dict(), ensure_ascii=False))
        else:
            self.stdout.write(describe(decision))
