from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.apps import AppConfig


def _private_sqlite_files(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Keep a SQLite database and its WAL readable by the service's own user only (0600)."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict["NAME"])
    if name.startswith("file:") or name == ":memory:":
        return
    for path in (Path(name), Path(name + "-wal"), Path(name + "-shm")):
        try:
            if path.exists() and path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
        except OSError:
            continue


class WebConfig(AppConfig):
    name = "ketamine_clinic.web"
    label = "web"
    verbose_name = "Web shell"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        connection_created.connect(_private_sqlite_files, dispatch_uid="kc-private-sqlite")
