from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ketamine_clinic.accounts"
    label = "accounts"
    verbose_name = "Clinics and staff"

    def ready(self) -> None:
        from ketamine_clinic.common import limits

        from . import signals  # noqa: F401  (login and failed-login audit)

        limits.connect()
