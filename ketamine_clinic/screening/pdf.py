"""The signed consent as a PDF (WeasyPrint: the same HTML template for screen and paper)."""

from __future__ import annotations

from django.template.loader import render_to_string
from weasyprint import HTML

from .models import Consent


def consent_pdf(consent: Consent) -> bytes:
    """Render the consent, its exact template version, signature and witness, to PDF bytes."""
    html = render_to_string("screening/consent_document.html", {"consent": consent, "pdf": True})
    return bytes(HTML(string=html).write_pdf())
