"""Score a questionnaire from the command line: `ketamine-clinic score INSTRUMENT --answers …`.

Answers are comma-separated, in item order; a skipped or unanswered item is written `-` or left
empty (e.g. a C-SSRS screener with No to question 2: `--answers 1,0,-,-,-,0,-`). Trailing
optional items may be left off (a PHQ-9 without its difficulty item). Prints one JSON object
with --json, else a short line. Bad input (unknown instrument, wrong count, out-of-range or
non-numeric answers) ends with exit status 2 and a message naming the item.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketamine_clinic.clinical.instruments import AnswerError, Instrument, Score, get_instrument
from ketamine_clinic.clinical.instruments.registry import INSTRUMENTS

SKIPPED = {"", "-"}
USAGE_ERROR = 2


def parse_answers(text: str) -> list[int | None]:
    """Return the answers in `text` ("1,0,-,3"), None for a skipped one (CommandError if bad)."""
    answers: list[int | None] = []
    for number, raw in enumerate(text.split(","), 1):
        value = raw.strip()
        if value in SKIPPED:
            answers.append(None)
            continue
        try:
            answers.append(int(value))
        except ValueError:
            raise CommandError(
                f"Item {number}: {value!r} is not a whole number (use - for a skipped item).",
                returncode=USAGE_ERROR,
            ) from None
    return answers


def describe(instrument: Instrument, score: Score) -> str:
    """Return a one-line human summary of `score`, e.g. "PHQ-9: total 12/27, moderate"."""
    parts: list[str] = []
    if score.total is not None:
        parts.append(f"total {score.total}")
        if instrument.total_range is not None:
            parts[-1] += f"/{instrument.total_range[1]}"
    if "risk" in score.extra:
        parts.append(f"risk {score.extra['risk']}")
    elif score.severity is not None:
        parts.append(score.severity)
    if "provisional_ptsd" in score.extra:
        parts.append("provisional PTSD: " + ("yes" if score.extra["provisional_ptsd"] else "no"))
    if score.critical:
        items = ", ".join(str(n) for n in score.critical_items)
        parts.append(f"CRITICAL (item {items})" if items else "CRITICAL")
    return f"{instrument.name}: {', '.join(parts)}"


class Command(BaseCommand):
    help = (
        "Score INSTRUMENT from comma-separated answers in item order (- or empty for a skipped "
        f"item). Instruments: {', '.join(INSTRUMENTS)}."
    )
    requires_system_checks: list[str] = []  # pure computation: no database, no checks
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("instrument", help="instrument id, e.g. phq9, gad7, cssrs-screener")
        parser.add_argument(
            "--answers",
            required=True,
            help="comma-separated answers in item order, e.g. 1,0,3,2 (- for skipped)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            instrument = get_instrument(options["instrument"])
        except KeyError as error:
            raise CommandError(str(error.args[0]), returncode=USAGE_ERROR) from None
        answers = parse_answers(options["answers"])
        try:
            score = instrument.score(answers)
        except AnswerError as error:
            message = error.message if error.item == 0 else f"{instrument.name}: {error.message}"
            raise CommandError(message, returncode=USAGE_ERROR) from None
        if options["json"]:
            self.stdout.write(json.dumps(score.as_dict(), ensure_ascii=False))
        else:
            self.stdout.write(describe(instrument, score))
