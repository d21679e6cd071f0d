from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, key)


@register.filter
def level_label(level: str) -> str:
    """ "prescriber_review" → "prescriber review"."""
    return level.replace("_", " ")


@register.filter
def consent_sections(body: str) -> list[tuple[str, str]]:
    """Split a consent text into (heading, paragraph) sections.

    Sections are separated by blank lines; a section whose first line is short and does not end
    with a full stop starts with that line as its heading. Line breaks inside a paragraph are
    the author's wrapping, not the reader's: they become spaces.
    """
    sections = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in block.strip().split("\n") if line.strip()]
        if not lines:
            continue
        heading = ""
        if len(lines) > 1 and len(lines[0]) <= 60 and not lines[0].endswith((".", ":")):
            heading, lines = lines[0], lines[1:]
        sections.append((heading, " ".join(lines)))
    return sections
