"""Images embedded in pages as data: URIs, so that they draw under the strict CSP."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg


def as_data_uri(svg: str) -> str:
    """Return an SVG document as a data: URI for an <img src>."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def qr_data_uri(url: str) -> str:
    """Return a QR code of `url` (for the clinic tablet to scan) as an SVG data: URI."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    buffer = io.BytesIO()
    image.save(buffer)
    return as_data_uri(buffer.getvalue().decode())
