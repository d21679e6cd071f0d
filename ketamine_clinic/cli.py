"""The `ketamine-clinic` console command: Django's management utility with our settings.

Our own commands (`demo`, `serve`, `seed-demo`, `create-token`, …) are Django management
commands; a dash in their name is accepted for the underscore. `--demo` before the command
runs it against the demo's database (`ketamine-clinic --demo create-token nurse`), as
`ketamine-clinic demo` serves it.
"""

from __future__ import annotations

import os
import sys

DEMO_SETTINGS = "ketamine_clinic.settings_demo"


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "--demo":
        del argv[1]
        os.environ["DJANGO_SETTINGS_MODULE"] = DEMO_SETTINGS
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
        if argv[1] == "demo":
            # The demo runs under its own settings (demo data, the demo banner).
            os.environ["DJANGO_SETTINGS_MODULE"] = DEMO_SETTINGS
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketamine_clinic.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
