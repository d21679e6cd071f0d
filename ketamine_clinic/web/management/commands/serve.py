"""Serve the app with gunicorn (static files through whitenoise)."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def gunicorn_argv(host: str, port: int, workers: int) -> list[str]:
    """Return the command line that serves the WSGI app with gunicorn (also used by bench/)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "ketamine_clinic.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        # gunicorn believes X-Forwarded-Proto from the same proxies as the app (none by default).
        "--forwarded-allow-ips",
        os.environ.get("FORWARDED_ALLOW_IPS", ",".join(settings.TRUSTED_PROXIES)),
    ]


def exec_gunicorn(host: str, port: int, workers: int) -> None:
    """Replace this process with gunicorn serving the WSGI app under the current settings."""
    args = gunicorn_argv(host, port, workers)
    sys.stdout.flush()
    os.execv(sys.executable, args)  # noqa: S606  (fixed argv, no shell)


class Command(BaseCommand):
    help = "Serve ketamine-clinic with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Serving on http://{options['host']}:{options['port']}/")
        exec_gunicorn(options["host"], options["port"], options["workers"])
