from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ketamine_clinic.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_ensure_triggers, dispatch_uid="kc-append-only-triggers")


def _ensure_triggers(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    # post_migrate is sent once per app after every migration has run: once is enough.
    if sender.label != "audit":
        return
    from django.db import connections

    from . import triggers

    triggers.ensure_all(connections[using])
