"""Where Debian's Chromium is, and the flags it needs on a machine with no outside network.

Shared by the browser tests and scripts/screenshots.py.
"""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """Return the path of the system Chromium (CHROMIUM_PATH first), or None."""
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None
