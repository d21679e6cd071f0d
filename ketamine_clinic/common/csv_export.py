"""The one CSV writer of every export: cells a spreadsheet would run as formulas are defused.

A spreadsheet treats a cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or a
carriage return before one) as a formula: a patient named `=HYPERLINK(...)` would become a link
that sends the sheet's contents elsewhere. Such a text cell is written with a leading
apostrophe, which spreadsheets show as text and do not display.

The choice about negative numbers: a cell that is wholly a plain number (`-5`, `-12.50`, as a
ledger difference is written) is left as it is, so that a spreadsheet still reads it as a number
it can add up: a cell that is nothing but digits, one minus sign and one decimal point cannot
call a function. Anything more after the sign (`-5+HYPERLINK(...)`, `-A1`, `- 5`) is escaped.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPE = "text/csv; charset=utf-8"
PLAIN_NUMBER = re.compile(r"-[0-9]+(\.[0-9]+)?")


def safe_cell(value: Any) -> str:
    """Return the cell's text, with an apostrophe before text that could start a formula."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(row: Iterable[Any]) -> list[str]:
    return [safe_cell(value) for value in row]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _headers(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def csv_response(filename: str, rows: Iterable[Iterable[Any]]) -> HttpResponse:
    """Return the rows (the header first) as a CSV download named `filename`."""
    response = HttpResponse(content_type=CONTENT_TYPE, headers=_headers(filename))
    csv.writer(response).writerows(safe_row(row) for row in rows)
    return response


def csv_stream(filename: str, rows: Iterable[Iterable[Any]]) -> StreamingHttpResponse:
    """Send the rows as they are produced (an export of unbounded length)."""
    writer = csv.writer(_Echo())
    return StreamingHttpResponse(
        (writer.writerow(safe_row(row)) for row in rows),
        content_type=CONTENT_TYPE,
        headers=_headers(filename),
    )
