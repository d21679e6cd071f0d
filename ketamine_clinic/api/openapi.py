"""What every operation can answer besides its own statuses, written into the OpenAPI document.

The error answers come from the API's shared handlers (api.py) and from `CleanTextMiddleware`:
401 without a valid token, 403 when the role may not, 404 for a record outside your clinics,
422 naming each refused field, 400 for a body that is not JSON. Each is `{"detail": …,
"errors": [{"field": …, "message": …}]}`. Every plain string may not hold a NUL character, and
the document says so with a pattern.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from ketamine_clinic.common.limits import text_problem

NO_NUL = "^[^\\x00]*$"
# A decimal may be sent as a number or as a string of digits ("82.4"), as pydantic reads it.
DECIMAL = "^[+-]?(\\d+\\.?\\d*|\\.\\d+)$"
ERROR = "ApiError"
_ERROR_SCHEMA = {
    "type": "object",
    "title": ERROR,
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
_DESCRIPTIONS = {
    "400": "The body is not JSON",
    "401": "No valid API token",
    "403": "Your role may not do this",
    "404": "No such record among your clinics'",
    "422": "Refused input, each error naming its field",
}


def _statuses(operation: dict[str, Any]) -> list[str]:
    statuses = []
    if operation.get("security"):
        statuses += ["401", "403"]
    parameters = operation.get("parameters", [])
    if any(p.get("in") == "path" for p in parameters):
        statuses.append("404")
    if parameters or "requestBody" in operation:
        statuses.append("422")
    if "requestBody" in operation:
        statuses.append("400")
    return statuses


def _strings(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        choices = node.get("anyOf", [])
        if {"type": "number"} in choices:
            for choice in choices:
                if choice == {"type": "string"}:
                    choice["pattern"] = DECIMAL
        if node.get("type") == "string" and not (
            {"format", "enum", "pattern", "const"} & set(node)
        ):
            yield node
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def document_errors(document: Any) -> Any:
    """Add the shared error answers to every operation, and the no-NUL pattern to every string."""
    document.setdefault("components", {}).setdefault("schemas", {})[ERROR] = _ERROR_SCHEMA
    for path in document.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for status in _statuses(operation):
                responses.setdefault(
                    status,
                    {
                        "description": _DESCRIPTIONS[status],
                        "content": {
                            "application/json": {
                                "schema": {"$ref": f"#/components/schemas/{ERROR}"}
                            }
                        },
                    },
                )
    for node in _strings(document.get("paths", {})):
        node["pattern"] = NO_NUL
    for node in _strings(document["components"]["schemas"]):
        node["pattern"] = NO_NUL
    return document


def _text_errors(value: Any, where: tuple[str, ...]) -> Iterator[dict[str, str]]:
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            yield {"field": ".".join(where) or "__all__", "message": problem}
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _text_errors(key, where)
            yield from _text_errors(item, (*where, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _text_errors(item, (*where, str(index)))


class CleanTextMiddleware:
    """Refuse, on the API, text that no column can hold: NUL characters and unpaired
    surrogates, in the query or anywhere in a JSON body (422 naming the field); and answer a
    method the path does not take (405) in JSON too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            errors = [
                error
                for key, values in request.GET.lists()
                for value in values
                for error in _text_errors(value, (key,))
            ]
            if request.body and request.content_type == "application/json":
                with contextlib.suppress(ValueError):  # not JSON: the API answers 400
                    errors += _text_errors(json.loads(request.body), ())
            if errors:
                return JsonResponse({"detail": "Invalid data.", "errors": errors}, status=422)
        response = self.get_response(request)
        if request.path.startswith("/api/") and response.status_code == 405:
            allowed = response.get("Allow", "")
            response = JsonResponse({"detail": "Method not allowed."}, status=405)
            response["Allow"] = allowed
        return response


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 answer: JSON on the API, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error."}, status=500)
    from django.views.defaults import server_error as html_server_error

    return html_server_error(request)
